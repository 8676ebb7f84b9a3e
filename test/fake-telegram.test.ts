import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, test } from 'node:test';
import { autoRetry } from '@grammyjs/auto-retry';
import { hydrateFiles, type FileFlavor } from '@grammyjs/files';
import { run, type RunnerHandle } from '@grammyjs/runner';
import { Bot, GrammyError, InputFile, type Context } from 'grammy';
import { privateChat, startFakeTelegram, supergroupChat, telegramUser, type FakeTelegram, type RecordedCall, type UploadedFile } from './helpers/fake-telegram.js';
import { solidJpeg } from './helpers/images.js';

/**
 * The fake Telegram is only worth something if the real grammy client, runner and plugins work
 * against it as they would against api.telegram.org; these tests drive it with them, unmocked.
 */

type BotContext = FileFlavor<Context>;

let fake: FakeTelegram | undefined;
let runner: RunnerHandle | undefined;

afterEach(async () => {
  if (runner?.isRunning()) await runner.stop();
  runner = undefined;
  await fake?.close();
  fake = undefined;
});

async function startBot(setup: (bot: Bot<BotContext>) => void): Promise<{ fake: FakeTelegram; bot: Bot<BotContext>; errors: unknown[] }> {
  fake = await startFakeTelegram();
  const bot = new Bot<BotContext>(fake.token, { client: { apiRoot: fake.apiRoot } });
  const errors: unknown[] = [];
  bot.catch((error) => void errors.push(error.error));
  setup(bot);
  runner = run(bot);
  return { fake, bot, errors };
}

function deferred<Value>(): { promise: Promise<Value>; resolve: (value: Value) => void } {
  let resolve: (value: Value) => void = () => undefined;
  const promise = new Promise<Value>((settle) => (resolve = settle));
  return { promise, resolve };
}

const isCall = (method: string) => (call: RecordedCall) => call.method === method && call.errorCode === undefined;
const user = telegramUser({ first_name: 'Ada' });
const chat = privateChat(user);

