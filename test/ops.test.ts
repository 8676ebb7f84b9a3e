import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { createTelegramPlatform, type TelegramPlatform } from '../adapters/telegram/index.js';
import { checkHealth, OpsServerStartError, PrometheusMetrics, startOpsServer, type OpsServer } from '../bots/ops/index.js';
import {
  Assistant,
  ModelError,
  silentLogger,
  TurnDelivery,
  type IncomingTurn,
  type Inbox,
  type ReceiveOptions,
  type ReplyChannel,
  type TextReader,
  type VisionLanguageModel,
} from '../core/index.js';
import { DEFAULT_IMAGE_LIMITS } from '../core/media/index.js';
import { ScriptedSpeechModel } from '../core/models/testing/scripted-speech-model.js';
import { ScriptedVisionModel } from '../core/models/testing/scripted-vision-model.js';
import {
  instrumentReplyChannel,
  instrumentSpeech,
  instrumentTextReader,
  instrumentVisionModel,
  noMetrics,
  schedulerObserver,
  type AssistantMetrics,
  type DeliveredPartKind,
  type TurnResult,
} from '../core/observability/index.js';
import { openDatabase, Store } from '../storage/index.js';
import { startDiscordHarness } from './helpers/discord-harness.js';
import { privateChat, startFakeTelegram, supergroupChat, telegramUser, type FakeTelegram } from './helpers/fake-telegram.js';
import { describingModel } from './helpers/telegram-harness.js';
import { makeTempFolder } from './helpers/temp-folder.js';

