import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { discordUser, startFakeDiscord } from './helpers/fake-discord.js';
import { privateChat, startFakeTelegram, telegramUser, type FakeTelegram } from './helpers/fake-telegram.js';
import { makeTempFolder } from './helpers/temp-folder.js';
import { until, freePort } from './helpers/waiting.js';

/*
 * A process killed with SIGKILL in the middle of an answer, then started again on the same data:
 * every message is answered, none twice. The fake Telegram, like Telegram, forgets every update
 * below the offset of the next getUpdates, and a webhook update once it was answered 200, so only
 * what the bot kept itself can be answered after the restart.
 */

const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));
const QUESTIONS = 10;
const alice = telegramUser({ id: 4242, first_name: 'Alice', language_code: 'en' });
const chat = privateChat(alice);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function startBot(environment: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPOSITORY, 'test/fixtures/slow-model-cli.ts')], {
    cwd: REPOSITORY,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'silent', ...environment },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.on('exit', (code, signal) => {
    if (code !== 0 && code !== null && signal === null) process.stderr.write(`bot exited with ${code}: ${stderr}\n`);
  });
  cleanups.push(() => void child.kill('SIGKILL'));
  return child;
}

function stopped(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** The answers' last sentences ("You asked: question 7"), which the model writes last. */
function answersTo(telegram: FakeTelegram): string[] {
  return telegram.sentMessages(chat.id).flatMap((message) => /You asked: question \d+$/.exec(message.text ?? '') ?? []);
}

/** Kills the bot right after the gist of answer `afterGists` went out: the model is then mid-answer. */
async function killMidAnswer(telegram: FakeTelegram, bot: ChildProcess, afterGists: number): Promise<void> {
  await until(() => telegram.sentMessages(chat.id).filter((message) => message.text === 'Let me look.').length >= afterGists, 'answers before the kill');
  bot.kill('SIGKILL');
  await stopped(bot);
}

function assertAnsweredOnce(telegram: FakeTelegram, dataDir: string): void {
  const expected = Array.from({ length: QUESTIONS }, (_, index) => `You asked: question ${index + 1}`);
  assert.deepEqual([...answersTo(telegram)].sort(), [...expected].sort());
  const db = new Database(join(dataDir, 'seed.sqlite'), { readonly: true });
  try {
    assert.deepEqual(db.prepare(`SELECT status, failure, COUNT(*) AS turns FROM turns GROUP BY status, failure ORDER BY status`).all(), [
      { status: 'done', failure: null, turns: QUESTIONS },
      { status: 'failed', failure: 'interrupted', turns: 1 },
    ]);
    assert.equal((db.prepare('SELECT COUNT(*) AS rows FROM inbox').get() as { rows: number }).rows, 0, 'answered messages are not kept');
  } finally {
    db.close();
  }
}

describe('a crash in the middle of an answer loses no message', () => {
  test('long polling: killed with SIGKILL, restarted, every question answered exactly once', async () => {
    const telegram = await startFakeTelegram();
    const folder = makeTempFolder();
    cleanups.push(() => folder.remove(), () => telegram.close());
    const environment = { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot, DATA_DIR: folder.path };
    for (let index = 1; index <= QUESTIONS; index += 1) telegram.sendText({ chat, from: alice, text: `question ${index}` });

    await killMidAnswer(telegram, startBot(environment), 3);
    assert.ok(answersTo(telegram).length < QUESTIONS);
    assert.equal(telegram.unconfirmedUpdates().length, 0, 'Telegram considers every update delivered');

    const restarted = startBot(environment);
    await until(() => answersTo(telegram).length >= QUESTIONS, 'every answer after the restart');
    restarted.kill('SIGTERM');
    await stopped(restarted);
    assertAnsweredOnce(telegram, folder.path);
  });

  test('webhook: updates answered 200 before the crash are answered after the restart, exactly once', async () => {
    const telegram = await startFakeTelegram();
    const folder = makeTempFolder();
    cleanups.push(() => folder.remove(), () => telegram.close());
    const port = await freePort();
    const environment = {
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      DATA_DIR: folder.path,
      TELEGRAM_WEBHOOK_URL: 'https://bot.example/telegram/hook',
      TELEGRAM_WEBHOOK_PORT: String(port),
      TELEGRAM_WEBHOOK_SECRET: 'the-webhook-secret',
    };
    const post = (update: unknown) =>
      fetch(`http://127.0.0.1:${port}/telegram/hook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'the-webhook-secret' },
        body: JSON.stringify(update),
      });
    const first = startBot(environment);
    await telegram.waitFor((call) => call.method === 'setWebhook', { timeoutMs: 60_000 });
    for (let index = 1; index <= QUESTIONS; index += 1) {
      const update = { update_id: 7000 + index, message: { message_id: index, date: 1_700_000_000, chat, from: alice, text: `question ${index}` } };
      assert.equal((await post(update)).status, 200);
    }
    await killMidAnswer(telegram, first, 3);
    assert.ok(answersTo(telegram).length < QUESTIONS);

    const restarted = startBot(environment);
    await until(() => answersTo(telegram).length >= QUESTIONS, 'every answer after the restart');
    restarted.kill('SIGTERM');
    await stopped(restarted);
    assertAnsweredOnce(telegram, folder.path);
  });

  test('Discord: messages received by a killed process are fetched again and answered after the restart, exactly once', async () => {
    const discord = await startFakeDiscord();
    const folder = makeTempFolder();
    cleanups.push(() => folder.remove(), () => discord.close());
    const environment = { DISCORD_BOT_TOKEN: discord.token, DISCORD_API_ROOT: discord.apiRoot, DATA_DIR: folder.path };
    const bob = discordUser({ username: 'bob' });
    const questions = 6;
    const answers = () => discord.sentMessages().flatMap((message) => /You asked: question \d+$/.exec(message.content) ?? []);
    const gists = () => discord.sentMessages().filter((message) => message.content === 'Let me look.').length;

    const first = startBot(environment);
    await discord.waitFor((call) => call.method === 'PUT' && call.path.includes('/commands'), { timeoutMs: 60_000 });
    for (let index = 1; index <= questions; index += 1) discord.dmMessage({ author: bob, content: `question ${index}` });
    await until(() => gists() >= 3, 'answers before the kill');
    first.kill('SIGKILL');
    await stopped(first);
    assert.ok(answers().length < questions);

    const restarted = startBot(environment);
    await until(() => answers().length >= questions, 'every answer after the restart');
    restarted.kill('SIGTERM');
    await stopped(restarted);
    const expected = Array.from({ length: questions }, (_, index) => `You asked: question ${index + 1}`);
    assert.deepEqual([...answers()].sort(), [...expected].sort());
    const db = new Database(join(folder.path, 'seed.sqlite'), { readonly: true });
    try {
      assert.equal((db.prepare(`SELECT COUNT(*) AS turns FROM turns WHERE status = 'pending'`).get() as { turns: number }).turns, 0);
      assert.equal((db.prepare('SELECT COUNT(*) AS rows FROM inbox').get() as { rows: number }).rows, 0);
    } finally {
      db.close();
    }
  });
});
