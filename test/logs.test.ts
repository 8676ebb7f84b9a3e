import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, test } from 'node:test';
import { DiscordAPIError, HTTPError } from '@discordjs/rest';
import { GrammyError, HttpError } from 'grammy';
import { createLogger, serializeError, type Logger } from '../core/log.js';
import { startDiscordHarness, type DiscordHarness } from './helpers/discord-harness.js';
import { discordUser } from './helpers/fake-discord.js';
import { privateChat, telegramUser } from './helpers/fake-telegram.js';
import { solidJpeg } from './helpers/images.js';
import { startTelegramHarness, type TelegramHarness } from './helpers/telegram-harness.js';
import { until } from './helpers/waiting.js';

let telegramHarness: TelegramHarness | undefined;
let discordHarness: DiscordHarness | undefined;
afterEach(async () => {
  await telegramHarness?.close();
  await discordHarness?.close();
  telegramHarness = undefined;
  discordHarness = undefined;
});

/** A logger at trace level writing into a string, as an operator's log file would. */
function capturedLog(): { logger: Logger; text: () => string } {
  let written = '';
  const sink = new Writable({ write: (chunk, _encoding, done) => ((written += String(chunk)), done()) });
  return { logger: createLogger({ level: 'trace', secretNames: ['VLM_API_KEY'], destination: sink }), text: () => written };
}

function errorLines(log: string): Record<string, unknown>[] {
  return log
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => typeof line.level === 'number' && line.level >= 40 && line.err !== undefined);
}

test('Telegram: a send that fails with 400 is logged with its method and status, never the answer, the question or the token', async () => {
  const log = capturedLog();
  telegramHarness = await startTelegramHarness({ logger: log.logger });
  const { telegram } = telegramHarness;
  const alice = telegramUser();
  telegram.failNext('sendMessage', { errorCode: 400, description: "Bad Request: can't parse entities: unsupported start tag" });
  telegram.sendText({ chat: privateChat(alice), from: alice, text: 'read my bank letter QUESTION-WORDS-7731' });
  await until(() => errorLines(log.text()).length > 0, 'the failure to be logged');
  const written = log.text();
  for (const secret of ['QUESTION-WORDS-7731', 'I see 0 photos', 'You asked', telegram.token, telegram.token.split(':')[1]!]) {
    assert.equal(written.includes(secret), false, `the log holds ${JSON.stringify(secret)}`);
  }
  assert.doesNotMatch(written, /"payload"/);
  const failure = errorLines(written)[0]!.err as Record<string, unknown>;
  assert.equal(failure.method, 'sendMessage');
  assert.equal(failure.error_code, 400);
  assert.match(String(failure.message), /sendMessage.*400/);
});

test('Discord: an interaction edit that fails is logged without the answer, the request body or the interaction token', async () => {
  const log = capturedLog();
  discordHarness = await startDiscordHarness({ logger: log.logger });
  const { discord } = discordHarness;
  const alice = discordUser();
  const image = discord.attachment(await solidJpeg(64, 64), { filename: 'letter.jpg', contentType: 'image/jpeg', width: 64, height: 64 });
  // Discord's own complaint names the field; a hostile or buggy server might echo the text too.
  discord.failNext(/^PATCH \/webhooks\//, {
    status: 400,
    body: { code: 50035, message: 'Invalid Form Body', errors: { content: { _errors: [{ code: 'BASE_TYPE_BAD', message: 'Not allowed: I see 1 photos.' }] } } },
    times: 5,
  });
  const interaction = discord.slashCommand({
    user: alice,
    name: 'describe',
    options: [{ name: 'question', type: 3, value: 'QUESTION-WORDS-8842' }],
    attachments: { image },
  });
  await until(() => errorLines(log.text()).length > 0, 'the failure to be logged');
  const written = log.text();
  for (const secret of ['QUESTION-WORDS-8842', 'I see 1 photos', 'You asked', interaction.token, discord.token]) {
    assert.equal(written.includes(secret), false, `the log holds ${JSON.stringify(secret).slice(0, 60)}`);
  }
  assert.doesNotMatch(written, /"requestBody"|"rawError"/);
  const failure = errorLines(written)[0]!.err as Record<string, unknown>;
  assert.equal(failure.method, 'PATCH');
  assert.equal(failure.status, 400);
  assert.equal(failure.code, 50035);
  assert.match(String(failure.url), /\/webhooks\/\d+\/\[token\]\/messages\/%40original$/);
  assert.deepEqual(failure.fields, ['content[BASE_TYPE_BAD]']);
});