describe('the fake Telegram, driven by the real grammy client', { timeout: 10_000 }, () => {
  test('the runner receives a text update and ctx.reply is recorded as sendMessage', async () => {
    const { fake, errors } = await startBot((bot) => {
      bot.command('start', (ctx) => ctx.reply('Send me a photo and a question.'));
      bot.on('message:text', (ctx) => ctx.reply(`You said: ${ctx.message.text}`, { reply_parameters: { message_id: ctx.message.message_id } }));
    });

    const { message } = fake.sendText({ chat, from: user, text: '/start' });
    assert.deepEqual(message.entities, [{ type: 'bot_command', offset: 0, length: 6 }]);
    const welcome = await fake.waitFor(isCall('sendMessage'));
    assert.equal(welcome.params.chat_id, chat.id);
    assert.equal(welcome.params.text, 'Send me a photo and a question.');

    const question = fake.sendText({ chat, from: user, text: 'what is this?' });
    await fake.waitFor((call) => isCall('sendMessage')(call) && call !== welcome);
    const replies = fake.sentMessages(chat.id);
    assert.deepEqual(replies.map((reply) => reply.text), ['Send me a photo and a question.', 'You said: what is this?']);
    assert.equal(replies[1]?.reply_to_message?.message_id, question.message.message_id);
    assert.equal(replies[1]?.from?.username, 'seed_test_bot');
    assert.ok((replies[1]?.message_id ?? 0) > question.message.message_id, 'user and bot share one message_id sequence per chat');
    assert.deepEqual(fake.calls.slice(0, 2).map((call) => call.method), ['getMe', 'getUpdates']);
    assert.deepEqual(errors, []);
  });

  test('getUpdates is held open while idle, honours offset, and redeliver hands an update over again', async () => {
    const handled: number[] = [];
    const { fake } = await startBot((bot) => {
      bot.on('message:text', async (ctx) => {
        handled.push(ctx.update.update_id);
        await ctx.reply('ok');
      });
    });
    const { update } = fake.sendText({ chat, from: user, text: 'hello' });
    await fake.waitFor(isCall('sendMessage'));
    const confirming = await fake.waitFor((call) => call.method === 'getUpdates' && call.params.offset === update.update_id + 1);
    assert.equal(confirming.params.timeout, 30);

    const pollsBefore = fake.calls.filter((call) => call.method === 'getUpdates').length;
    await sleep(300);
    const pollsWhileIdle = fake.calls.filter((call) => call.method === 'getUpdates').length - pollsBefore;
    assert.ok(pollsWhileIdle <= 3, `${pollsWhileIdle} getUpdates calls in 300 ms while idle`);
    assert.deepEqual(handled, [update.update_id], 'delivered once');
    assert.deepEqual(fake.unconfirmedUpdates(), []);

    fake.redeliver(update.update_id);
    await fake.waitFor(() => fake?.sentMessages(chat.id).length === 2);
    assert.deepEqual(handled, [update.update_id, update.update_id]);
  });

  test('a photo downloads to identical bytes through ctx.getFile and @grammyjs/files', async () => {
    const image = await solidJpeg(1600, 1200);
    const downloaded = deferred<{ bytes: Uint8Array; filePath: string | undefined; downloadError: unknown }>();
    const { fake, bot } = await startBot((bot) => {
      bot.on('message:photo', async (ctx) => {
        const file = await ctx.getFile();
        const response = await fetch(file.getUrl());
        const downloadError = await file.download().then(() => undefined, (error: unknown) => error);
        downloaded.resolve({ bytes: new Uint8Array(await response.arrayBuffer()), filePath: file.file_path, downloadError });
      });
    });
    bot.api.config.use(hydrateFiles(bot.token, { apiRoot: fake.apiRoot }));

    const { message } = fake.sendPhoto({ chat, from: user, image, caption: 'what colour is this?', mediaGroupId: 'album-1' });
    const sizes = message.photo ?? [];
    assert.deepEqual(sizes.map((size) => [size.width, size.height]), [[90, 68], [320, 240], [800, 600], [1280, 960], [1600, 1200]]);
    assert.equal(message.media_group_id, 'album-1');
    const result = await downloaded.promise;
    assert.ok(Buffer.from(result.bytes).equals(image), 'downloaded bytes differ');
    assert.match(result.filePath ?? '', /^photos\/file_\d+\.jpg$/);
    // @grammyjs/files downloads with https.get only, so download() cannot reach an http:// apiRoot.
    assert.equal((result.downloadError as NodeJS.ErrnoException | undefined)?.code, 'ERR_INVALID_PROTOCOL');
    const getFile = fake.calls.find((call) => call.method === 'getFile');
    assert.equal(getFile?.params.file_id, sizes.at(-1)?.file_id, 'ctx.getFile() asks for the largest size');
  });

  test('multipart uploads are parsed to the same bytes and file names, scalars as strings', async () => {
    const image = await solidJpeg(64, 48, { r: 10, g: 200, b: 10 });
    const notes = new TextEncoder().encode('line one\r\n--not a boundary\r\n');
    const { fake } = await startBot((bot) => {
      bot.on('message:text', async (ctx) => {
        await ctx.replyWithPhoto(new InputFile(image), { caption: 'A green square.' });
        await ctx.replyWithDocument(new InputFile(notes, 'notes; draft "2".txt'));
      });
    });
    fake.sendText({ chat, from: user, text: 'send files' });
    const photoCall = await fake.waitFor(isCall('sendPhoto'));
    const documentCall = await fake.waitFor(isCall('sendDocument'));

    const photo = photoCall.params.photo as UploadedFile;
    assert.ok(Buffer.from(photo.bytes).equals(image), 'uploaded photo bytes differ');
    assert.equal(photo.fileName, 'photo.jpg');
    assert.equal(photo.contentType, 'application/octet-stream');
    assert.equal(photoCall.params.chat_id, String(chat.id));
    assert.equal(photoCall.params.caption, 'A green square.');
    const document = documentCall.params.document as UploadedFile;
    assert.deepEqual(document.bytes, notes);
    assert.equal(document.fileName, 'notes; draft "2".txt');
    const [sentPhoto, sentDocument] = fake.sentMessages(chat.id);
    assert.deepEqual(sentPhoto?.photo?.at(-1)?.width, 64);
    assert.equal(sentDocument?.document?.file_name, 'notes; draft "2".txt');
  });

  test('auto-retry waits out a 429 and the second sendMessage succeeds', async () => {
    const { fake, bot, errors } = await startBot((bot) => {
      bot.on('message:text', (ctx) => ctx.reply('answer'));
    });
    bot.api.config.use(autoRetry());
    fake.failNext('sendMessage', { errorCode: 429, retryAfter: 1 });
    fake.sendText({ chat, from: user, text: 'question' });
    await fake.waitFor(isCall('sendMessage'), { timeoutMs: 3000 });

    const attempts = fake.calls.filter((call) => call.method === 'sendMessage');
    assert.deepEqual(attempts.map((call) => call.errorCode), [429, undefined]);
    const waited = (attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0);
    assert.ok(waited >= 950, `retried after ${waited} ms`);
    assert.deepEqual(fake.sentMessages(chat.id).map((message) => message.text), ['answer']);
    assert.deepEqual(errors, []);
  });

  test("the real server's limits and errors surface as GrammyErrors", async () => {
    fake = await startFakeTelegram();
    const bot = new Bot(fake.token, { client: { apiRoot: fake.apiRoot } });
    const group = supergroupChat();
    const { message } = fake.sendDocument({ chat: group, from: user, bytes: new Uint8Array([1, 2, 3]), fileName: 'scan.pdf', mimeType: 'application/pdf', fileSize: 25 * 1024 * 1024 });
    const grammyError = (description: string) => (error: unknown) => error instanceof GrammyError && error.description === description;

    await assert.rejects(bot.api.getFile(message.document?.file_id ?? ''), grammyError('Bad Request: file is too big'));
    await assert.rejects(bot.api.sendMessage(group.id, 'x'.repeat(4097)), grammyError('Bad Request: message is too long'));
    const sent = await bot.api.sendMessage(group.id, 'x'.repeat(4096));
    await assert.rejects(bot.api.editMessageText(group.id, sent.message_id, 'x'.repeat(4096)), (error: unknown) => error instanceof GrammyError && error.description.startsWith('Bad Request: message is not modified'));
    await bot.api.editMessageText(group.id, sent.message_id, 'shorter');
    assert.equal(fake.sentMessages(group.id)[0]?.text, 'shorter');

    fake.failNext('sendMessage', { errorCode: 403 });
    await assert.rejects(bot.api.sendMessage(chat.id, 'hi'), (error: unknown) => error instanceof GrammyError && error.error_code === 403 && error.description === 'Forbidden: bot was blocked by the user');
    await bot.api.sendChatAction(chat.id, 'typing');
    await bot.api.sendChatAction(chat.id, 'upload_photo');
    assert.deepEqual(fake.chatActions(chat.id), ['typing', 'upload_photo']);

    await bot.api.setMyCommands([{ command: 'help', description: 'How to use me' }]);
    await bot.api.setMyCommands([{ command: 'aide', description: "Mode d'emploi" }], { language_code: 'fr' });
    assert.deepEqual((await bot.api.getMyCommands({ language_code: 'fr' })).map((command) => command.command), ['aide']);
    assert.deepEqual(fake.myCommands().map((command) => command.command), ['help']);

    const unknownMethod = await fetch(`${fake.apiRoot}/bot${fake.token}/sendTelepathy`, { method: 'POST' });
    assert.deepEqual([unknownMethod.status, await unknownMethod.json()], [404, { ok: false, error_code: 404, description: 'Not Found: method not found' }]);
    const wrongToken = await fetch(`${fake.apiRoot}/bot1:wrong/getMe`, { method: 'POST' });
    assert.deepEqual(await wrongToken.json(), { ok: false, error_code: 401, description: 'Unauthorized' });
  });

  test("grammy's own bot.start() long polling works too, and stop() confirms the offset", async () => {
    fake = await startFakeTelegram();
    const bot = new Bot(fake.token, { client: { apiRoot: fake.apiRoot } });
    bot.on('message:text', (ctx) => ctx.reply('pong'));
    const started = deferred<void>();
    const polling = bot.start({ onStart: () => started.resolve() });
    await started.promise;
    const { update } = fake.sendText({ chat, from: user, text: 'ping' });
    await fake.waitFor(isCall('sendMessage'));
    await bot.stop();
    await polling;

    assert.deepEqual(fake.calls.slice(0, 3).map((call) => call.method), ['getMe', 'deleteWebhook', 'getUpdates']);
    assert.deepEqual(fake.calls[2]?.params, { offset: 1, timeout: 30, allowed_updates: [] });
    assert.deepEqual(fake.calls.at(-1)?.params, { offset: update.update_id + 1, limit: 1 });
    assert.deepEqual(fake.unconfirmedUpdates(), []);
  });

  test('stopping the runner and closing the fake leaves no open handles', async () => {
    const { fake: telegram } = await startBot((bot) => bot.on('message', (ctx) => ctx.reply('seen')));
    telegram.sendText({ chat, from: user, text: 'one' });
    await telegram.waitFor(isCall('sendMessage'));
    await telegram.waitFor((call) => call.method === 'getUpdates' && Number(call.params.offset) > 0);
    await runner?.stop();
    const afterStop = telegram.sendLocation({ chat, from: user, latitude: 51.5, longitude: -0.12 });
    await sleep(50);
    assert.deepEqual(telegram.unconfirmedUpdates(), [afterStop.update], 'nothing is delivered into the hung-up poll');
    await telegram.close();
    fake = undefined;

    const openSockets = (): string[] => process.getActiveResourcesInfo().filter((resource) => resource.startsWith('TCP'));
    for (let attempt = 0; attempt < 20 && openSockets().length > 0; attempt++) await sleep(25);
    assert.deepEqual(openSockets(), []);
  });
});
