import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { Api, InputFile } from 'grammy';
import type { Message } from 'grammy/types';
import { MessageFlags, PermissionFlagsBits, REST, Routes } from 'discord.js';
import { createDiscordPlatform } from '../adapters/discord/index.js';
import { createTelegramPlatform } from '../adapters/telegram/index.js';
import { PlatformError, silentLogger, type Inbox, type IncomingTurn, type OutgoingVoiceNote, type Platform, type ReplyChannel } from '../core/index.js';
import { encodeOggOpus, voiceLike } from './helpers/audio.js';
import { defaultBotPermissions, discordUser, startFakeDiscord, type FakeDiscord, type FakeGuild, type RecordedCall as DiscordCall } from './helpers/fake-discord.js';
import { groupChat, privateChat, startFakeTelegram, telegramUser, type FakeTelegram } from './helpers/fake-telegram.js';

/**
 * Voice replies on the wire: the real grammy and discord.js clients, driven by the adapters'
 * own reply channels, against fakes that check voice messages as Telegram and Discord do.
 * The channels come from an inbox that only keeps them, so each test sends the voice note
 * itself, without the assistant.
 */

const teardown: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of teardown.splice(0).reverse()) await step();
});

const SECONDS = 2.4;
const ogg = encodeOggOpus(voiceLike(SECONDS, 48000), 48000);
const note: OutgoingVoiceNote = { data: ogg, durationSeconds: SECONDS, waveform: peaks(voiceLike(SECONDS, 48000), 100) };

/** Loudness per stretch, 0..255, as the core draws a waveform. */
function peaks(samples: Float32Array, count: number): Uint8Array {
  const result = new Uint8Array(count);
  const stretch = Math.ceil(samples.length / count);
  for (let index = 0; index < count; index += 1) {
    let peak = 0;
    for (const sample of samples.subarray(index * stretch, (index + 1) * stretch)) peak = Math.max(peak, Math.abs(sample));
    result[index] = Math.min(255, Math.round(peak * 255));
  }
  return result;
}

interface Captured {
  readonly turn: IncomingTurn;
  readonly channel: ReplyChannel;
}

/** An inbox that keeps each turn's reply channel and answers nothing. */
function capturingInbox(): Inbox & { next(): Promise<Captured> } {
  const captured: Captured[] = [];
  const waiting: Array<(entry: Captured) => void> = [];
  return {
    async receive(turn, channel) {
      const entry = { turn, channel };
      const waiter = waiting.shift();
      if (waiter) waiter(entry);
      else captured.push(entry);
    },
    async idle() {},
    journal: { keep() {}, drop() {}, replay: () => [] },
    next() {
      const entry = captured.shift();
      if (entry) return Promise.resolve(entry);
      return new Promise<Captured>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no turn reached the inbox within 5 s')), 5000);
        waiting.push((arrived) => {
          clearTimeout(timer);
          resolve(arrived);
        });
      });
    },
  };
}

