import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, Store, DEFAULT_SETTINGS } from '../storage/index.js';
import type { NewMedia, TurnRecord, UserRecord } from '../storage/index.js';

const HOUR = 3_600_000;
let folder = '';
let fileCount = 0;

before(() => {
  folder = fs.mkdtempSync(os.tmpdir() + '/seed-');
});
after(() => {
  fs.rmSync(folder, { recursive: true, force: true });
});

interface Fixture {
  store: Store;
  filePath: string;
  clock: { now: number };
  db: ReturnType<typeof openDatabase>;
}

/** Each test gets its own database file and a clock that only moves when told to. */
function withStore(body: (fixture: Fixture) => void): void {
  const filePath = path.join(folder, `store-${++fileCount}.sqlite`);
  const db = openDatabase(filePath);
  const clock = { now: 1_700_000_000_000 };
  const store = new Store(db, { now: () => clock.now });
  try {
    body({ store, filePath, clock, db });
  } finally {
    store.close();
  }
}

const image = (width: number, marker = 0): NewMedia => ({
  mediaType: 'image/jpeg',
  width,
  height: 480,
  data: new Uint8Array([0xff, 0xd8, marker, 1, 2, 3]),
});

function askAndAnswer(
  store: Store,
  user: UserRecord,
  chatId: string,
  question: string,
  options: { media?: NewMedia[]; incomingMessageId?: string; status?: 'done' | 'failed' | 'pending' } = {},
): TurnRecord {
  const conversation = store.currentConversation(user.id, chatId);
  const { turn } = store.beginTurn({
    conversationId: conversation.id,
    userId: user.id,
    question,
    questionSource: 'text',
    incomingMessageId: options.incomingMessageId,
    media: options.media,
    mediaRetentionMs: HOUR,
  });
  const status = options.status ?? 'done';
  if (status === 'done') store.completeTurn(turn.id, `answer to ${question}`);
  if (status === 'failed') store.failTurn(turn.id, 'model-failed', 'partial');
  return turn;
}

function countRows(fixture: Fixture, sql: string, ...params: unknown[]): number {
  return (fixture.db.prepare(sql).pluck().get(...params) as number) ?? 0;
}

