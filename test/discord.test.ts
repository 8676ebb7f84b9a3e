import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { FilePart } from '../core/index.js';
import { ScriptedVisionModel } from '../core/models/testing/scripted-vision-model.js';
import { join } from 'node:path';
import { discordUser, startFakeDiscord } from './helpers/fake-discord.js';
import { privateChat, startFakeTelegram, telegramUser } from './helpers/fake-telegram.js';
import { runEntry } from './helpers/run-cli.js';
import { makeTempFolder } from './helpers/temp-folder.js';
import { startDiscordHarness, type DiscordHarness } from './helpers/discord-harness.js';
import { ScriptedSpeechModel } from '../core/models/testing/scripted-speech-model.js';
import { encodeOggOpus, voiceLike } from './helpers/audio.js';
import { solidJpeg } from './helpers/images.js';

let harness: DiscordHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const alice = discordUser({ username: 'alice' });
const bob = discordUser({ username: 'bob' });

function imagesSeen(index: number): number {
  const request = harness!.model.requests[index];
  return (request?.messages.at(-1)?.content ?? []).filter((part): part is FilePart => part.type === 'file').length;
}

async function photo(description?: string) {
  return harness!.discord.attachment(await solidJpeg(120, 90), {
    filename: 'photo.jpg',
    contentType: 'image/jpeg',
    ...(description ? { description } : {}),
  });
}