interface Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request on a fresh connection, so no kept-alive socket outlives the test. */
function call(port: number, path: string, method = 'GET'): Promise<Response> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, path, method, agent: false }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') }));
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** The value of one series in Prometheus text, e.g. `seed_turns_total{platform="telegram",outcome="answered"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * Stands in for the hooks the lead adds to TurnDelivery: parts counted as the platform accepts
 * them, and one outcome per turn from what was delivered.
 */
class MeteredInbox implements Inbox {
  readonly finished = new EventEmitter();
  count = 0;
  private readonly inProgress = new Set<Promise<void>>();

  constructor(
    private readonly inner: TurnDelivery,
    private readonly metrics: AssistantMetrics,
  ) {}

  get journal() {
    return this.inner.journal;
  }

  receive(turn: IncomingTurn, channel: ReplyChannel, options?: ReceiveOptions): Promise<void> {
    const kinds: DeliveredPartKind[] = [];
    const seen: AssistantMetrics = { ...noMetrics, partDelivered: (platform, kind) => {
      kinds.push(kind);
      this.metrics.partDelivered(platform, kind);
    } };
    const work = this.inner.receive(turn, instrumentReplyChannel(channel, turn.platform, seen), options).then(() => {
      const outcome: TurnResult = kinds.includes('answer') ? 'answered' : kinds.includes('problem') ? 'problem' : kinds.length > 0 ? 'replied' : 'skipped';
      this.metrics.turnFinished(turn.platform, outcome);
      this.count += 1;
      this.finished.emit('turn');
    });
    this.inProgress.add(work);
    void work.finally(() => this.inProgress.delete(work));
    return work;
  }

  async idle(): Promise<void> {
    while (this.inProgress.size > 0) await Promise.all([...this.inProgress]);
  }

  async turns(count: number): Promise<void> {
    while (this.count < count) await once(this.finished, 'turn');
  }
}

interface Bot {
  readonly telegram: FakeTelegram;
  readonly platform: TelegramPlatform;
  readonly inbox: MeteredInbox;
  close(): Promise<void>;
}

/** The real grammy bot against the fake Bot API, as the Telegram harness builds it, with the model instrumented. */
async function startMeteredTelegram(metrics: AssistantMetrics, model: VisionLanguageModel): Promise<Bot> {
  const telegram = await startFakeTelegram();
  const folder = makeTempFolder();
  const store = new Store(openDatabase(join(folder.path, 'ops.sqlite')));
  const assistant = new Assistant({
    store,
    logger: silentLogger(),
    model: instrumentVisionModel(model, metrics),
    limits: { image: DEFAULT_IMAGE_LIMITS, maxImagesPerTurn: 4, mediaRetentionMs: 3_600_000, historyTokenBudget: 1500, historyTurns: 20 },
    voice: { speech: undefined, limits: { maxBytes: 20 * 1024 * 1024, maxSeconds: 120 } },
  });
  const platform = createTelegramPlatform({
    token: telegram.token,
    apiRoot: telegram.apiRoot,
    logger: silentLogger(),
    albumWindowMs: 800,
    downloadLimitBytes: 20 * 1024 * 1024,
    receive: { mode: 'polling' },
  });
  const inbox = new MeteredInbox(new TurnDelivery({ assistant, store, logger: silentLogger() }), metrics);
  await platform.start(inbox);
  return {
    telegram,
    platform,
    inbox,
    async close() {
      await platform.stop();
      await telegram.close();
      store.close();
      folder.remove();
    },
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function opsServer(options: Omit<Parameters<typeof startOpsServer>[0], 'port' | 'logger'>): Promise<OpsServer> {
  const server = await startOpsServer({ port: 0, logger: silentLogger(), ...options });
  cleanups.push(() => server.close());
  return server;
}

describe('ops endpoint', () => {
  test('/metrics counts turns, delivered parts and model timings from the Telegram bot, and never an id or a text', async () => {
    const metrics = new PrometheusMetrics();
    const bot = await startMeteredTelegram(metrics, describingModel());
    cleanups.push(() => bot.close());
    const server = await opsServer({ registry: metrics.registry, health: () => ({ model: true, database: true, platforms: {} }) });

    const alice = telegramUser({ id: 730_111_222, first_name: 'Alice' });
    const bob = telegramUser({ id: 730_333_444, first_name: 'Bob' });
    const group = supergroupChat({ id: -1_009_876_543_210, title: 'Kitchen helpers' });
    const questions = ['Is the zucchini soup still warm', 'Which bus stops at Maplewood'];
    bot.telegram.sendText({ chat: privateChat(alice), from: alice, text: questions[0]! });
    bot.telegram.sendText({ chat: privateChat(bob), from: bob, text: questions[1]! });
    bot.telegram.sendText({ chat: privateChat(alice), from: alice, text: '/help' });
    await bot.inbox.turns(3);
    // A group message not addressed to the bot is not a turn: nothing counted, nothing labelled.
    bot.telegram.sendText({ chat: group, from: bob, text: 'Lunch at Rosalind Street' });
    bot.telegram.sendText({ chat: privateChat(bob), from: bob, text: 'Thanks Quentin' });
    await bot.inbox.turns(4);

    const response = await call(server.port, '/metrics');
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const text = response.body;
    assert.equal(sample(text, 'seed_turns_total{platform="telegram",outcome="answered"}'), 3);
    assert.equal(sample(text, 'seed_turns_total{platform="telegram",outcome="replied"}'), 1);
    assert.equal(sample(text, 'seed_turns_total{platform="telegram",outcome="failed"}'), 0);
    const answerParts = bot.telegram.sentMessages().filter((message) => /^(I see|You asked)/.test(message.text ?? '')).length;
    assert.equal(answerParts, 6);
    assert.equal(sample(text, 'seed_parts_delivered_total{platform="telegram",kind="answer"}'), answerParts);
    assert.equal(sample(text, 'seed_parts_delivered_total{platform="telegram",kind="reply"}'), 1);
    assert.equal(sample(text, 'seed_model_first_token_seconds_count'), 3);
    assert.equal(sample(text, 'seed_model_duration_seconds_count'), 3);
    assert.ok(sample(text, 'seed_model_duration_seconds_sum')! >= 0);
    // describingModel streams two chunks per answer and reports each as a token.
    assert.equal(sample(text, 'seed_model_output_tokens_total'), 6);
    assert.equal(sample(text, 'seed_model_errors_total{component="vision",kind="failed"}'), 0);
    assert.ok(sample(text, 'process_cpu_user_seconds_total')! > 0, 'process metrics are collected');
    assert.ok(sample(text, 'nodejs_heap_size_used_bytes')! > 0);

    for (const secret of [alice.id, bob.id, group.id, 'Alice', 'Bob', 'Kitchen', 'zucchini', 'Maplewood', 'Rosalind', 'Quentin', bot.telegram.token, 'seed_test_bot']) {
      assert.ok(!text.includes(String(secret)), `${String(secret)} appears in /metrics`);
    }
    const labelValues = new Set([...text.matchAll(/(\w+)="([^"]*)"/g)].map((match) => `${match[1]}=${match[2]}`));
    const ours = [...labelValues].filter((pair) => /^(platform|outcome|kind|component)=/.test(pair));
    assert.ok(ours.every((pair) => /^(platform|outcome|kind|component)=[a-z-]+$/.test(pair)), ours.join(', '));
  });

  test('/healthz is 200 while all is well and 503, same shape, once the model is gone or the platform stops', async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    const bot = await startMeteredTelegram(metrics, describingModel());
    cleanups.push(() => bot.close());
    let modelLoaded = true;
    let databaseWritable = true;
    const server = await opsServer({
      registry: metrics.registry,
      health: () => checkHealth({ model: () => modelLoaded, databaseWritable: () => databaseWritable, platforms: [bot.platform] }),
    });

    const healthy = await call(server.port, '/healthz');
    assert.equal(healthy.status, 200);
    assert.equal(healthy.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(JSON.parse(healthy.body), { ok: true, model: true, database: true, platforms: { telegram: true } });

    modelLoaded = false;
    const noModel = await call(server.port, '/healthz');
    assert.equal(noModel.status, 503);
    assert.deepEqual(JSON.parse(noModel.body), { ok: false, model: false, database: true, platforms: { telegram: true } });

    modelLoaded = true;
    databaseWritable = false;
    assert.deepEqual(JSON.parse((await call(server.port, '/healthz')).body), { ok: false, model: true, database: false, platforms: { telegram: true } });

    databaseWritable = true;
    await bot.platform.stop();
    const stopped = await call(server.port, '/healthz');
    assert.equal(stopped.status, 503);
    assert.deepEqual(JSON.parse(stopped.body), { ok: false, model: true, database: true, platforms: { telegram: false } });

    const head = await call(server.port, '/healthz', 'HEAD');
    assert.equal(head.status, 503);
    assert.equal(head.body, '');
  });

  test('a health check that throws or hangs reads as 503, and the error never reaches the response', async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    const throwing = await opsServer({
      registry: metrics.registry,
      health: () => {
        throw new Error('SQLITE_IOERR at /srv/secret-path/seed.sqlite');
      },
    });
    const failed = await call(throwing.port, '/healthz');
    assert.equal(failed.status, 503);
    assert.deepEqual(JSON.parse(failed.body), { ok: false, model: false, database: false, platforms: {} });
    assert.ok(!failed.body.includes('secret-path'));

    const hanging = await opsServer({ registry: metrics.registry, healthTimeoutMs: 20, health: () => new Promise(() => {}) });
    assert.equal((await call(hanging.port, '/healthz')).status, 503);

    const broken = await opsServer({
      registry: { contentType: 'text/plain', metrics: () => Promise.reject(new Error('collector at /srv/secret-path failed')) },
      health: () => ({ model: true, database: true, platforms: {} }),
    });
    const response = await call(broken.port, '/metrics');
    assert.equal(response.status, 500);
    assert.equal(response.body, 'Internal error\n');

    // A probe that throws is a failing part, not a failing check.
    const report = await checkHealth({
      model: () => true,
      databaseWritable: () => {
        throw new Error('disk I/O error');
      },
      platforms: [{ name: 'console' }, { name: 'discord', isConnected: () => false }],
    });
    assert.deepEqual(report, { model: true, database: false, platforms: { console: true, discord: false } });
  });

  test('unknown paths are 404, other methods 405; a query string is ignored', async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    const server = await opsServer({ registry: metrics.registry, health: () => ({ model: true, database: true, platforms: {} }) });
    assert.equal((await call(server.port, '/')).status, 404);
    assert.equal((await call(server.port, '/metrics/extra')).status, 404);
    assert.equal((await call(server.port, '/HEALTHZ')).status, 404);
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const refused = await call(server.port, '/metrics', method);
      assert.equal(refused.status, 405, method);
      assert.equal(refused.headers.allow, 'GET, HEAD');
    }
    const scraped = await call(server.port, '/metrics?name[]=seed_turns_total');
    assert.equal(scraped.status, 200);
    assert.match(scraped.body, /^# HELP seed_turns_total /m);
    const head = await call(server.port, '/metrics', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  test('a port in use is one line naming OPS_PORT', async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    const first = await opsServer({ registry: metrics.registry, health: () => ({ model: true, database: true, platforms: {} }) });
    await assert.rejects(startOpsServer({ port: first.port, logger: silentLogger(), registry: metrics.registry, health: () => ({ model: true, database: true, platforms: {} }) }), (error: unknown) => {
      assert.ok(error instanceof OpsServerStartError);
      assert.match(error.message, new RegExp(`^OPS_PORT ${first.port} on 127\\.0\\.0\\.1 is already in use`));
      return true;
    });
  });
});

/** Records what the decorators report, for assertions on exact calls. */
function recordingMetrics(): AssistantMetrics & { readonly calls: Array<[string, ...unknown[]]> } {
  const calls: Array<[string, ...unknown[]]> = [];
  const record = (name: string) => (...args: unknown[]) => void calls.push([name, ...args]);
  return {
    calls,
    turnFinished: record('turnFinished'),
    partDelivered: record('partDelivered'),
    modelTimings: record('modelTimings'),
    speechTimings: record('speechTimings'),
    ocrTimings: record('ocrTimings'),
    modelError: record('modelError'),
    queueChanged: record('queueChanged'),
    queueWaited: record('queueWaited'),
  };
}

/** A clock that moves only when told, so timings are exact. */
function manualClock(): { now(): number; advance(ms: number): void } {
  let time = 1000;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

describe('instrumented models', () => {
  test('a stream reports first token, duration and output tokens, counting only the waits on the model', async () => {
    const clock = manualClock();
    const metrics = recordingMetrics();
    const model: VisionLanguageModel = {
      id: 'timed',
      capabilities: { maxImages: 1 },
      async *generate() {
        clock.advance(300);
        yield { type: 'text-delta', text: 'A ' };
        clock.advance(50);
        yield { type: 'text-delta', text: 'cat.' };
        clock.advance(10);
        yield { type: 'finish', reason: 'stop', usage: { inputTokens: 120, outputTokens: 7 } };
      },
    };
    const instrumented = instrumentVisionModel(model, metrics, clock.now);
    const texts: string[] = [];
    for await (const part of instrumented.generate({ messages: [], maxOutputTokens: 10 })) {
      if (part.type === 'text-delta') texts.push(part.text);
      // Time the consumer spends (sending to the chat) is not the model's.
      clock.advance(1000);
    }
    assert.deepEqual(texts, ['A ', 'cat.']);
    assert.deepEqual(metrics.calls, [['modelTimings', { durationMs: 360, firstTokenMs: 300, outputTokens: 7, inputTokens: 120 }]]);
  });

  test('errors are counted by ModelError kind, anything else as internal; passing through unchanged', async () => {
    const metrics = recordingMetrics();
    const failing = instrumentVisionModel(new ScriptedVisionModel({ chunks: ['Half'], failWith: new ModelError('timeout', 'too slow') }), metrics);
    await assert.rejects(async () => {
      for await (const _ of failing.generate({ messages: [], maxOutputTokens: 10 })) void _;
    }, (error: unknown) => error instanceof ModelError && error.kind === 'timeout');
    const odd: VisionLanguageModel = {
      id: 'odd',
      capabilities: { maxImages: 0 },
      generate() {
        throw new TypeError('not a stream');
      },
    };
    assert.throws(() => instrumentVisionModel(odd, metrics).generate({ messages: [], maxOutputTokens: 1 }), TypeError);
    assert.deepEqual(metrics.calls, [['modelError', 'vision', 'timeout'], ['modelError', 'vision', 'internal']]);
  });

  test('a consumer that stops early ends the model stream and reports no duration', async () => {
    const metrics = recordingMetrics();
    let finished = false;
    const model: VisionLanguageModel = {
      id: 'long',
      capabilities: { maxImages: 0 },
      async *generate() {
        try {
          for (;;) yield { type: 'text-delta', text: 'more ' };
        } finally {
          finished = true;
        }
      },
    };
    for await (const _ of instrumentVisionModel(model, metrics).generate({ messages: [], maxOutputTokens: 10 })) break;
    assert.equal(finished, true);
    assert.deepEqual(metrics.calls, []);
  });

  test('optional members exist on a wrapper exactly when the wrapped object has them', async () => {
    const bare = instrumentVisionModel(new ScriptedVisionModel(), noMetrics);
    assert.equal(bare.id, 'scripted');
    assert.deepEqual(bare.capabilities, { maxImages: 4, contextTokens: 8192 });
    assert.equal(bare.countTokens, undefined);
    assert.equal(bare.forgetImages, undefined);

    const forgotten: Array<readonly string[] | undefined> = [];
    const full: VisionLanguageModel = {
      id: 'full',
      capabilities: { maxImages: 2 },
      countTokens: (text) => text.length,
      forgetImages: (keys) => void forgotten.push(keys),
      generate: () => new ScriptedVisionModel().generate({ messages: [], maxOutputTokens: 1 }),
    };
    const wrapped = instrumentVisionModel(full, noMetrics);
    assert.equal(wrapped.countTokens?.('four'), 4);
    wrapped.forgetImages?.(['a']);
    wrapped.forgetImages?.();
    assert.deepEqual(forgotten, [['a'], undefined]);

    assert.equal(instrumentSpeech(new ScriptedSpeechModel(), noMetrics).dispose, undefined);
    let disposed = false;
    const speech = instrumentSpeech({ id: 's', transcribe: () => Promise.reject(new Error('unused')), dispose: async () => void (disposed = true) }, noMetrics);
    await speech.dispose?.();
    assert.equal(disposed, true);

    const reader: TextReader = { id: 'r', read: () => Promise.reject(new Error('unused')) };
    assert.equal(instrumentTextReader(reader, noMetrics).warmUp, undefined);
    let warmed = false;
    await instrumentTextReader({ ...reader, warmUp: async () => void (warmed = true) }, noMetrics).warmUp?.();
    assert.equal(warmed, true);
  });

  test('speech and OCR report their durations and errors', async () => {
    const clock = manualClock();
    const metrics = recordingMetrics();
    const speech = instrumentSpeech(
      {
        id: 'speech',
        async transcribe(request) {
          clock.advance(800);
          if (request.language === 'xx') throw new ModelError('unavailable', 'server down');
          return { text: 'hello', language: 'en', durationSeconds: 3.5 };
        },
      },
      metrics,
      clock.now,
    );
    assert.equal((await speech.transcribe({ samples: new Float32Array(16) })).text, 'hello');
    await assert.rejects(speech.transcribe({ samples: new Float32Array(16), language: 'xx' }), ModelError);
    const reader = instrumentTextReader(
      {
        id: 'ocr',
        async read() {
          clock.advance(120);
          return { lines: [], width: 1, height: 1, rotation: 0 };
        },
      },
      metrics,
      clock.now,
    );
    assert.equal((await reader.read({ image: new Uint8Array(1) })).width, 1);
    const failingReader = instrumentTextReader({ id: 'ocr', read: () => Promise.reject(new RangeError('bad')) }, metrics);
    await assert.rejects(failingReader.read({ image: new Uint8Array(1) }), RangeError);
    assert.deepEqual(metrics.calls, [
      ['speechTimings', { durationMs: 800, audioSeconds: 3.5 }],
      ['modelError', 'speech', 'unavailable'],
      ['ocrTimings', { durationMs: 120 }],
      ['modelError', 'ocr', 'internal'],
    ]);
  });

  test('a metrics fault never reaches the model call', async () => {
    const exploding: AssistantMetrics = {
      ...noMetrics,
      modelTimings: () => {
        throw new Error('metrics bug');
      },
    };
    const parts: string[] = [];
    for await (const part of instrumentVisionModel(new ScriptedVisionModel({ chunks: ['Fine.'] }), exploding).generate({ messages: [], maxOutputTokens: 5 })) parts.push(part.type);
    assert.deepEqual(parts, ['text-delta', 'finish']);
  });

  test('the scheduler observer fills the queue gauges and the wait histogram', async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    const observer = schedulerObserver(metrics);
    observer.queueChanged(5, 2);
    observer.waited(1500);
    observer.waited(250);
    const text = await metrics.registry.metrics();
    assert.equal(sample(text, 'seed_queue_waiting_turns'), 5);
    assert.equal(sample(text, 'seed_queue_running_turns'), 2);
    assert.equal(sample(text, 'seed_queue_wait_seconds_count'), 2);
    assert.equal(sample(text, 'seed_queue_wait_seconds_sum'), 1.75);
    assert.equal(sample(text, 'seed_queue_wait_seconds_bucket{le="0.5"}'), 1);
  });

  test('a label never takes a value outside its fixed set', async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    metrics.turnFinished('telegram:730111222', 'answered');
    metrics.partDelivered('discord', 'secret text' as DeliveredPartKind);
    metrics.modelError('vision', 'Error: at /home/someone' as 'failed');
    metrics.modelTimings({ durationMs: Number.NaN, firstTokenMs: -1, outputTokens: Number.POSITIVE_INFINITY });
    const text = await metrics.registry.metrics();
    assert.equal(sample(text, 'seed_turns_total{platform="other",outcome="answered"}'), 1);
    assert.equal(sample(text, 'seed_parts_delivered_total{platform="discord",kind="other"}'), 1);
    assert.equal(sample(text, 'seed_model_errors_total{component="vision",kind="other"}'), 1);
    assert.equal(sample(text, 'seed_model_duration_seconds_count'), 0);
    assert.ok(!text.includes('730111222') && !text.includes('secret') && !text.includes('/home'));
  });
});

describe('platform connectivity', () => {
  test('Telegram: connected while polling or on its webhook, not after stopping', async () => {
    const polling = await startMeteredTelegram(noMetrics, describingModel());
    cleanups.push(() => polling.close());
    assert.equal(polling.platform.isConnected(), true);
    await polling.platform.stop();
    assert.equal(polling.platform.isConnected(), false);

    const telegram = await startFakeTelegram();
    const folder = makeTempFolder();
    const store = new Store(openDatabase(join(folder.path, 'webhook.sqlite')));
    const assistant = new Assistant({
      store,
      logger: silentLogger(),
      model: describingModel(),
      limits: { image: DEFAULT_IMAGE_LIMITS, maxImagesPerTurn: 4, mediaRetentionMs: 3_600_000, historyTokenBudget: 1500, historyTurns: 20 },
      voice: { speech: undefined, limits: { maxBytes: 1024, maxSeconds: 10 } },
    });
    const webhook = createTelegramPlatform({
      token: telegram.token,
      apiRoot: telegram.apiRoot,
      logger: silentLogger(),
      albumWindowMs: 800,
      downloadLimitBytes: 1024,
      receive: { mode: 'webhook', url: 'https://bot.example/telegram', host: '127.0.0.1', port: 0, secret: 'ops-test-secret' },
    });
    cleanups.push(async () => {
      await webhook.stop();
      await telegram.close();
      store.close();
      folder.remove();
    });
    assert.equal(webhook.isConnected(), false);
    await webhook.start(new TurnDelivery({ assistant, store, logger: silentLogger() }));
    assert.equal(webhook.isConnected(), true);
    await webhook.stop();
    assert.equal(webhook.isConnected(), false);
  });

  test('Discord: connected once ready, again after a dropped connection resumes, not after stopping', async () => {
    const harness = await startDiscordHarness();
    cleanups.push(() => harness.close());
    assert.equal(harness.platform.isConnected(), true);
    await harness.discord.disconnect({ reconnect: 'resume' });
    await harness.discord.whenConnected({ timeoutMs: 10_000 });
    // RESUMED reaches the client just after the fake counts the session live.
    const deadline = Date.now() + 10_000;
    while (!harness.platform.isConnected()) {
      assert.ok(Date.now() < deadline, 'still not connected after the session resumed');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await harness.platform.stop();
    assert.equal(harness.platform.isConnected(), false);
  });
});