describe('Store basics', () => {
  test('users are created once and settings fall back to the defaults', () => {
    withStore(({ store }) => {
      const key = { platform: 'telegram', platformUserId: '42' };
      assert.equal(store.findUser(key), undefined);
      const user = store.ensureUser(key);
      assert.deepEqual(store.ensureUser(key), user);
      assert.deepEqual(store.findUser(key), user);
      assert.notEqual(store.ensureUser({ platform: 'discord', platformUserId: '42' }).id, user.id);

      assert.deepEqual(store.getSettings(user.id), DEFAULT_SETTINGS);
      const defaults = { replyLength: 'normal', language: 'auto', streaming: 'off', voiceEcho: 'off', voiceReplies: 'spoken' };
      assert.deepEqual(store.updateSettings(user.id, { language: 'zh' }), { ...defaults, language: 'zh' });
      assert.deepEqual(store.updateSettings(user.id, { replyLength: 'short' }), { ...defaults, replyLength: 'short', language: 'zh' });
      assert.deepEqual(store.getSettings(user.id), { ...defaults, replyLength: 'short', language: 'zh' });
      assert.equal(store.updateSettings(user.id, { streaming: 'edits' }).streaming, 'edits');
      assert.throws(() => store.updateSettings(user.id, { streaming: 'loud' as never }), /CHECK/);
      assert.deepEqual(store.updateSettings(user.id, { voiceEcho: 'on' }), { replyLength: 'short', language: 'zh', streaming: 'edits', voiceEcho: 'on', voiceReplies: 'spoken' });
      assert.throws(() => store.updateSettings(user.id, { voiceEcho: 'loud' as never }), /CHECK/);
      assert.equal(store.updateSettings(user.id, { voiceReplies: 'always' }).voiceReplies, 'always');
      assert.equal(store.getSettings(user.id).voiceReplies, 'always');
      assert.throws(() => store.updateSettings(user.id, { voiceReplies: 'loud' as never }), /CHECK/);
      // Storage checks only a language code's shape; which languages exist is the core's table.
      assert.throws(() => store.updateSettings(user.id, { language: 'French' }), /CHECK/);
      assert.throws(() => store.updateSettings(user.id, { language: 'ZH' }), /CHECK/);
      assert.equal(store.getSettings(user.id).language, 'zh');
      assert.equal(store.updateSettings(user.id, { language: 'fr' }).language, 'fr');
      assert.equal(store.getSettings(user.id).language, 'fr');
    });
  });

  test('recentTurns returns only done turns, the newest N, oldest first', () => {
    withStore(({ store }) => {
      const user = store.ensureUser({ platform: 'console', platformUserId: 'me' });
      const statuses = ['done', 'failed', 'done', 'pending', 'done', 'failed', 'done'] as const;
      const turns = statuses.map((status, index) => askAndAnswer(store, user, 'tty', `q${index}`, { status }));
      const conversationId = turns[0]!.conversationId;

      const recent = store.recentTurns(conversationId, 2);
      assert.deepEqual(recent.map((turn) => turn.question), ['q4', 'q6']);
      assert.ok(recent.every((turn) => turn.status === 'done' && turn.answer === `answer to ${turn.question}`));
      assert.deepEqual(store.recentTurns(conversationId, 10).map((turn) => turn.question), ['q0', 'q2', 'q4', 'q6']);
      assert.deepEqual(store.recentTurns(conversationId, 0), []);
      assert.deepEqual(store.recentTurns(conversationId, -1), []);

      const failed = store.exportUser(user.id)!.conversations[0]!.turns[1]!;
      assert.equal(failed.status, 'failed');
      assert.equal(failed.failure, 'model-failed');
      assert.equal(failed.answer, 'partial');
    });
  });

  test('closing a conversation starts a fresh one without the old history', () => {
    withStore(({ store, clock }) => {
      const user = store.ensureUser({ platform: 'telegram', platformUserId: '7' });
      const first = askAndAnswer(store, user, 'dm-7', 'old question', { media: [image(640)] });
      assert.equal(store.closeConversation(user.id, 'dm-7'), true);
      assert.equal(store.closeConversation(user.id, 'dm-7'), false);
      clock.now += 1000;

      const fresh = store.currentConversation(user.id, 'dm-7');
      assert.notEqual(fresh.id, first.conversationId);
      assert.equal(fresh.closedAt, null);
      assert.deepEqual(store.currentConversation(user.id, 'dm-7'), fresh);
      assert.deepEqual(store.recentTurns(fresh.id, 10), []);
      assert.deepEqual(store.latestMedia(fresh.id), []);
      assert.equal(store.getConversation(first.conversationId)?.closedAt, clock.now - 1000);
      assert.equal(store.recentTurns(first.conversationId, 10).length, 1);
    });
  });

  test('beginTurn is atomic: a bad media row leaves no turn behind', () => {
    withStore((fixture) => {
      const { store } = fixture;
      const user = store.ensureUser({ platform: 'telegram', platformUserId: '1' });
      const other = store.ensureUser({ platform: 'telegram', platformUserId: '2' });
      const conversation = store.currentConversation(user.id, 'dm');
      const othersConversation = store.currentConversation(other.id, 'dm');
      const base = { userId: user.id, question: 'What is this?', questionSource: 'voice' as const, mediaRetentionMs: HOUR };

      assert.throws(() =>
        store.beginTurn({ ...base, conversationId: conversation.id, media: [image(640), image(Number.NaN)] }),
      );
      assert.throws(() => store.beginTurn({ ...base, conversationId: conversation.id, media: [image(-1)] }), /CHECK/);
      assert.throws(() => store.beginTurn({ ...base, conversationId: 9999 }), /FOREIGN KEY/);
      // The schema itself refuses filing a turn under another user's conversation.
      assert.throws(() => store.beginTurn({ ...base, conversationId: othersConversation.id }), /FOREIGN KEY/);
      assert.equal(countRows(fixture, 'SELECT count(*) FROM turns'), 0);
      assert.equal(countRows(fixture, 'SELECT count(*) FROM media'), 0);

      const { turn, media } = store.beginTurn({ ...base, conversationId: conversation.id, media: [image(640, 9)] });
      assert.equal(turn.status, 'pending');
      assert.equal(turn.questionSource, 'voice');
      assert.equal(media.length, 1);
      assert.deepEqual([...media[0]!.data], [0xff, 0xd8, 9, 1, 2, 3]);
      assert.equal(media[0]!.expiresAt, turn.createdAt + HOUR);
    });
  });

  test('latestMedia follows the latest turn with live media; sweeps delete exactly the expired', () => {
    withStore(({ store, clock }) => {
      const user = store.ensureUser({ platform: 'telegram', platformUserId: '3' });
      const conversationId = store.currentConversation(user.id, 'dm').id;
      const begin = (question: string, media: NewMedia[], mediaRetentionMs: number) =>
        store.beginTurn({ conversationId, userId: user.id, question, questionSource: 'text', media, mediaRetentionMs });

      const early = begin('two photos', [image(100, 1), image(200, 2)], 10 * HOUR);
      begin('no photo', [], HOUR);
      const late = begin('one photo', [image(300, 3)], HOUR);
      assert.deepEqual(store.latestMedia(conversationId).map((item) => item.id), late.media.map((item) => item.id));
      // A photo-less follow-up question still talks about the last photo.
      begin('and the colour?', [], HOUR);
      assert.deepEqual(store.latestMedia(conversationId).map((item) => item.width), [300]);

      clock.now += HOUR; // expires_at <= now counts as expired
      const previous = store.latestMedia(conversationId);
      assert.deepEqual(previous.map((item) => item.id), early.media.map((item) => item.id));
      assert.deepEqual([...previous[1]!.data], [0xff, 0xd8, 2, 1, 2, 3]);
      assert.equal(store.sweepExpiredMedia(), 1);
      assert.equal(store.sweepExpiredMedia(), 0);

      clock.now += 9 * HOUR;
      assert.deepEqual(store.latestMedia(conversationId), []);
      assert.equal(store.sweepExpiredMedia(), 2);
      assert.equal(store.exportUser(user.id)!.conversations[0]!.turns.length, 4);
    });
  });

  test('sweepHistoryOlderThan drops old turns with their media and deliveries, and emptied closed conversations', () => {
    withStore((fixture) => {
      const { store, clock } = fixture;
      const user = store.ensureUser({ platform: 'telegram', platformUserId: '4' });
      const oldClosed = askAndAnswer(store, user, 'a', 'old in a', { media: [image(10)] });
      store.recordDelivery(oldClosed.id, 'out-1');
      store.closeConversation(user.id, 'a');
      const oldOpen = askAndAnswer(store, user, 'b', 'old in b', { media: [image(10)] });
      store.recordDelivery(oldOpen.id, 'out-2');
      clock.now += 48 * HOUR;
      const cutoff = clock.now;
      const recent = askAndAnswer(store, user, 'b', 'new in b', { media: [image(10)] });
      store.recordDelivery(recent.id, 'out-3');
      askAndAnswer(store, user, 'c', 'new in c');
      store.closeConversation(user.id, 'c');

      assert.equal(store.sweepHistoryOlderThan(cutoff), 2);
      const conversations = store.exportUser(user.id)!.conversations;
      assert.deepEqual(conversations.map((conversation) => conversation.chatId), ['b', 'c']);
      assert.deepEqual(conversations[0]!.turns.map((turn) => turn.id), [recent.id]);
      assert.equal(conversations[0]!.media.length, 1);
      assert.equal(conversations[0]!.deliveries, 1);
      assert.equal(store.getConversation(oldClosed.conversationId), undefined);
      assert.equal(countRows(fixture, 'SELECT count(*) FROM deliveries'), 1);
      assert.equal(store.sweepHistoryOlderThan(cutoff), 0);
    });
  });

  test('late writes for a forgotten turn are skipped, deliveries are idempotent', () => {
    withStore((fixture) => {
      const { store } = fixture;
      const user = store.ensureUser({ platform: 'telegram', platformUserId: '5' });
      const turn = askAndAnswer(store, user, 'dm', 'hello', { status: 'pending' });
      store.recordDelivery(turn.id, 'out-1');
      store.recordDelivery(turn.id, 'out-1');
      assert.equal(store.exportUser(user.id)!.conversations[0]!.deliveries, 1);
      store.forgetUser(user.id);
      store.completeTurn(turn.id, 'too late');
      store.recordDelivery(turn.id, 'out-2');
      assert.equal(countRows(fixture, 'SELECT count(*) FROM turns') + countRows(fixture, 'SELECT count(*) FROM deliveries'), 0);
    });
  });
});

