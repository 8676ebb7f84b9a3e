import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase, Store, type UserRecord } from '../storage/index.js';
import { createLogger, startRetentionSweeper } from '../core/index.js';
import { runCommand } from '../core/commands/index.js';
import { messagesFor } from '../core/i18n/index.js';
import { spanish } from './fixtures/spanish.js';
import { makeTempFolder } from './helpers/temp-folder.js';

/*
 * Deleted data must leave the database files, not only the tables: these tests read the real
 * files on disk (the database and its write-ahead log) and look for the deleted bytes. A second
 * connection holding a read snapshot stands for another process (a backup, an sqlite3 shell) that
 * keeps the log from being reset.
 */

const HOUR = 3_600_000;
const folder = makeTempFolder();
after(() => folder.remove());
let fileCount = 0;

/** A photo whose bytes are easy to find in a file, different per call. */
const photoBytes = (label: string) => Buffer.from(`PHOTO-${label}-`.repeat(100));

function filesHold(filePath: string, needle: string | Buffer): boolean {
  return [filePath, `${filePath}-wal`]
    .filter((file) => fs.existsSync(file))
    .some((file) => fs.readFileSync(file).includes(needle));
}

interface Fixture {
  readonly store: Store;
  readonly filePath: string;
  readonly clock: { now: number };
  readonly user: UserRecord;
  /** A second connection, as another process would hold: `hold()` starts a read snapshot, `release()` ends it. */
  readonly reader: { hold(): void; release(): void };
}

async function withStore(body: (fixture: Fixture) => void | Promise<void>): Promise<void> {
  const filePath = path.join(folder.path, `wipe-${++fileCount}.sqlite`);
  const clock = { now: 1_700_000_000_000 };
  const store = new Store(openDatabase(filePath), { now: () => clock.now });
  const other = new Database(filePath);
  const reader = {
    hold: () => {
      other.exec('BEGIN');
      other.prepare('SELECT count(*) FROM turns').get();
    },
    release: () => other.exec('COMMIT'),
  };
  try {
    const user = store.ensureUser({ platform: 'telegram', platformUserId: '77' });
    await body({ store, filePath, clock, user, reader });
  } finally {
    if (other.inTransaction) other.exec('COMMIT');
    other.close();
    store.close();
  }
}

function askWithPhoto(store: Store, user: UserRecord, question: string, photo: Buffer): void {
  const conversation = store.currentConversation(user.id, 'dm');
  const { turn } = store.beginTurn({
    conversationId: conversation.id,
    userId: user.id,
    question,
    questionSource: 'text',
    media: [{ mediaType: 'image/jpeg', width: 64, height: 64, data: photo }],
    mediaRetentionMs: HOUR,
  });
  store.completeTurn(turn.id, `answer to ${question}`);
}

/** A logger whose lines the test can read, and wait for. */
function capturedLogger() {
  const lines: Array<{ level: number; msg: string; [key: string]: unknown }> = [];
  const waiters: Array<{ match: RegExp; resolve: () => void }> = [];
  const logger = createLogger({
    level: 'info',
    destination: {
      write(text: string) {
        const line = JSON.parse(text) as (typeof lines)[number];
        lines.push(line);
        for (const waiter of waiters.filter((candidate) => candidate.match.test(line.msg))) waiter.resolve();
      },
    },
  });
  const logged = (match: RegExp) =>
    lines.some((line) => match.test(line.msg)) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ match, resolve }));
  return { logger, lines, logged };
}

