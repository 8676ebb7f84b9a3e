/**
 * Serving many people through the real assistant on a real SQLite file: the fair line (one turn at
 * a time per person, the place in line said once, a full line refused with nothing kept), commands
 * that never wait behind a model turn, the access policy, the turn deadline and a restart with
 * turns waiting. The model is a test double whose answers the test releases, so every check is
 * about order, never about time.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import {
  AccessPolicy,
  ModelError,
  TurnScheduler,
  type GenerateRequest,
  type GenerateStreamPart,
  type ReplyPart,
  type VisionLanguageModel,
} from '../core/index.js';
import { ScriptedVisionModel } from '../core/models/testing/scripted-vision-model.js';
import { makeHarness, type Harness } from './helpers/assistant-harness.js';

/** Answers only when the test opens the gate for that request; records the order requests started. */
class GatedModel implements VisionLanguageModel {
  readonly id = 'gated';
  readonly capabilities = { maxImages: 4, contextTokens: 8192 };
  readonly started: string[] = [];
  private readonly gates: Array<() => void> = [];
  private readonly waiting: Array<() => void> = [];

  async *generate(request: GenerateRequest): AsyncIterable<GenerateStreamPart> {
    const question = request.messages.at(-1)!.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
    this.started.push(question.split('\n').at(-1) ?? '');
    for (const wake of this.waiting.splice(0)) wake();
    await new Promise<void>((resolve, reject) => {
      this.gates.push(resolve);
      request.signal?.addEventListener('abort', () => reject(new ModelError('aborted', 'Generation was cancelled.')), { once: true });
    });
    yield { type: 'text-delta', text: `Answer to: ${this.started.at(-1)}` };
    yield { type: 'finish', reason: 'stop', usage: { outputTokens: 1 } };
  }