test('the error serializer keeps what failed and drops what was sent, tokens, keys and URL passwords', () => {
  const interactionToken = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDpzZWNyZXQtaW50ZXJhY3Rpb24tdG9rZW4';
  const grammy = new GrammyError("Call to 'sendMessage' failed!", { ok: false, error_code: 400, description: 'Bad Request: message is too long' }, 'sendMessage', {
    chat_id: 1,
    text: 'ANSWER-TEXT',
  });
  const network = new HttpError("Network request for 'sendMessage' failed!", new Error('request to https://api.telegram.org/bot123456:SECRET-BOT-TOKEN/sendMessage failed'));
  const discordError = new DiscordAPIError(
    { code: 50035, message: 'Invalid Form Body', errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'ANSWER-TEXT is too long' }] } } },
    50035,
    400,
    'PATCH',
    `https://discord.com/api/v10/webhooks/1234567890/${interactionToken}/messages/@original`,
    { body: { content: 'ANSWER-TEXT' }, files: [] },
  );
  const callback = new HTTPError(502, 'Bad Gateway', 'POST', `https://discord.com/api/v10/interactions/987654321/${interactionToken}/callback`, {
    body: { type: 4, data: { content: 'ANSWER-TEXT' } },
  });
  const model = Object.assign(new Error('fetch https://me:PASSWORD-123@gpu-host/v1/chat/completions failed (Authorization: Bearer sk-SECRET-API-KEY)'), {
    request: { headers: { authorization: 'Bearer sk-SECRET-API-KEY' }, body: 'ANSWER-TEXT' },
    cause: new Error(`GET https://cdn.example/attachments/1/2/photo.jpg?ex=1&is=2&hm=SIGNATURE-VALUE&token=QUERY-TOKEN`),
  });
  const log = capturedLog();
  for (const error of [grammy, network, discordError, callback, model]) log.logger.error({ err: error }, 'sending failed');
  log.logger.warn(`edit of https://discord.com/api/v10/webhooks/1234567890/${interactionToken}/messages/@original failed`);
  const written = log.text();
  for (const secret of ['ANSWER-TEXT', 'SECRET-BOT-TOKEN', interactionToken, 'PASSWORD-123', 'sk-SECRET-API-KEY', 'SIGNATURE-VALUE', 'QUERY-TOKEN']) {
    assert.equal(written.includes(secret), false, `the log holds ${secret.slice(0, 40)}`);
  }
  const serialized = serializeError(discordError) as Record<string, unknown>;
  assert.deepEqual(
    { type: serialized.type, message: serialized.message, code: serialized.code, status: serialized.status, method: serialized.method, fields: serialized.fields },
    { type: 'DiscordAPIError[50035]', message: 'Invalid Form Body', code: 50035, status: 400, method: 'PATCH', fields: ['content[BASE_TYPE_MAX_LENGTH]'] },
  );
  assert.match(String(serialized.stack), /^DiscordAPIError\[50035\]: Invalid Form Body\n\s+at /);
  const telegram = serializeError(grammy) as Record<string, unknown>;
  assert.deepEqual([telegram.method, telegram.error_code, telegram.payload], ['sendMessage', 400, undefined]);
  assert.match(JSON.stringify(serializeError(network)), /bot\[token\]\/sendMessage/);
});