describe('Store privacy', () => {
  const SHARED_GROUP = 'group-100';

  /** 200 turns alternating between two users, in their DMs and in one group chat they share. */
  function interleave(store: Store) {
    const alice = store.ensureUser({ platform: 'telegram', platformUserId: '1001' });
    const bob = store.ensureUser({ platform: 'telegram', platformUserId: '1002' });
    store.updateSettings(alice.id, { replyLength: 'detailed' });
    const turnsByUser = new Map<number, TurnRecord[]>([[alice.id, []], [bob.id, []]]);
    const mediaCount = new Map<number, number>([[alice.id, 0], [bob.id, 0]]);
    for (let index = 0; index < 200; index++) {
      const user = index % 2 === 0 ? alice : bob;
      const name = user === alice ? 'alice' : 'bob';
      const chatId = index % 4 < 2 ? SHARED_GROUP : `dm-${name}`;
      // Message ids deliberately collide between the two users: platforms number them per chat.
      const shared = Math.floor(index / 2);
      const media = index % 3 === 0 ? [image(64, index % 256)] : [];
      mediaCount.set(user.id, mediaCount.get(user.id)! + media.length);
      const turn = askAndAnswer(store, user, chatId, `${name} secret question ${index}`, {
        incomingMessageId: `in-${shared}`,
        media,
        status: index % 5 === 0 ? 'failed' : 'done',
      });
      store.recordDelivery(turn.id, `out-${shared}`);
      turnsByUser.get(user.id)!.push(turn);
      if (index === 120) store.closeConversation(user.id, chatId);
    }
    return { alice, bob, turnsByUser, mediaCount };
  }

  test('two users never see each other\u2019s history, even in the same group chat', () => {
    withStore(({ store }) => {
      const { alice, bob, turnsByUser, mediaCount } = interleave(store);
      for (const [user, name] of [[alice, 'alice'], [bob, 'bob']] as const) {
        const own = turnsByUser.get(user.id)!;
        const exported = store.exportUser(user.id)!;
        assert.equal(exported.user.id, user.id);
        const exportedTurns = exported.conversations.flatMap((conversation) => conversation.turns);
        const byId = (left: number, right: number) => left - right;
        assert.deepEqual(exportedTurns.map((turn) => turn.id).sort(byId), own.map((turn) => turn.id));
        assert.ok(exportedTurns.every((turn) => turn.userId === user.id && turn.question.startsWith(name)));
        assert.ok(exported.conversations.every((conversation) => conversation.userId === user.id));
        assert.equal(exported.conversations.flatMap((conversation) => conversation.media).length, mediaCount.get(user.id));
        assert.ok(exported.conversations.flatMap((c) => c.media).every((item) => item.userId === user.id && item.bytes === 6));
        assert.ok(!JSON.stringify(exported).includes('"data"'), 'an export never carries image bytes');
        assert.equal(exported.conversations.reduce((sum, conversation) => sum + conversation.deliveries, 0), 100);

        for (const conversation of exported.conversations) {
          const recent = store.recentTurns(conversation.id, 1000);
          assert.ok(recent.length > 0);
          assert.ok(recent.every((turn) => turn.userId === user.id && turn.question.startsWith(name)));
          assert.ok(store.latestMedia(conversation.id).every((item) => item.userId === user.id));
        }
        for (const turn of own) {
          const chatId = store.getConversation(turn.conversationId)!.chatId;
          const shared = turn.incomingMessageId!.slice('in-'.length);
          assert.equal(store.findTurnByMessage(user.id, chatId, `in-${shared}`)?.id, turn.id);
          assert.equal(store.findTurnByMessage(user.id, chatId, `out-${shared}`)?.id, turn.id);
        }
      }
      const bobsGroupTurn = turnsByUser.get(bob.id)![0]!;
      assert.equal(store.findTurnByMessage(alice.id, 'dm-bob', 'out-0'), undefined);
      assert.equal(store.findTurnByMessage(alice.id, SHARED_GROUP, 'out-0')?.userId, alice.id);
      assert.equal(store.findTurnByMessage(bob.id, SHARED_GROUP, 'out-0')?.id, bobsGroupTurn.id);
      assert.notEqual(store.currentConversation(alice.id, SHARED_GROUP).id, store.currentConversation(bob.id, SHARED_GROUP).id);
      assert.equal(store.exportUser(9999), undefined);
    });
  });

  test('forgetUser removes every row of the user from every table and nothing of anyone else', () => {
    withStore((fixture) => {
      const { store, filePath } = fixture;
      const { alice, bob, turnsByUser, mediaCount } = interleave(store);
      const aliceBefore = store.exportUser(alice.id)!;
      const bobBefore = store.exportUser(bob.id)!;
      const aliceTurnIds = turnsByUser.get(alice.id)!.map((turn) => turn.id);
      // Messages received but not answered yet: alice's go with her, bob's stay.
      store.keepDelivery({ platform: 'telegram', eventId: '901', platformUserId: '1001', payload: '{"text":"alice secret question unanswered"}' });
      store.keepDelivery({ platform: 'telegram', eventId: '902', platformUserId: '1002', payload: '{"text":"bob waiting"}' });

      const result = store.forgetUser(alice.id);
      assert.deepEqual(result, {
        wipedFromDisk: true,
        users: 1,
        settings: 1,
        conversations: aliceBefore.conversations.length,
        turns: 100,
        media: mediaCount.get(alice.id),
        deliveries: 100,
        inbox: 1,
      });
      assert.deepEqual(store.unansweredDeliveries('telegram').map((entry) => entry.eventId), ['902']);

      // Generic over the schema, so a table added later without a forget path fails here.
      const tables = fixture.db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .all()
        .map((row) => row.name);
      assert.ok(tables.length >= 6);
      for (const table of tables) {
        const columns = fixture.db.pragma(`table_info("${table}")`) as Array<{ name: string }>;
        const names = new Set(columns.map((column) => column.name));
        let remaining: number;
        // Holds only platform delivery ids and times: nothing links it to a person.
        if (table === 'processed_events') continue;
        // One row the health check writes: a time, nothing about anyone.
        if (table === 'health_probe') continue;
        if (table === 'users') remaining = countRows(fixture, 'SELECT count(*) FROM users WHERE id = ?', alice.id);
        else if (table === 'inbox') remaining = countRows(fixture, "SELECT count(*) FROM inbox WHERE platform_user_id = '1001'");
        else if (names.has('user_id')) remaining = countRows(fixture, `SELECT count(*) FROM "${table}" WHERE user_id = ?`, alice.id);
        else if (names.has('turn_id'))
          remaining = countRows(fixture, `SELECT count(*) FROM "${table}" WHERE turn_id IN (SELECT value FROM json_each(?))`, JSON.stringify(aliceTurnIds));
        else assert.fail(`table ${table} has no user_id or turn_id; teach forgetUser and this test about it`);
        assert.equal(remaining, 0, `${table} still holds rows of the forgotten user`);
      }

      assert.equal(store.findUser({ platform: 'telegram', platformUserId: '1001' }), undefined);
      assert.equal(store.exportUser(alice.id), undefined);
      assert.deepEqual(store.exportUser(bob.id), bobBefore);

      // secure_delete plus the checkpoint: the words are gone from the files, not just unlinked.
      const onDisk = [filePath, `${filePath}-wal`]
        .filter((file) => fs.existsSync(file))
        .map((file) => fs.readFileSync(file).toString('latin1'))
        .join('');
      assert.ok(onDisk.includes('bob secret question'), 'the check below must be able to see text');
      assert.ok(!onDisk.includes('alice secret question'));
    });
  });
});

