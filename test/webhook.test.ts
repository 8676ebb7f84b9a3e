import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { privateChat, startFakeTelegram, telegramUser } from './helpers/fake-telegram.js';
import { runEntry } from './helpers/run-cli.js';
import { startTelegramHarness, type TelegramHarness } from './helpers/telegram-harness.js';
import { makeTempFolder } from './helpers/temp-folder.js';

const SECRET = 'hook-secret';
const alice = telegramUser({ id: 1001, first_name: 'Alice', language_code: 'en' });
const chat = privateChat(alice);

let harness: TelegramHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** A raw HTTP request, so bodies no fetch() would send (cut off, oversized) can be sent too. */
function send(port: number, options: { method?: string; path?: string; secret?: string; body?: string | Buffer }): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/telegram',
        headers: { 'content-type': 'application/json', ...(options.secret === undefined ? {} : { 'x-telegram-bot-api-secret-token': options.secret }) },
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

describe('the webhook server', () => {
  test('hostile requests get 4xx answers, nothing reaches the assistant, and a real update is answered afterwards', async () => {
    harness = await startTelegramHarness({ webhookSecret: SECRET });
    const port = harness.platform.webhookPort!;
    const update = (id: number, text: string) =>
      JSON.stringify({ update_id: id, message: { message_id: id, date: 1_700_000_000, chat, from: alice, text } });

    assert.equal(await send(port, { method: 'GET', secret: SECRET }), 405);
    assert.equal(await send(port, { path: '/', secret: SECRET, body: update(1, '/mydata') }), 404);
    assert.equal(await send(port, { path: '/telegram/../other', secret: SECRET, body: update(1, '/mydata') }), 404);
    // A forged update without the secret: the victim's /mydata and /forget never run.
    assert.equal(await send(port, { body: update(2, '/mydata') }), 401);
    assert.equal(await send(port, { secret: 'wrong', body: update(3, '/forget') }), 401);
    for (const body of ['', '{"update_id": 4, "mess', 'null', '[]', '{}', '{"update_id": -1}', '{"update_id": "5"}', 'not json']) {
      assert.equal(await send(port, { secret: SECRET, body }), 400, `body ${JSON.stringify(body)}`);
    }
    assert.equal(await send(port, { secret: SECRET, body: Buffer.alloc(2 * 1024 * 1024, 0x20) }), 413);

    assert.equal(harness.telegram.sentMessages().length, 0);
    assert.equal(harness.model.requests.length, 0);
    assert.equal(await send(port, { secret: SECRET, body: update(6, 'still there?') }), 200);
    assert.deepEqual(await harness.messages(2), ['I see 0 photos.', 'You asked: still there?']);
  });

  test('webhook mode without TELEGRAM_WEBHOOK_SECRET refuses to start, in one line', async () => {
    const telegram = await startFakeTelegram();
    const folder = makeTempFolder();
    try {
      const result = await runEntry('bots/main.ts', [], {
        environment: {
          TELEGRAM_BOT_TOKEN: telegram.token,
          TELEGRAM_API_ROOT: telegram.apiRoot,
          TELEGRAM_WEBHOOK_URL: 'https://bot.example/telegram',
          DATA_DIR: join(folder.path, 'data'),
          MODELS_DIR: join(folder.path, 'models'),
          LOG_LEVEL: 'silent',
        },
      });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /^Webhook mode needs TELEGRAM_WEBHOOK_SECRET, .* openssl rand -hex 32\n$/);
      assert.equal(telegram.calls.filter((call) => call.method === 'setWebhook').length, 0);
    } finally {
      await telegram.close();
      folder.remove();
    }
  });
});
