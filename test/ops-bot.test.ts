/**
 * The running bot as an operator meets it: `npm start` (the real command line, with a scripted
 * model) against the fake Telegram, with OPS_PORT set. /metrics counts the turns and parts that
 * went through, and says nothing about who sent them; /healthz is 200 while everything works. On
 * SIGTERM with one turn running and one waiting, the running one is finished, the waiting person
 * hears the assistant is restarting, and the restarted bot answers them.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, test } from 'node:test';
import { privateChat, startFakeTelegram, telegramUser, type FakeTelegram } from './helpers/fake-telegram.js';
import { makeTempFolder } from './helpers/temp-folder.js';
import { until, freePort } from './helpers/waiting.js';

const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));
const alice = telegramUser({ id: 5151, first_name: 'Alice', language_code: 'en' });
const bob = telegramUser({ id: 6262, first_name: 'Bob', language_code: 'en' });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function startBot(environment: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPOSITORY, 'test/fixtures/slow-model-cli.ts')], {
    cwd: REPOSITORY,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'silent', TTS_VOICE: 'off', ...environment },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) process.stderr.write(`bot exited with ${code}: ${stderr}\n`);
  });
  cleanups.push(() => void child.kill('SIGKILL'));
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

const textsTo = (telegram: FakeTelegram, person: { id: number }): string[] =>
  telegram.sentMessages(person.id).map((message) => ('text' in message ? (message.text ?? '') : ''));

async function setUp(pauseMs: number): Promise<{ telegram: FakeTelegram; environment: Record<string, string>; ops: string }> {
  const telegram = await startFakeTelegram();
  const folder = makeTempFolder();
  cleanups.push(() => folder.remove(), () => telegram.close());
  const port = await freePort();
  return {
    telegram,
    ops: `http://127.0.0.1:${port}`,
    environment: {
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      DATA_DIR: folder.path,
      MODELS_DIR: join(folder.path, 'models'),
      OPS_PORT: String(port),
      SLOW_MODEL_PAUSE_MS: String(pauseMs),
    },
  };
}

test('/metrics counts the turns and parts through Telegram, with no id or text in it; /healthz is 200', async () => {
  const { telegram, environment, ops } = await setUp(10);
  const bot = startBot(environment);
  for (let index = 1; index <= 3; index += 1) telegram.sendText({ chat: privateChat(alice), from: alice, text: `question ${index}` });
  telegram.sendText({ chat: privateChat(alice), from: alice, text: '/help' });
  await until(() => textsTo(telegram, alice).filter((text) => /You asked: question \d$/u.test(text)).length === 3 && textsTo(telegram, alice).some((text) => text.startsWith('Send a photo')), 'the answers');

  let metrics = '';
  await until(async () => {
    metrics = await (await fetch(`${ops}/metrics`)).text();
    return /seed_turns_total\{platform="telegram",outcome="answered"\} 3/u.test(metrics);
  }, 'the turns in /metrics');
  assert.match(metrics, /seed_turns_total\{platform="telegram",outcome="replied"\} 1/u);
  assert.match(metrics, /seed_parts_delivered_total\{platform="telegram",kind="answer"\} [3-9]/u);
  assert.match(metrics, /seed_model_first_token_seconds_count 3/u);
  assert.match(metrics, /process_resident_memory_bytes/u);
  for (const secret of [String(alice.id), 'question 1', 'Alice', telegram.token]) assert.ok(!metrics.includes(secret), `/metrics must not hold ${secret}`);

  const health = await fetch(`${ops}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { ok: true, model: true, database: true, platforms: { telegram: true } });
  bot.kill('SIGTERM');
  assert.equal(await exited(bot), 0);
});

test('SIGTERM with a turn running and one waiting: the running one is finished, the waiting person is told, and answered after the restart', async () => {
  const { telegram, environment } = await setUp(700);
  const bot = startBot(environment);
  telegram.sendText({ chat: privateChat(alice), from: alice, text: 'question from alice' });
  await until(() => textsTo(telegram, alice).includes('Let me look.'), "alice's turn running");
  telegram.sendText({ chat: privateChat(bob), from: bob, text: 'question from bob' });
  // The embedded backend takes one turn at a time: bob waits behind alice, and is told so.
  await until(() => textsTo(telegram, bob).length === 1, "bob's place in line");
  assert.match(textsTo(telegram, bob)[0]!, /^You are first in line; about \d+ seconds\.$/u);
  bot.kill('SIGTERM');
  assert.equal(await exited(bot), 0);
  assert.ok(textsTo(telegram, alice).some((text) => text.endsWith('You asked: question from alice')), 'the running turn finished before the stop');
  assert.equal(textsTo(telegram, bob)[1], 'I am restarting. Your message is kept, and I will answer it in a moment.');
  assert.equal(textsTo(telegram, bob).length, 2);

  const restarted = startBot(environment);
  await until(() => textsTo(telegram, bob).some((text) => text.endsWith('You asked: question from bob')), "bob's answer after the restart");
  restarted.kill('SIGTERM');
  await exited(restarted);
  assert.equal(textsTo(telegram, alice).filter((text) => text.endsWith('You asked: question from alice')).length, 1, 'alice is not answered twice');
});

test('/healthz turns 503 when the model is gone, and 200 again once it answers', async () => {
  const { checkHealth, startOpsServer, trackModelHealth, PrometheusMetrics } = await import('../bots/ops/index.js');
  const { ScriptedVisionModel } = await import('../core/models/testing/scripted-vision-model.js');
  const { ModelError, silentLogger } = await import('../core/index.js');
  const model = new ScriptedVisionModel([{ chunks: [], failWith: new ModelError('unavailable', 'The model server is down.') }, { chunks: ['Back.'] }]);
  const health = trackModelHealth(model);
  const server = await startOpsServer({
    port: 0,
    registry: new PrometheusMetrics({ processMetrics: false }).registry,
    logger: silentLogger(),
    health: () => checkHealth({ model: () => health.healthy(), databaseWritable: () => true, platforms: [{ name: 'telegram', isConnected: () => true }] }),
  });
  cleanups.push(() => server.close());
  const status = async (): Promise<number> => (await fetch(`http://127.0.0.1:${server.port}/healthz`)).status;
  const ask = async (): Promise<void> => {
    try {
      for await (const part of health.model.generate({ messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], maxOutputTokens: 5 })) void part;
    } catch {
      // The failure is what this test is about.
    }
  };
  assert.equal(await status(), 200);
  await ask();
  assert.equal(await status(), 503);
  await ask();
  assert.equal(await status(), 200);
});