describe('messages', () => {
  test('a DM with an image is answered, gist first, without pinging anyone, with typing shown', async () => {
    harness = await startDiscordHarness();
    const { discord } = harness;
    const sent = discord.dmMessage({ author: alice, content: 'is the door open?', attachments: [await photo('a lamp')] });
    const messages = await harness.messages(2);
    assert.deepEqual(messages.map((message) => message.content), ['I see 1 photos.', 'You asked: is the door open?']);
    assert.equal(messages[0]!.message_reference?.message_id, sent.id);
    assert.equal(messages[0]!.allowed_mentions?.replied_user, false);
    assert.deepEqual(messages[0]!.allowed_mentions?.parse, []);
    assert.ok(discord.typingCount(sent.channel_id) >= 1);
    assert.match(harness.model.requests[0]!.messages.at(-1)!.content.map((part) => (part.type === 'text' ? part.text : '')).join(''), /Untrusted alt text of image 1: «a lamp»/);
  });

  test('a server message without a mention is ignored and not stored; with a mention it is answered', async () => {
    harness = await startDiscordHarness();
    const { discord } = harness;
    discord.guildMessage({ author: bob, content: 'nice weather', attachments: [await photo()] });
    discord.guildMessage({ author: alice, content: 'what is this?', mentionsBot: true, attachments: [await photo()] });
    const messages = await harness.messages(2);
    assert.deepEqual(messages.map((message) => message.content), ['I see 1 photos.', 'You asked: what is this?']);
    assert.equal(harness.store.findUser({ platform: 'discord', platformUserId: bob.id }), undefined);
    assert.equal(harness.model.requests.length, 1);
  });

  test('two images in one message get one answer about both', async () => {
    harness = await startDiscordHarness();
    harness.discord.dmMessage({ author: alice, content: 'compare', attachments: [await photo(), await photo()] });
    assert.equal((await harness.messages(2))[0]!.content, 'I see 2 photos.');
    assert.equal(harness.model.requests.length, 1);
  });

  test('a reply to an answer continues that conversation with its photo, after /new', async () => {
    harness = await startDiscordHarness();
    const { discord } = harness;
    const first = discord.dmMessage({ author: alice, content: 'what is it?', attachments: [await photo()] });
    const [answer] = await harness.messages(2);
    discord.slashCommand({ user: alice, name: 'new' });
    await discord.waitFor((call) => call.method === 'PATCH' && call.path.includes('/webhooks/'), { timeoutMs: 5000 });
    discord.dmMessage({ author: alice, content: 'and the colour?', referencedMessageId: answer!.id });
    const messages = await harness.messages(4, first.channel_id);
    assert.equal(messages[3]!.content, 'You asked: and the colour?');
    assert.equal(imagesSeen(1), 1);
  });

  test('a 5,000-character answer arrives in parts under 2000 characters, each ending a sentence', async () => {
    const sentence = 'The shelf on the left holds tins of tomatoes priced at 1.25 euros each, next to the dry pasta. ';
    const model = new ScriptedVisionModel({ chunks: ['A long answer. ', ...Array<string>(52).fill(sentence)] });
    harness = await startDiscordHarness({ model });
    harness.discord.dmMessage({ author: alice, content: 'tell me everything' });
    const messages = await harness.messages(4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const all = harness.discord.sentMessages();
    assert.equal(all.reduce((sum, message) => sum + message.content.length, 0) > 4900, true);
    assert.equal(all.length, 4);
    assert.equal(messages[0]!.content, 'A long answer.');
    for (const message of all) {
      assert.ok(message.content.length < 2000);
      assert.match(message.content, /\.$/);
    }
  });

  test('where the bot may not write, the answer goes to the person by DM', async () => {
    harness = await startDiscordHarness();
    const { discord } = harness;
    discord.failNext(/\/channels\/\d+\/messages$/, { status: 403, body: { code: 50013, message: 'Missing Permissions' } });
    discord.guildMessage({ author: alice, content: 'what is this?', mentionsBot: true, attachments: [await photo()] });
    const direct = discord.dmChannelId(alice.id);
    const messages = await harness.messages(2, direct);
    assert.deepEqual(messages.map((message) => message.content), ['I see 1 photos.', 'You asked: what is this?']);
  });
});

describe('bad input', () => {
  test('an expired attachment, a mention alone, a voice message and a PDF each get a kind message', async () => {
    harness = await startDiscordHarness();
    const { discord } = harness;
    const expired = discord.attachment(await solidJpeg(50, 50), { filename: 'old.jpg', contentType: 'image/jpeg', delivery: 'expired' });
    discord.dmMessage({ author: alice, content: 'what is it?', attachments: [expired] });
    await harness.messages(1);
    discord.guildMessage({ author: alice, content: '', mentionsBot: true });
    await harness.messages(2);
    const voice = discord.attachment(new Uint8Array([0x4f, 0x67, 0x67, 0x53]), { filename: 'voice-message.ogg', contentType: 'audio/ogg', durationSecs: 2 });
    discord.dmMessage({ author: alice, content: '', attachments: [voice], flags: 8192 });
    await harness.messages(3);
    const pdf = discord.attachment(new TextEncoder().encode('%PDF-1.4'), { filename: 'menu.pdf', contentType: 'application/pdf' });
    discord.dmMessage({ author: alice, content: '', attachments: [pdf] });
    const messages = (await harness.messages(4)).map((message) => message.content);
    assert.deepEqual(messages, [
      'I could not download that photo. Please send it again.',
      'Send a photo, or type a question.',
      'Voice questions are not set up on this server, so I cannot listen to voice messages. Please type your question instead.',
      'I cannot use files of that type; photos and image files work. Send me a photo, a photo with a question, or type a question.',
    ]);
    assert.equal(harness.model.requests.length, 0);
  });
});

describe('voice messages', () => {
  test('a voice message is downloaded from the CDN, decoded and answered; one with a photo is one answer about it', async () => {
    const speech = new ScriptedSpeechModel((request) => ({ text: `What does it say, ${(request.samples.length / 16_000).toFixed(1)} s?` }));
    harness = await startDiscordHarness({ speech });
    const { discord } = harness;
    const note = await encodeOggOpus(voiceLike(3, 48_000, 11), 48_000);
    const voice = discord.attachment(note, { filename: 'voice-message.ogg', contentType: 'audio/ogg', durationSecs: 3 });
    discord.dmMessage({ author: alice, content: '', attachments: [voice], flags: 8192 });
    const [gist, detail] = (await harness.messages(2)).map((message) => message.content);
    assert.equal(gist, 'I see 0 photos.');
    assert.equal(detail, 'You asked: Untrusted voice transcript of the question: «What does it say, 3.0 s?»');

    const photo = discord.attachment(await solidJpeg(60, 40), { filename: 'label.jpg', contentType: 'image/jpeg' });
    const spoken = discord.attachment(note, { filename: 'question.ogg', contentType: 'audio/ogg' });
    discord.dmMessage({ author: alice, content: '', attachments: [photo, spoken] });
    const both = (await harness.messages(4)).map((message) => message.content).slice(2);
    assert.deepEqual(both, ['I see 1 photos.', 'You asked: Untrusted voice transcript of the question: «What does it say, 3.0 s?»']);
    assert.equal(harness.model.requests.length, 2);
  });
});

describe('commands', () => {
  test('commands are registered in the test server; /describe answers; /mydata is private', async () => {
    harness = await startDiscordHarness();
    const { discord } = harness;
    const names = discord.registeredCommands(discord.defaultGuildId).map((command) => command.name);
    assert.deepEqual(names, ['describe', 'help', 'read', 'color', 'new', 'settings', 'mydata', 'forget', 'Describe image']);

    const describeCommand = discord.slashCommand({
      user: alice,
      name: 'describe',
      guildId: discord.defaultGuildId,
      options: [{ name: 'question', type: 3, value: 'is it open?' }],
      attachments: { image: await photo() },
    });
    await discord.waitFor((call) => call.method === 'POST' && call.path.startsWith('/webhooks/'), { timeoutMs: 5000 });
    const responses = discord.interactionResponses(describeCommand.id);
    assert.equal(responses[0]!.callbackType, 5);
    assert.equal((responses[0]!.flags ?? 0) & 64, 0, '/describe answers in the open');
    assert.deepEqual(
      responses.slice(1).map((response) => response.content),
      ['I see 1 photos.', 'You asked: is it open?'],
    );

    const myData = discord.slashCommand({ user: alice, name: 'mydata', guildId: discord.defaultGuildId });
    await discord.waitFor((call) => call.method === 'PATCH' && call.path.includes(myData.token), { timeoutMs: 5000 });
    const dataResponses = discord.interactionResponses(myData.id);
    assert.equal((dataResponses[0]!.flags ?? 0) & 64, 64, 'personal data is ephemeral');
    assert.match(dataResponses[1]!.content ?? '', /^This is everything I have stored about you\./);
  });

  test('the Describe image menu gives the person who asked a private description of someone else\'s image', async () => {
    harness = await startDiscordHarness();
    const { discord } = harness;
    const posted = discord.guildMessage({ author: bob, content: 'look at this', attachments: [await photo('a red door')] });
    const menu = discord.messageContextCommand({ user: alice, name: 'Describe image', targetMessage: posted as never });
    await discord.waitFor((call) => call.method === 'POST' && call.path.startsWith('/webhooks/'), { timeoutMs: 5000 });
    const responses = discord.interactionResponses(menu.id);
    assert.equal((responses[0]!.flags ?? 0) & 64, 64);
    assert.deepEqual(responses.slice(1).map((response) => response.content), ['I see 1 photos.', 'You asked: What is in this photo?']);
    assert.ok(responses.slice(2).every((response) => ((response.flags ?? 0) & 64) === 64), 'follow-ups stay private');
    assert.equal(discord.sentMessages().length, 0, 'nothing is posted in the channel');
  });
});

describe('personal commands in a server channel', () => {
  test('/mydata typed in a server channel is answered by DM; the channel hears only that it was', async () => {
    harness = await startDiscordHarness();
    const { discord } = harness;
    discord.dmMessage({ author: alice, content: 'is my private question safe?' });
    await harness.messages(2);
    const asked = discord.guildMessage({ author: alice, content: '/mydata', mentionsBot: true });
    const direct = discord.dmChannelId(alice.id);
    await harness.messages(3, direct);
    await harness.delivery.idle();
    const inChannel = discord.sentMessages(asked.channel_id).map((message) => message.content);
    assert.deepEqual(inChannel, ['That concerns only you, so I answered you in a private message.']);
    assert.match(discord.sentMessages(direct)[2]!.content, /^This is everything I have stored about you\..*is my private question safe\?/s);
  });
});

describe('interactions delivered twice', () => {
  test('a slash command dispatched again is acknowledged once and answered once, also by a restarted bot', async () => {
    harness = await startDiscordHarness();
    const { discord } = harness;
    const help = discord.slashCommand({ user: alice, name: 'help', guildId: discord.defaultGuildId });
    const [dispatch] = discord.dispatches('INTERACTION_CREATE');
    discord.redispatch(dispatch!.s);
    await discord.waitFor((call) => call.method === 'PATCH' && call.path.includes(help.token), { timeoutMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // A restarted process knows nothing of it; Discord refuses its acknowledgement, and it stays quiet.
    await harness.restartBot();
    discord.dispatch('INTERACTION_CREATE', dispatch!.d);
    await discord.waitFor((call) => call.route.endsWith('/callback') && call.status === 400, { timeoutMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const callbacks = discord.calls.filter((call) => call.route.endsWith('/callback'));
    assert.deepEqual(callbacks.map((call) => call.status), [204, 400]);
    const responses = discord.interactionResponses(help.id);
    assert.equal(responses.filter((response) => response.kind === 'callback').length, 1);
    assert.match(responses.at(-1)!.content ?? '', /^Send a photo, or a photo with a question/);
    assert.equal(responses.filter((response) => response.kind !== 'callback').length, 1, 'one answer');
  });
});

describe('opt-in streaming', () => {
  test('with streaming on, a draft message is posted and edited, then the answer arrives as new messages and the draft is deleted', async () => {
    const model = new ScriptedVisionModel({ chunks: ['A door. ', 'It is ', 'open ', 'and ', 'painted red.'], chunkDelayMs: 300 });
    harness = await startDiscordHarness({ model });
    const { discord } = harness;
    discord.dmMessage({ author: alice, content: '/settings streaming on' });
    const [saved] = await harness.messages(1);
    assert.match(saved!.content, /^Saved\. .*Streaming is on/);
    discord.dmMessage({ author: alice, content: 'is the door open?' });
    await discord.waitFor((call) => call.method === 'DELETE' && call.route === 'DELETE /channels/:channelId/messages/:messageId', { timeoutMs: 10_000 });
    const writes = discord.calls
      .filter((call) => call.route.startsWith('POST /channels/:channelId/messages') || call.route.includes('/messages/:messageId'))
      .filter((call) => call.method !== 'GET')
      .map((call) => `${call.method} ${(call.body as { content?: string } | undefined)?.content ?? ''}`.trim());
    const edits = writes.filter((write) => write.startsWith('PATCH'));
    assert.ok(edits.length >= 1 && edits.every((edit) => edit.startsWith('PATCH A door.')), writes.join(' | '));
    assert.deepEqual(
      writes.filter((write) => !write.startsWith('PATCH')),
      [`POST ${saved!.content}`, 'POST A door.', 'POST A door.', 'POST It is open and painted red.', 'DELETE'],
    );
  });
});

describe('gateway faults', () => {
  test('a reconnect during a turn, with the message delivered again after resume, gives exactly one answer', async () => {
    const model = new ScriptedVisionModel({ chunks: ['A door. ', 'It is ', 'open.'], chunkDelayMs: 80 });
    harness = await startDiscordHarness({ model });
    const { discord } = harness;
    const sent = discord.dmMessage({ author: alice, content: 'is the door open?' });
    await discord.waitFor((call) => call.path.endsWith('/typing'), { timeoutMs: 5000 });
    await discord.disconnect({ reconnect: 'resume' });
    await discord.whenConnected({ timeoutMs: 10_000 });
    discord.dispatchAgain(sent.id);
    await harness.messages(2);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.deepEqual(discord.sentMessages().map((message) => message.content), ['A door.', 'It is open.']);
    assert.equal(discord.resumeCount, 1);
    assert.equal(model.requests.length, 1);
  });

  test('stopping while an answer is being sent lets it finish: all of it arrives, once, and nothing is replayed after the restart', async () => {
    const model = new ScriptedVisionModel({ chunks: ['A door. ', 'It is ', 'open.'], chunkDelayMs: 150 });
    harness = await startDiscordHarness({ model });
    const { discord } = harness;
    discord.dmMessage({ author: alice, content: 'is the door open?' });
    await discord.waitFor((call) => call.method === 'POST' && (call.body as { content?: string } | undefined)?.content === 'A door.', { timeoutMs: 5000 });
    await harness.restartBot();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(discord.sentMessages().map((message) => message.content), ['A door.', 'It is open.']);
    assert.equal(model.requests.length, 1);
  });

  test('a message delivered again to a restarted bot (empty cache, same memory) is not answered twice', async () => {
    harness = await startDiscordHarness();
    const { discord } = harness;
    const sent = discord.dmMessage({ author: alice, content: 'hello' });
    await harness.messages(2);
    await harness.restartBot();
    discord.dispatch('MESSAGE_CREATE', sent);
    discord.dmMessage({ author: alice, content: 'second' });
    await harness.messages(4);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(
      discord.sentMessages().map((message) => message.content),
      ['I see 0 photos.', 'You asked: hello', 'I see 0 photos.', 'You asked: second'],
    );
    assert.equal(discord.identifyCount, 2);
  });

  test('a 429 from REST is retried by discord.js', async () => {
    harness = await startDiscordHarness();
    harness.discord.failNext(/\/channels\/\d+\/messages$/, { status: 429, retryAfterSeconds: 0.5 });
    harness.discord.dmMessage({ author: alice, content: 'hello' });
    const messages = await harness.messages(2);
    assert.deepEqual(messages.map((message) => message.content), ['I see 0 photos.', 'You asked: hello']);
  });
});

describe('npm start with both tokens', () => {
  test('runs the Discord and Telegram bots in one process; both answer; SIGTERM stops both', async () => {
    const discord = await startFakeDiscord();
    const telegram = await startFakeTelegram();
    const folder = makeTempFolder();
    try {
      const telegramUserOne = telegramUser({ id: 4242 });
      const answered = (async () => {
        await discord.waitFor((call) => call.method === 'PUT' && call.path.includes('/commands'), { timeoutMs: 30_000 });
        await telegram.waitFor((call) => call.method === 'setMyCommands', { timeoutMs: 30_000 });
        discord.dmMessage({ author: alice, content: 'hello from discord' });
        telegram.sendText({ chat: privateChat(telegramUserOne), from: telegramUserOne, text: '/help' });
        await discord.waitFor((call) => call.method === 'POST' && call.route === 'POST /channels/:channelId/messages', { timeoutMs: 30_000 });
        await telegram.waitFor((call) => call.method === 'sendMessage', { timeoutMs: 30_000 });
      })();
      const result = await runEntry('bots/main.ts', [], {
        environment: {
          DISCORD_BOT_TOKEN: discord.token,
          DISCORD_API_ROOT: discord.apiRoot,
          TELEGRAM_BOT_TOKEN: telegram.token,
          TELEGRAM_API_ROOT: telegram.apiRoot,
          DATA_DIR: join(folder.path, 'data'),
          MODELS_DIR: join(folder.path, 'models'),
        },
        stopWhen: answered,
      });
      await answered;
      assert.equal(result.code, 0, result.stderr);
      // No model is installed here: the answer says so, in one kind sentence.
      assert.match(discord.sentMessages()[0]!.content, /^No vision model is set up on this server yet/);
      assert.match(result.stderr, /"msg":"discord bot ready"/);
      assert.doesNotMatch(result.stderr, /hello from discord/);
    } finally {
      await discord.close();
      await telegram.close();
      folder.remove();
    }
  });
});