describe('deleted data leaves the database files', () => {
  test('the retention sweep leaves no copy of an expired photo in the -wal file, even after a checkpoint', async () => {
    await withStore(({ store, filePath, clock, user }) => {
      const photo = photoBytes('expired');
      askWithPhoto(store, user, 'what is this?', photo);
      assert.ok(filesHold(filePath, photo), 'the check must be able to see the photo before it is deleted');
      clock.now += HOUR;
      assert.equal(store.sweepExpiredMedia(), 1);
      assert.ok(!filesHold(filePath, photo), 'the expired photo is still in the database files');
      assert.equal(fs.statSync(`${filePath}-wal`).size, 0);
      assert.equal(store.wipePending, false);
    });
  });

  test('the history sweep leaves no copy of an old question or its photo in the files', async () => {
    await withStore(({ store, filePath, clock, user }) => {
      const photo = photoBytes('old');
      askWithPhoto(store, user, 'an old private question', photo);
      clock.now += 48 * HOUR;
      askWithPhoto(store, user, 'a recent question', photoBytes('recent'));
      assert.equal(store.sweepHistoryOlderThan(clock.now - HOUR), 1);
      assert.ok(!filesHold(filePath, 'an old private question'));
      assert.ok(!filesHold(filePath, photo));
      assert.ok(filesHold(filePath, 'a recent question'), 'the check must be able to see text');
    });
  });

  test('forget while a reader holds a snapshot: reported as not yet wiped, and wiped once the reader lets go', async () => {
    await withStore(({ store, filePath, user, reader }) => {
      askWithPhoto(store, user, 'a private question', photoBytes('forgotten'));
      reader.hold();
      const result = store.forgetUser(user.id);
      assert.equal(result.wipedFromDisk, false);
      assert.equal(result.turns, 1);
      assert.equal(store.wipePending, true);
      // Honest: the rows are gone from the tables, but their bytes are still in the files.
      assert.equal(store.exportUser(user.id), undefined);
      assert.ok(filesHold(filePath, 'a private question'));
      // Never waits for the reader (busy_timeout is 5 s), and keeps failing while it reads.
      assert.equal(store.wipeDeletedData(), false);

      reader.release();
      assert.equal(store.wipeDeletedData(), true);
      assert.equal(store.wipePending, false);
      assert.ok(!filesHold(filePath, 'a private question'));
      assert.ok(!filesHold(filePath, photoBytes('forgotten')));
    });
  });

  test('forget with no other reader is wiped at once', async () => {
    await withStore(({ store, filePath, user }) => {
      askWithPhoto(store, user, 'a private question', photoBytes('now'));
      assert.equal(store.forgetUser(user.id).wipedFromDisk, true);
      assert.ok(!filesHold(filePath, 'a private question'));
      assert.ok(!filesHold(filePath, photoBytes('now')));
    });
  });

  test('the sweeper retries the wipe while a reader holds a snapshot, logs it, and the photo leaves the -wal file', async () => {
    await withStore(async ({ store, filePath, clock, user, reader }) => {
      const photo = photoBytes('swept');
      askWithPhoto(store, user, 'what colour?', photo);
      clock.now += HOUR;
      reader.hold();
      const { logger, lines, logged } = capturedLogger();
      const attemptsSeen: number[] = [];
      const stop = startRetentionSweeper(store, logger, {
        historyRetentionMs: 30 * 24 * HOUR,
        now: () => clock.now,
        wipeRetry: {
          attempts: 5,
          backoffMs: (attempt) => {
            attemptsSeen.push(attempt);
            // The reader lets go while the sweeper waits before its second try.
            if (attempt === 2) reader.release();
            return 1;
          },
        },
      });
      try {
        // The sweep ran at start: the photo row is gone, its bytes not yet.
        assert.equal(store.latestMedia(store.currentConversation(user.id, 'dm').id).length, 0);
        assert.ok(filesHold(filePath, photo));
        await logged(/deleted data wiped from the database files/);
        assert.ok(!filesHold(filePath, photo), 'the expired photo is still in the database files');
        assert.deepEqual(attemptsSeen, [1, 2]);
        const messages = lines.map((line) => line.msg);
        assert.ok(messages.some((message) => /still in the write-ahead log.*retrying/.test(message)));
        assert.equal(lines.find((line) => /wiped/.test(line.msg))?.attempts, 2);
        assert.equal(store.wipePending, false);
      } finally {
        stop();
      }
    });
  });

  test('the sweeper gives up after its tries while a reader holds on, and says so in the log', async () => {
    await withStore(async ({ store, filePath, user, reader }) => {
      const { logger, logged } = capturedLogger();
      const stop = startRetentionSweeper(store, logger, {
        historyRetentionMs: 30 * 24 * HOUR,
        wipeRetry: { attempts: 3, backoffMs: () => 1 },
      });
      try {
        askWithPhoto(store, user, 'a private question', photoBytes('held'));
        reader.hold();
        assert.equal(store.forgetUser(user.id).wipedFromDisk, false);
        await logged(/trying again at the next sweep/);
        assert.equal(store.wipePending, true);
        assert.ok(filesHold(filePath, 'a private question'));
      } finally {
        stop();
      }
    });
  });

  test('the /forget reply says "Done" only once the data is gone from the files', async () => {
    const catalogues = [messagesFor('en'), messagesFor('zh'), spanish];
    await withStore(({ store, user, reader }) => {
      const context = {
        store,
        user: { platform: 'telegram', platformUserId: '77' },
        chatId: 'dm',
        messages: messagesFor('en'),
        mediaRetentionHours: 24,
        messagesAfter: () => messagesFor('en'),
      };
      askWithPhoto(store, user, 'a private question', photoBytes('reply'));
      reader.hold();
      const held = runCommand('forget', '', context).text;
      assert.doesNotMatch(held, /Done/);
      assert.match(held, /^I deleted everything I stored about you: 1 conversation, 1 question with their answers, 1 photo, and your settings\. /);
      assert.match(held, /It is gone from my memory, and will be wiped from the disk shortly\.$/);
      reader.release();

      store.ensureUser({ platform: 'telegram', platformUserId: '77' });
      assert.match(runCommand('forget', '', context).text, /^Done\. I deleted everything/);
    });
    // Every catalogue words the two cases differently, and only the finished one as done.
    const counts = { users: 1, settings: 0, conversations: 1, turns: 1, media: 1, deliveries: 0, inbox: 0 };
    for (const messages of catalogues) {
      const done = messages.forgotten({ ...counts, wipedFromDisk: true });
      const pending = messages.forgotten({ ...counts, wipedFromDisk: false });
      assert.notEqual(done, pending);
    }
    assert.match(spanish.forgotten({ ...counts, wipedFromDisk: true }), /^Hecho\./);
    assert.doesNotMatch(spanish.forgotten({ ...counts, wipedFromDisk: false }), /Hecho/);
    assert.match(messagesFor('zh').forgotten({ ...counts, wipedFromDisk: true }), /^已完成。/);
    assert.doesNotMatch(messagesFor('zh').forgotten({ ...counts, wipedFromDisk: false }), /已完成/);
  });
});