async function rejectsWith(promise: Promise<unknown> | undefined, kind: PlatformError['kind'], pattern: RegExp): Promise<void> {
  await assert.rejects(promise!, (error: unknown) => {
    assert.ok(error instanceof PlatformError, `a PlatformError, not ${String(error)}`);
    assert.equal(error.kind, kind);
    assert.match(error.message, pattern);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Telegram

const alice = telegramUser({ id: 3101, first_name: 'Alice' });
const bob = telegramUser({ id: 3102, first_name: 'Bob' });

async function startTelegram(): Promise<{ telegram: FakeTelegram; inbox: ReturnType<typeof capturingInbox> }> {
  const telegram = await startFakeTelegram();
  teardown.push(() => telegram.close());
  const platform = createTelegramPlatform({ token: telegram.token, apiRoot: telegram.apiRoot, logger: silentLogger(), albumWindowMs: 50, downloadLimitBytes: 20 * 1024 * 1024 });
  const inbox = capturingInbox();
  await platform.start(inbox);
  teardown.push(() => platform.stop());
  return { telegram, inbox };
}

function sentVoice(telegram: FakeTelegram, chatId: number): Message.VoiceMessage {
  const voices = telegram.sentMessages(chatId).filter((message): message is Message.VoiceMessage => message.voice !== undefined);
  assert.equal(voices.length, 1, 'one voice message');
  return voices[0]!;
}

describe('Telegram voice replies', () => {
  test('a private chat gets a voice message: the exact bytes, a whole-second duration, no reply threading', async () => {
    const { telegram, inbox } = await startTelegram();
    telegram.sendText({ chat: privateChat(alice), from: alice, text: 'what is on the shelf?' });
    const { channel } = await inbox.next();
    const sent = await channel.sendVoice!(note);

    const call = await telegram.waitFor((recorded) => recorded.method === 'sendVoice');
    assert.equal(call.errorCode, undefined);
    assert.equal(call.params.duration, '2', 'grammy sends multipart fields as text; 2.4 s rounds to 2');
    assert.equal(call.params.reply_parameters, undefined);
    const message = sentVoice(telegram, alice.id);
    assert.equal(sent?.id, String(message.message_id));
    assert.equal(message.voice.duration, 2);
    assert.equal(message.voice.mime_type, 'audio/ogg');
    assert.equal(message.voice.file_size, ogg.length);
    assert.deepEqual(telegram.fileBytes(message.voice.file_id), ogg);
  });

  test('a note under half a second still says one second; 2.6 s says three', async () => {
    const { telegram, inbox } = await startTelegram();
    telegram.sendText({ chat: privateChat(alice), from: alice, text: 'hello' });
    const { channel } = await inbox.next();
    await channel.sendVoice!({ ...note, durationSeconds: 0.3 });
    await channel.sendVoice!({ ...note, durationSeconds: 2.6 });
    const durations = telegram.sentMessages(alice.id).map((message) => message.voice?.duration);
    assert.deepEqual(durations, [1, 3]);
  });

  test('in a group the voice message replies to the question', async () => {
    const { telegram, inbox } = await startTelegram();
    const group = groupChat({ id: -3100 });
    const question = telegram.sendText({ chat: group, from: alice, text: `@${telegram.botInfo.username} what does the sign say?` });
    const { channel } = await inbox.next();
    await channel.sendVoice!(note);
    assert.equal(sentVoice(telegram, group.id).reply_to_message?.message_id, question.message.message_id);
  });

  test('a person who forbids voice messages: forbidden, and nothing was sent', async () => {
    const { telegram, inbox } = await startTelegram();
    telegram.forbidVoiceMessages(alice.id);
    telegram.sendText({ chat: privateChat(alice), from: alice, text: 'hello' });
    const { channel } = await inbox.next();
    await rejectsWith(channel.sendVoice!(note), 'forbidden', /VOICE_MESSAGES_FORBIDDEN/);
    assert.deepEqual(telegram.sentMessages(alice.id), []);
    // Text still reaches them, so the core can say why there is no voice.
    await channel.sendText('I could not send a voice message.', { asReply: false, kind: 'notice' });
    assert.equal(telegram.sentMessages(alice.id).length, 1);
  });

  test('a group that forbids voice notes is forbidden; a person who blocked the bot is gone', async () => {
    const { telegram, inbox } = await startTelegram();
    const group = groupChat({ id: -3101 });
    telegram.sendText({ chat: group, from: bob, text: `@${telegram.botInfo.username} read this` });
    const { channel: inGroup } = await inbox.next();
    telegram.failNext('sendVoice', { errorCode: 400, description: 'Bad Request: not enough rights to send voice notes to the chat' });
    await rejectsWith(inGroup.sendVoice!(note), 'forbidden', /not enough rights/);

    telegram.sendText({ chat: privateChat(bob), from: bob, text: 'hello' });
    const { channel: privately } = await inbox.next();
    telegram.failNext('sendVoice', { errorCode: 403 });
    await rejectsWith(privately.sendVoice!(note), 'recipient-gone', /blocked/);
  });
});

describe('the fake Telegram checks sendVoice as the Bot API does', () => {
  test('no voice file, a fractional duration and a refusing person are errors; a file that is not audio arrives as a document', async () => {
    const telegram = await startFakeTelegram();
    teardown.push(() => telegram.close());
    const api = new Api(telegram.token, { apiRoot: telegram.apiRoot });
    await assert.rejects(api.sendVoice(alice.id, ''), /there is no voice in the request/);
    await assert.rejects(api.sendVoice(alice.id, new InputFile(ogg, 'a.ogg'), { duration: 1.5 }), /whole number of seconds/);
    const asFile = await api.sendVoice(alice.id, new InputFile(new TextEncoder().encode('not audio at all'), 'notes.txt'));
    assert.equal(asFile.voice, undefined);
    assert.equal((asFile as Message).document?.file_name, 'notes.txt');
    telegram.forbidVoiceMessages(alice.id);
    await assert.rejects(api.sendVoice(alice.id, new InputFile(ogg, 'a.ogg')), /400: Bad Request: VOICE_MESSAGES_FORBIDDEN/);
  });
});

// ---------------------------------------------------------------------------------------------
// Discord

const carol = discordUser({ username: 'carol' });

async function startDiscord(guilds?: FakeGuild[]): Promise<{ discord: FakeDiscord; inbox: ReturnType<typeof capturingInbox> }> {
  const discord = await startFakeDiscord(guilds ? { guilds } : {});
  teardown.push(() => discord.close());
  const platform: Platform = createDiscordPlatform({
    token: discord.token, apiRoot: discord.apiRoot, testGuildId: discord.defaultGuildId, logger: silentLogger(), downloadLimitBytes: 20 * 1024 * 1024,
  });
  const inbox = capturingInbox();
  await platform.start(inbox);
  // The client goes first: a fake closed under it would make it reconnect.
  teardown.push(() => platform.stop());
  return { discord, inbox };
}

function voiceCall(discord: FakeDiscord, channelId: string): DiscordCall {
  const calls = discord.calls.filter((call) => call.path === `/channels/${channelId}/messages` && ((call.body as { flags?: number })?.flags ?? 0) & MessageFlags.IsVoiceMessage);
  assert.equal(calls.length, 1, 'one voice message posted');
  return calls[0]!;
}

/** What Discord stored and what went over the wire: the voice flag, one audio/ogg part, no text. */
function assertVoiceMessage(discord: FakeDiscord, channelId: string, expectedWaveform: Uint8Array): void {
  const call = voiceCall(discord, channelId);
  assert.equal(call.method, 'POST');
  assert.equal(call.status, 200);
  assert.equal(call.files.length, 1);
  assert.equal(call.files[0]!.contentType, 'audio/ogg');
  assert.deepEqual(call.files[0]!.bytes, ogg);
  const body = call.body as Record<string, unknown>;
  assert.equal(body.content, undefined);
  assert.equal(body.embeds, undefined);

  const [message] = discord.sentMessages(channelId);
  assert.ok(message);
  assert.equal(message.flags, MessageFlags.IsVoiceMessage);
  assert.equal(message.content, '');
  assert.deepEqual(message.embeds, []);
  assert.equal(message.attachments.length, 1);
  const [attachment] = message.attachments;
  assert.equal(attachment!.content_type, 'audio/ogg');
  assert.equal(attachment!.filename, 'voice-message.ogg');
  assert.equal(attachment!.duration_secs, SECONDS);
  const waveform = Buffer.from(attachment!.waveform ?? '', 'base64');
  assert.ok(waveform.length <= 256);
  assert.deepEqual(new Uint8Array(waveform), expectedWaveform);
}

describe('Discord voice replies', () => {
  test('a DM gets a voice message replying to the question: flag 8192, one audio/ogg file, length and waveform, no text', async () => {
    const { discord, inbox } = await startDiscord();
    const question = discord.dmMessage({ author: carol, content: 'what colour is this?' });
    const { channel } = await inbox.next();
    const sent = await channel.sendVoice!(note);
    assertVoiceMessage(discord, question.channel_id, note.waveform!);
    const [message] = discord.sentMessages(question.channel_id);
    assert.equal(sent?.id, message!.id);
    assert.equal(message!.message_reference?.message_id, question.id);
    assert.equal(message!.allowed_mentions?.replied_user, false);
  });

  test('a server channel gets one too; a waveform longer than 256 samples is fitted, keeping its peaks', async () => {
    const { discord, inbox } = await startDiscord();
    discord.guildMessage({ author: carol, content: 'read the label', mentionsBot: true });
    const { channel } = await inbox.next();
    const long = new Uint8Array(1000).fill(10);
    long[999] = 250;
    await channel.sendVoice!({ ...note, waveform: long });
    const [message] = discord.sentMessages(discord.defaultChannelId);
    const waveform = Buffer.from(message!.attachments[0]!.waveform ?? '', 'base64');
    assert.equal(waveform.length, 256);
    assert.equal(waveform[255], 250);
    assert.equal(waveform[0], 10);
  });

  test('without the right to send voice messages: forbidden; the DM fallback takes the voice message instead', async () => {
    const withoutVoice = defaultBotPermissions & ~PermissionFlagsBits.SendVoiceMessages;
    const { discord, inbox } = await startDiscord([{ botPermissions: withoutVoice }]);
    discord.guildMessage({ author: carol, content: 'read the label', mentionsBot: true });
    const { channel } = await inbox.next();
    await rejectsWith(channel.sendVoice!(note), 'forbidden', /Missing Permissions/);
    assert.deepEqual(discord.sentMessages(discord.defaultChannelId), []);
    await channel.privateFallback!().sendVoice!(note);
    assertVoiceMessage(discord, discord.dmChannelId(carol.id), note.waveform!);
  });

  test('a slash command answered in the open gets its voice message in the channel, not as a follow-up; a private one gets none', async () => {
    const { discord, inbox } = await startDiscord();
    const read = discord.slashCommand({ user: carol, name: 'read' });
    const { channel: open } = await inbox.next();
    await open.sendVoice!(note);
    assertVoiceMessage(discord, discord.dmChannelId(carol.id), note.waveform!);
    // Why it is not a follow-up: Discord refuses the voice flag on an interaction's webhook.
    const rest = new REST({ api: discord.apiRoot, retries: 0 });
    const followUp = { flags: MessageFlags.IsVoiceMessage, attachments: [{ id: 0, filename: 'voice-message.ogg', duration_secs: SECONDS, waveform: 'AAAA' }] };
    await assert.rejects(
      rest.post(Routes.webhook(discord.applicationId, read.token), { files: [{ name: 'voice-message.ogg', data: ogg, contentType: 'audio/ogg' }], body: followUp, auth: false }),
      { code: 50035 },
    );

    discord.slashCommand({ user: carol, name: 'mydata', guildId: discord.defaultGuildId });
    const { channel: ephemeral } = await inbox.next();
    assert.equal(ephemeral.sendVoice, undefined, 'a channel message would show everyone a private answer');
  });
});

describe('the fake Discord checks voice messages as Discord does', () => {
  test('text beside the clip, a file labelled application/ogg, two files, no metadata, a long waveform and an edit are refused', async () => {
    const discord = await startFakeDiscord();
    teardown.push(() => discord.close());
    const rest = new REST({ api: discord.apiRoot, retries: 0 }).setToken(discord.token);
    const channel = discord.defaultChannelId;
    const meta = { id: 0, filename: 'voice-message.ogg', duration_secs: 2.4, waveform: Buffer.from(note.waveform!).toString('base64') };
    const file = { name: 'voice-message.ogg', data: ogg, contentType: 'audio/ogg' };
    const post = (body: Record<string, unknown>, files = [file]) =>
      rest.post(Routes.channelMessages(channel), { files, body: { flags: MessageFlags.IsVoiceMessage, attachments: [meta], ...body } });

    await assert.rejects(post({ content: 'hello' }), { code: 50159 });
    await assert.rejects(post({}, [{ name: 'voice-message.ogg', data: ogg } as typeof file]), { code: 50160 }, 'labelled application/ogg by @discordjs/rest');
    await assert.rejects(post({}, [file, { ...file, name: 'second.ogg' }]), { code: 50160 });
    await assert.rejects(post({ attachments: [{ id: 0, filename: 'voice-message.ogg' }] }), { code: 50161 });
    await assert.rejects(post({ attachments: [{ ...meta, waveform: Buffer.alloc(257, 1).toString('base64') }] }), { code: 50035 });
    assert.deepEqual(discord.sentMessages(), []);

    const sent = (await post({})) as { id: string };
    await assert.rejects(rest.patch(Routes.channelMessage(channel, sent.id), { body: { content: 'edited' } }), { code: 50162 });
  });
});
