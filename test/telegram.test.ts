import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, test } from 'node:test';
import type { FilePart } from '../core/index.js';
import { join } from 'node:path';
import { groupChat, privateChat, startFakeTelegram, telegramUser } from './helpers/fake-telegram.js';
import { runEntry } from './helpers/run-cli.js';
import { makeTempFolder } from './helpers/temp-folder.js';
import { ScriptedSpeechModel } from '../core/models/testing/scripted-speech-model.js';
import { encodeOggOpus, encodeWav, voiceLike } from './helpers/audio.js';
import { solidJpeg } from './helpers/images.js';
import { startTelegramHarness, type TelegramHarness } from './helpers/telegram-harness.js';

let harness: TelegramHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const alice = telegramUser({ id: 1001, first_name: 'Alice', language_code: 'en' });
const bob = telegramUser({ id: 1002, first_name: 'Bob' });
const aliceChat = privateChat(alice);

function imagesSeen(request: { messages: readonly { content: readonly { type: string }[] }[] } | undefined): number {
  return (request?.messages.at(-1)?.content ?? []).filter((part): part is FilePart => part.type === 'file').length;
}

describe('private chats', () => {
  test('a photo with a caption is answered, gist first, with the typing action and no reply threading', async () => {
    harness = await startTelegramHarness();
    const { telegram } = harness;
    telegram.sendPhoto({ chat: aliceChat, from: alice, image: await solidJpeg(800, 600), caption: 'is the door open?' });
    assert.deepEqual(await harness.messages(2), ['I see 1 photos.', 'You asked: is the door open?']);
    assert.ok(telegram.chatActions(aliceChat.id).includes('typing'));
    const sends = telegram.calls.filter((call) => call.method === 'sendMessage');
    assert.ok(sends.every((call) => call.params.parse_mode === undefined && call.params.reply_parameters === undefined));
  });

  test('an album of three photos gets one answer about all three', async () => {
    harness = await startTelegramHarness();
    const photo = await solidJpeg(64, 64);
    for (const caption of ['what are these?', undefined, undefined]) {
      harness.telegram.sendPhoto({ chat: aliceChat, from: alice, image: photo, mediaGroupId: 'album-1', ...(caption ? { caption } : {}) });
    }
    assert.deepEqual(await harness.messages(2), ['I see 3 photos.', 'You asked: what are these?']);
    assert.equal(harness.model.requests.length, 1);
  });

  test('an image sent as a file is answered; a replied-to answer continues with the stored photo', async () => {
    harness = await startTelegramHarness();
    const { telegram } = harness;
    telegram.sendDocument({ chat: aliceChat, from: alice, bytes: await solidJpeg(300, 200), fileName: 'label.png', mimeType: 'image/png', caption: 'what is on it?' });
    await harness.messages(2);
    telegram.sendText({ chat: aliceChat, from: alice, text: '/new' });
    await harness.messages(3);
    const firstAnswer = telegram.sentMessages(aliceChat.id)[0]!;
    telegram.sendText({ chat: aliceChat, from: alice, text: 'and the colour?', replyToMessageId: firstAnswer.message_id });
    assert.deepEqual((await harness.messages(5)).slice(3), ['I see 1 photos.', 'You asked: and the colour?']);
    assert.equal(imagesSeen(harness.model.requests[1]), 1);
  });

  test('/forget deletes the user and says so; commands are registered in English and Chinese', async () => {
    harness = await startTelegramHarness();
    harness.telegram.sendPhoto({ chat: aliceChat, from: alice, image: await solidJpeg(64, 64) });
    await harness.messages(2);
    harness.telegram.sendText({ chat: aliceChat, from: alice, text: '/forget' });
    const [, , confirmation] = await harness.messages(3);
    assert.match(confirmation!, /^Done\. I deleted everything I stored about you: 1 conversation, 1 question/);
    assert.equal(harness.store.findUser({ platform: 'telegram', platformUserId: String(alice.id) }), undefined);
    assert.deepEqual(
      harness.telegram.myCommands().map((command) => command.command),
      ['start', 'help', 'read', 'color', 'new', 'settings', 'mydata', 'forget'],
    );
    assert.equal(harness.telegram.myCommands(undefined, 'zh')[0]!.description, '我能做什么，以及如何保存你的数据');
  });

  test('a long answer arrives as several messages, each under 4096 characters and ending a sentence', async () => {
    harness = await startTelegramHarness();
    harness.telegram.sendText({ chat: aliceChat, from: alice, text: 'a long one please' });
    const messages = await harness.messages(3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const all = harness.telegram.sentMessages(aliceChat.id).map((message) => ('text' in message ? message.text! : ''));
    assert.ok(all.length >= 3, `only ${all.length} messages`);
    assert.equal(messages[0], 'A long answer.');
    for (const text of all) {
      assert.ok(text.length <= 4096);
      assert.match(text, /\.$/);
    }
  });

  test('stickers, voice notes without a speech model, and files too big get a kind message', async () => {
    harness = await startTelegramHarness();
    const { telegram } = harness;
    telegram.sendSticker({ chat: aliceChat, from: alice });
    await harness.messages(1);
    telegram.sendVoice({ chat: aliceChat, from: alice, bytes: new Uint8Array([1, 2, 3]), duration: 2 });
    await harness.messages(2);
    telegram.sendDocument({ chat: aliceChat, from: alice, bytes: await solidJpeg(10, 10), fileName: 'huge.jpg', mimeType: 'image/jpeg', fileSize: 25 * 1024 * 1024 });
    const [sticker, voice, tooBig] = await harness.messages(3);
    assert.equal(sticker, 'I cannot use stickers. Send me a photo, a photo with a question, or type a question.');
    assert.equal(voice, 'Voice questions are not set up on this server, so I cannot listen to voice messages. Please type your question instead.');
    assert.equal(tooBig, 'That photo is too large for me. The limit is 20 megabytes. Try sending it as a photo instead of a file, or a smaller one.');
  });
});

describe('voice questions', () => {
  test('a voice note after a photo is downloaded, decoded and answered about that photo; a damaged one gets a kind message', async () => {
    // The transcript names the length the core decoded, so the answer proves the real bytes arrived.
    const speech = new ScriptedSpeechModel((request) => ({ text: `Is the light on, ${(request.samples.length / 16_000).toFixed(1)} s?` }));
    harness = await startTelegramHarness({ speech });
    const { telegram } = harness;
    telegram.sendPhoto({ chat: aliceChat, from: alice, image: await solidJpeg(80, 60) });
    await harness.messages(2);
    const note = await encodeOggOpus(voiceLike(2.5, 48_000, 7), 48_000);
    telegram.sendVoice({ chat: aliceChat, from: alice, bytes: note, duration: 2.5 });
    const answered = await harness.messages(4);
    assert.deepEqual(answered.slice(2), ['I see 1 photos.', 'You asked: Untrusted voice transcript of the question: «Is the light on, 2.5 s?»']);

    telegram.sendVoice({ chat: aliceChat, from: alice, bytes: note.slice(0, 60), duration: 2 });
    const [damaged] = (await harness.messages(5)).slice(4);
    assert.equal(damaged, 'That voice message seems damaged, so I could not play it. Please record it again.');
    assert.equal(harness.model.requests.length, 2);

    // A recording sent as a file is a voice question too; one in a format the core cannot play is named.
    const wav = encodeWav(voiceLike(1.5, 44_100, 8), 44_100);
    telegram.sendDocument({ chat: aliceChat, from: alice, bytes: wav, fileName: 'question.wav', mimeType: 'audio/wav' });
    assert.deepEqual((await harness.messages(7)).slice(5), ['I see 1 photos.', 'You asked: Untrusted voice transcript of the question: «Is the light on, 1.5 s?»']);
    const flac = new TextEncoder().encode('fLaC and the rest of a FLAC file');
    telegram.sendDocument({ chat: aliceChat, from: alice, bytes: flac, fileName: 'question.flac', mimeType: 'audio/flac' });
    assert.deepEqual((await harness.messages(8)).slice(7), ['I cannot play FLAC audio. Send a voice message, or an OGG, WAV or MP3 file.']);
  });
});

describe('groups', () => {
  test('a message not addressed to the bot is neither answered nor stored; a mention is answered in reply', async () => {
    harness = await startTelegramHarness();
    const { telegram } = harness;
    const group = groupChat({ id: -500 });
    telegram.sendText({ chat: group, from: bob, text: 'what a day' });
    telegram.sendText({ chat: group, from: alice, text: `@${telegram.botInfo.username} what is the capital of France?` });
    const [gist] = await harness.messages(2, group.id);
    assert.equal(gist, 'I see 0 photos.');
    assert.equal(harness.store.findUser({ platform: 'telegram', platformUserId: String(bob.id) }), undefined);
    // Not even for a moment: the words never reach the database files.
    const onDisk = [harness.databasePath, `${harness.databasePath}-wal`].filter(existsSync).map((file) => readFileSync(file).toString('utf8')).join('');
    assert.ok(onDisk.includes('capital of France'), 'the check below must be able to see text');
    assert.ok(!onDisk.includes('what a day'));
    assert.match(harness.model.requests[0]!.messages.at(-1)!.content.map((part) => (part.type === 'text' ? part.text : '')).join(''), /^what is the capital of France\?$/);
    const first = telegram.calls.find((call) => call.method === 'sendMessage')!;
    assert.ok(first.params.reply_parameters, 'the answer replies to the question in a group');
  });
});

describe('personal commands in groups', () => {
  test('/mydata in a group goes to the person privately, and the group hears only that it did', async () => {
    harness = await startTelegramHarness();
    const { telegram } = harness;
    telegram.sendText({ chat: aliceChat, from: alice, text: 'is my private question safe?' });
    await harness.messages(2, aliceChat.id);
    const group = groupChat({ id: -501 });
    telegram.sendText({ chat: group, from: alice, text: '/mydata' });
    assert.deepEqual(await harness.messages(1, group.id), ['That concerns only you, so I answered you in a private message.']);
    const [data] = (await harness.messages(3, aliceChat.id)).slice(2);
    assert.match(data!, /^This is everything I have stored about you\..*is my private question safe\?/s);
    await harness.delivery.idle();
    const inGroup = harness.telegram.sentMessages(group.id).map((message) => message.text ?? '');
    assert.equal(inGroup.length, 1);
    assert.ok(inGroup.every((text) => !text.includes('private question')));
  });

  test('when the person never opened a private chat, the group is told how to, and the answer is not posted there', async () => {
    harness = await startTelegramHarness();
    const { telegram } = harness;
    const group = groupChat({ id: -502 });
    telegram.sendText({ chat: group, from: bob, text: `@${telegram.botInfo.username} what is this?` });
    await harness.messages(2, group.id);
    telegram.failNext('sendMessage', { errorCode: 403, description: "Forbidden: bot can't initiate conversation with a user" });
    telegram.sendText({ chat: group, from: bob, text: '/settings' });
    const [, , note] = await harness.messages(3, group.id);
    assert.equal(note, 'That concerns only you, so I do not answer it here, and I could not message you privately. Open a private chat with me, send /start, then ask me there.');
    await harness.delivery.idle();
    assert.equal(harness.telegram.sentMessages(group.id).length, 3);
    assert.equal(harness.telegram.sentMessages(bob.id).length, 0);
  });
});

describe('faults and redelivery', () => {
  test('a message that is only a mention asks for a photo or a question', async () => {
    harness = await startTelegramHarness();
    const group = groupChat({ id: -600 });
    harness.telegram.sendText({ chat: group, from: alice, text: `@${harness.telegram.botInfo.username}` });
    assert.deepEqual(await harness.messages(1, group.id), ['Send a photo, or type a question.']);
    assert.equal(harness.model.requests.length, 0);
  });

  test('a download that fails is retried once, then the user is asked to send it again', async () => {
    harness = await startTelegramHarness();
    const photo = await solidJpeg(64, 64);
    harness.telegram.failNextDownload({ statusCode: 502, times: 1 });
    harness.telegram.sendPhoto({ chat: aliceChat, from: alice, image: photo, caption: 'first' });
    assert.deepEqual(await harness.messages(2), ['I see 1 photos.', 'You asked: first']);
    harness.telegram.failNextDownload({ statusCode: 502, times: 2 });
    harness.telegram.sendPhoto({ chat: aliceChat, from: alice, image: photo, caption: 'second' });
    assert.equal((await harness.messages(3))[2], 'I could not download that photo. Please send it again.');
  });

  test('429 on sendMessage is retried after retry_after', async () => {
    harness = await startTelegramHarness();
    harness.telegram.failNext('sendMessage', { errorCode: 429, retryAfter: 1 });
    harness.telegram.sendText({ chat: aliceChat, from: alice, text: 'hello' });
    await harness.messages(2);
    const sends = harness.telegram.calls.filter((call) => call.method === 'sendMessage');
    assert.equal(sends.length, 3);
    assert.ok(sends[1]!.at - sends[0]!.at >= 900, `retried after ${sends[1]!.at - sends[0]!.at} ms`);
  });

  test('the same update delivered twice gets one answer', async () => {
    harness = await startTelegramHarness();
    const { update } = harness.telegram.sendText({ chat: aliceChat, from: alice, text: 'hello' });
    await harness.messages(2);
    harness.telegram.redeliver(update.update_id);
    harness.telegram.sendText({ chat: aliceChat, from: alice, text: 'and again' });
    const messages = await harness.messages(4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(messages.slice(2), ['I see 0 photos.', 'You asked: and again']);
    assert.equal(harness.telegram.sentMessages(aliceChat.id).length, 4);
  });

  test('a user who blocked the bot: the answer is dropped and the bot carries on', async () => {
    harness = await startTelegramHarness();
    harness.telegram.failNext('sendMessage', { errorCode: 403, description: 'Forbidden: bot was blocked by the user' });
    harness.telegram.sendText({ chat: aliceChat, from: alice, text: 'hello' });
    harness.telegram.sendText({ chat: aliceChat, from: alice, text: 'still there?' });
    const messages = await harness.messages(2);
    assert.deepEqual(messages, ['I see 0 photos.', 'You asked: still there?']);
  });
});

describe('webhook mode', () => {
  test('the webhook server registers its secret, refuses a wrong one, and answers a retried update once', async () => {
    harness = await startTelegramHarness({ webhookSecret: 'hook-secret' });
    const port = harness.platform.webhookPort!;
    assert.equal(harness.telegram.calls.find((call) => call.method === 'setWebhook')?.params.secret_token, 'hook-secret');
    const post = (body: unknown, secret: string) =>
      fetch(`http://127.0.0.1:${port}/telegram`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
        body: JSON.stringify(body),
      });
    const update = {
      update_id: 90001,
      message: { message_id: 5, date: 1_700_000_000, chat: aliceChat, from: alice, text: 'hello hook' },
    };
    assert.equal((await post(update, 'wrong')).status, 401);
    assert.equal((await post(update, 'hook-secret')).status, 200);
    // Telegram retries a webhook it thinks failed: the retry is not answered again.
    assert.equal((await post(update, 'hook-secret')).status, 200);
    const messages = await harness.messages(2);
    await harness.delivery.idle();
    assert.deepEqual(messages, ['I see 0 photos.', 'You asked: hello hook']);
    assert.equal(harness.telegram.sentMessages().length, 2);
  });
});

describe('opt-in streaming', () => {
  test('with streaming on, a draft message is shown, then the answer as new messages, then the draft is removed', async () => {
    harness = await startTelegramHarness();
    const { telegram } = harness;
    telegram.sendText({ chat: aliceChat, from: alice, text: '/settings streaming on' });
    const [saved] = await harness.messages(1);
    assert.match(saved!, /^Saved\. .*Streaming is on/);
    telegram.sendText({ chat: aliceChat, from: alice, text: 'hello' });
    await telegram.waitFor((call) => call.method === 'deleteMessage', { timeoutMs: 5000 });
    const methods = telegram.calls.map((call) => call.method).filter((method) => ['sendMessage', 'editMessageText', 'deleteMessage'].includes(method));
    assert.deepEqual(methods, ['sendMessage', 'sendMessage', 'sendMessage', 'sendMessage', 'deleteMessage']);
    const sent = telegram.calls.filter((call) => call.method === 'sendMessage').map((call) => call.params.text);
    assert.deepEqual(sent.slice(1), ['I see 0 photos.', 'I see 0 photos.', 'You asked: hello']);
  });
});

describe('npm start with TELEGRAM_BOT_TOKEN', () => {
  test('runs the Telegram bot instead of the console, registers commands, answers, and stops on SIGTERM', async () => {
    const telegram = await startFakeTelegram();
    const folder = makeTempFolder();
    try {
      const answered = (async () => {
        await telegram.waitFor((call) => call.method === 'setMyCommands', { timeoutMs: 30_000 });
        telegram.sendText({ chat: aliceChat, from: alice, text: '/help' });
        await telegram.waitFor((call) => call.method === 'sendMessage', { timeoutMs: 30_000 });
      })();
      const result = await runEntry('bots/main.ts', [], {
        environment: {
          TELEGRAM_BOT_TOKEN: telegram.token,
          TELEGRAM_API_ROOT: telegram.apiRoot,
          DATA_DIR: join(folder.path, 'data'),
          MODELS_DIR: join(folder.path, 'models'),
          LOG_LEVEL: 'info',
        },
        stopWhen: answered,
      });
      await answered;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, '');
      assert.match(telegram.sentMessages(aliceChat.id)[0]!.text ?? '', /^Send a photo, or a photo with a question/);
      // Logs are JSON lines on standard error, and carry neither the token nor the message text.
      assert.match(result.stderr, /"msg":"telegram bot polling for updates"/);
      assert.doesNotMatch(result.stderr, new RegExp(telegram.token.split(':')[1]!));
      assert.doesNotMatch(result.stderr, /\/help/);
    } finally {
      await telegram.close();
      folder.remove();
    }
  });
});

test('a stopped bot gives up requests still retrying a network failure, so its process can end', async () => {
  const result = await runEntry('test/fixtures/telegram-stop-probe.ts', []);
  assert.equal(result.code, 0, result.stderr);
});