  /** Resolves once `count` requests have started. */
  async startedCount(count: number): Promise<void> {
    while (this.started.length < count) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Lets the oldest request still waiting answer. */
  open(): void {
    this.gates.shift()?.();
  }
}

let harness: Harness | undefined;
afterEach(() => {
  harness?.close();
  harness = undefined;
});

const kinds = (parts: readonly ReplyPart[]): string[] => parts.map((part) => part.type);

test('a newer message from the same person waits behind the older one; commands answer at once', async () => {
  const model = new GatedModel();
  harness = makeHarness(model, { scheduler: new TurnScheduler({ concurrency: 4, maxWaiting: 100, initialTurnMs: 60_000 }) });
  const first = harness.send({ text: 'first question' });
  await model.startedCount(1);
  const second = harness.send({ text: 'second question' });
  // A command from the same person while their model turn runs: answered without waiting.
  const settings = await harness.send({ text: '/settings' });
  assert.match(settings[0]!.text, /^Reply length is normal\./u);
  assert.deepEqual(model.started, ['first question'], 'the second turn must not start while the first runs');
  model.open();
  assert.match((await first).at(-1)!.text, /first question/u);
  await model.startedCount(2);
  model.open();
  const secondParts = await second;
  assert.match(secondParts.at(-1)!.text, /second question/u);
  assert.deepEqual(kinds(secondParts), ['answer'], 'waiting behind one\'s own message is not announced as a place in line');
});

test('a long wait is announced once with the place in line; other people run side by side up to the limit', async () => {
  const model = new GatedModel();
  harness = makeHarness(model, { scheduler: new TurnScheduler({ concurrency: 1, maxWaiting: 100, initialTurnMs: 10_000 }), placeNoticeAfterMs: 5000 });
  const alice = harness.send({ text: 'alice asks', userId: 'alice' });
  await model.startedCount(1);
  const bob = harness.send({ text: 'bob asks', userId: 'bob' });
  const carol = harness.send({ text: 'carol asks', userId: 'carol' });
  model.open();
  await alice;
  await model.startedCount(2);
  model.open();
  const bobParts = await bob;
  await model.startedCount(3);
  model.open();
  const carolParts = await carol;
  assert.deepEqual(kinds(bobParts), ['notice', 'answer']);
  assert.equal(bobParts[0]!.text, 'You are first in line; about 10 seconds.');
  assert.equal(carolParts[0]!.text, 'You are second in line; about 20 seconds.');
  assert.equal(carolParts.filter((part) => part.type === 'notice').length, 1);
  assert.deepEqual(model.started, ['alice asks', 'bob asks', 'carol asks']);
});

test('a full line refuses politely and keeps nothing of the message', async () => {
  const model = new GatedModel();
  harness = makeHarness(model, { scheduler: new TurnScheduler({ concurrency: 1, maxWaiting: 0 }) });
  const alice = harness.send({ text: 'alice asks', userId: 'alice' });
  await model.startedCount(1);
  const bob = await harness.send({ text: 'bob asks', userId: 'bob', eventId: 'update-7' });
  assert.deepEqual(bob, [{ type: 'problem', text: 'I am very busy right now and could not take your message. Please send it again in a minute.', reason: 'busy' }]);
  assert.equal(harness.store.findUser({ platform: 'test', platformUserId: 'bob' }), undefined, 'nothing stored about bob');
  model.open();
  await alice;
});

test('the allow-list, the rate limit and the daily quota refuse model turns kindly; commands still work', async () => {
  let now = Date.parse('2026-12-02T10:00:00Z');
  const policy = new AccessPolicy({ allowList: ['test:alice'], admins: ['test:root'], ratePerMinute: 2, dailyQuota: 2, timeZone: 'UTC', now: () => now });
  const model = new GatedModel();
  harness = makeHarness(model, { accessPolicy: policy, now: () => now });
  const stranger = await harness.send({ text: 'may I?', userId: 'mallory' });
  assert.deepEqual(stranger, [
    {
      type: 'problem',
      text: 'This assistant is private, and your account is not on its list. Ask the person who runs it to add you, and give them this id: test:mallory.',
      reason: 'not-allowed',
    },
  ]);
  assert.equal(harness.store.findUser({ platform: 'test', platformUserId: 'mallory' }), undefined);
  assert.match((await harness.send({ text: '/help', userId: 'mallory' }))[0]!.text, /^Send a photo/u);

  const ask = async (text: string, userId = 'alice'): Promise<ReplyPart[]> => {
    const reply = harness!.send({ text, userId });
    const settled = await Promise.race([reply, model.startedCount(model.started.length + 1).then(() => undefined)]);
    if (settled) return settled;
    model.open();
    return reply;
  };
  assert.equal((await ask('one')).at(-1)!.type, 'answer');
  assert.equal((await ask('two')).at(-1)!.type, 'answer');
  const third = await ask('three');
  assert.equal(third[0]!.text, "You have used today's 2 questions. You can ask again after midnight, in about 14 hours. Commands such as /mydata still work.");
  assert.equal((await ask('root asks', 'root')).at(-1)!.type, 'answer', 'admins are exempt');
  now = Date.parse('2026-12-03T00:00:01Z');
  assert.equal((await ask('a new day')).at(-1)!.type, 'answer');
  assert.equal((await ask('again')).at(-1)!.type, 'answer');
  const tooFast = await ask('and again');
  assert.equal(tooFast[0]!.type === 'problem' && tooFast[0]!.reason, 'quota');
});

test('a turn past its deadline is stopped and the person hears it took too long', async () => {
  const model = new GatedModel();
  harness = makeHarness(model, { turnDeadlineMs: 50 });
  const parts = await harness.send({ text: 'a slow one', eventId: 'update-9' });
  const last = parts.at(-1)!;
  assert.equal(last.type === 'problem' && last.reason, 'timeout');
  assert.equal(last.text, 'That took too long, so I stopped. Please try again, or send /settings length short for shorter answers.');
  assert.equal(harness.store.isEventProcessed({ platform: 'test', eventId: 'update-9' }), true, 'answered, so not redelivered');
});

test('a restart: people waiting are told, their deliveries stay unanswered for the replay, the running turn finishes', async () => {
  const model = new GatedModel();
  harness = makeHarness(model, { scheduler: new TurnScheduler({ concurrency: 1, maxWaiting: 100 }) });
  const alice = harness.send({ text: 'alice asks', userId: 'alice', eventId: 'update-1' });
  await model.startedCount(1);
  const bob = harness.send({ text: 'bob asks', userId: 'bob', eventId: 'update-2' });
  await new Promise((resolve) => setImmediate(resolve));
  harness.assistant.stopTakingTurns();
  const bobParts = await bob;
  assert.deepEqual(bobParts.at(-1), { type: 'problem', text: 'I am restarting. Your message is kept, and I will answer it in a moment.', reason: 'restarting' });
  assert.equal(harness.store.isEventProcessed({ platform: 'test', eventId: 'update-2' }), false);
  model.open();
  assert.equal((await alice).at(-1)!.type, 'answer');
  await harness.assistant.modelTurnsFinished();
  assert.equal(harness.store.isEventProcessed({ platform: 'test', eventId: 'update-1' }), true);
  assert.deepEqual(model.started, ['alice asks']);
});

test('nobody starves: one person sends 50 questions first, everyone else is answered before their tenth', async () => {
  const model = new ScriptedVisionModel((request) => {
    const question = request.messages.at(-1)!.content.map((part) => (part.type === 'text' ? part.text : '')).join('').split('\n').at(-1);
    return { chunks: [`Answer to ${question}.`], chunkDelayMs: 1 };
  });
  harness = makeHarness(model, { scheduler: new TurnScheduler({ concurrency: 1, maxWaiting: 1000 }) });
  const sends = [
    ...Array.from({ length: 50 }, (_, index) => harness!.send({ text: `heavy ${index + 1}`, userId: 'heavy' })),
    ...Array.from({ length: 10 }, (_, index) => harness!.send({ text: `other ${index + 1}`, userId: `person-${index + 1}` })),
  ];
  await Promise.all(sends);
  const order = model.requests.map((request) => request.messages.at(-1)!.content.map((part) => (part.type === 'text' ? part.text : '')).join('').split('\n').at(-1));
  const tenthHeavy = order.indexOf('heavy 10');
  const lastOther = Math.max(...Array.from({ length: 10 }, (_, index) => order.indexOf(`other ${index + 1}`)));
  assert.ok(lastOther < tenthHeavy, `the last other person started at ${lastOther}, the heavy sender's tenth at ${tenthHeavy}`);
  assert.deepEqual(
    order.filter((question) => question?.startsWith('heavy')),
    Array.from({ length: 50 }, (_, index) => `heavy ${index + 1}`),
    'one person\'s questions keep their order',
  );
});