describe('processed platform events', () => {
  test('a delivery is recorded with the turn that answered it, once, and swept by age', () => {
    const folder = fs.mkdtempSync(os.tmpdir() + '/seed-');
    let now = 1_000;
    const store = new Store(openDatabase(path.join(folder, 'events.sqlite')), { now: () => now });
    try {
      const event = { platform: 'telegram', eventId: '42' };
      const user = store.ensureUser({ platform: 'telegram', platformUserId: '7' });
      const conversation = store.currentConversation(user.id, '7');
      const { turn } = store.beginTurn({ conversationId: conversation.id, userId: user.id, question: 'q', questionSource: 'text', mediaRetentionMs: 1 });
      assert.equal(store.isEventProcessed(event), false);
      store.completeTurn(turn.id, 'a', event);
      assert.equal(store.isEventProcessed(event), true);
      assert.equal(store.isEventProcessed({ platform: 'discord', eventId: '42' }), false);
      store.recordEvent(event);
      now = 5_000;
      store.recordEvent({ platform: 'telegram', eventId: '43' });
      assert.equal(store.sweepEventsOlderThan(2_000), 1);
      assert.equal(store.isEventProcessed(event), false);
      assert.equal(store.isEventProcessed({ platform: 'telegram', eventId: '43' }), true);
    } finally {
      store.close();
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('the delivery inbox', () => {
  test('a kept delivery stays until its answer is recorded; an album answer settles every part; answered ones are not kept again', () => {
    const folder = fs.mkdtempSync(os.tmpdir() + '/seed-');
    const store = new Store(openDatabase(path.join(folder, 'inbox.sqlite')));
    try {
      const keep = (eventId: string) => store.keepDelivery({ platform: 'telegram', eventId, platformUserId: '7', payload: `{"update_id":${eventId}}` });
      const waiting = () => store.unansweredDeliveries('telegram').map((entry) => entry.eventId);
      for (const id of ['1', '2', '3', '4']) keep(id);
      keep('1');
      assert.deepEqual(waiting(), ['1', '2', '3', '4'], 'keeping twice keeps once, in order');

      const user = store.ensureUser({ platform: 'telegram', platformUserId: '7' });
      const conversation = store.currentConversation(user.id, '7');
      const begin = () => store.beginTurn({ conversationId: conversation.id, userId: user.id, question: 'q', questionSource: 'text', mediaRetentionMs: 1 }).turn;
      store.completeTurn(begin().id, 'an answer', { platform: 'telegram', eventId: '1' });
      store.failTurn(begin().id, 'model-failed', undefined, { platform: 'telegram', eventId: 'album:9', inboxIds: ['2', '3'] });
      assert.deepEqual(waiting(), ['4']);
      keep('1');
      assert.deepEqual(waiting(), ['4'], 'an answered delivery is not kept again');

      const pending = begin();
      store.noteReplay({ platform: 'telegram', eventId: '4' });
      assert.equal(store.unansweredDeliveries('telegram')[0]!.attempts, 1);
      assert.equal(store.failInterruptedTurns('interrupted'), 1);
      const turns = store.exportUser(user.id)!.conversations.flatMap((item) => item.turns);
      assert.deepEqual(turns.find((turn) => turn.id === pending.id)?.status, 'failed');
      store.dropDelivery({ platform: 'telegram', eventId: '4' });
      assert.deepEqual(waiting(), []);
      keep('5');
      assert.equal(store.sweepInboxOlderThan(Date.now() - 60_000), 0, 'a fresh message is kept');
      assert.equal(store.sweepInboxOlderThan(Date.now() + 1), 1, 'a stale one is swept');
    } finally {
      store.close();
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
