import assert from 'node:assert/strict';
import { once } from 'node:events';
import { afterEach, describe, test } from 'node:test';
import {
  ApplicationCommandOptionType, ApplicationCommandType, ChannelType, Client, DiscordAPIError, Events, GatewayIntentBits, MessageFlags, Partials,
  PermissionFlagsBits, type ChatInputCommandInteraction, type Interaction, type Message, type MessageContextMenuCommandInteraction,
} from 'discord.js';
import { discordUser, startFakeDiscord, type FakeDiscord, type FakeDiscordOptions, type RecordedCall } from './helpers/fake-discord.js';

/**
 * The fake Discord is only worth something if the real discord.js Client works against it as it
 * would against discord.com; these tests drive it with one, unmocked, over 127.0.0.1.
 */

const allIntents = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages, GatewayIntentBits.MessageContent];

let fake: FakeDiscord | undefined;
let client: Client | undefined;

afterEach(async () => {
  // The client first: closing the fake under a live client makes discord.js reconnect.
  await client?.destroy();
  client = undefined;
  await fake?.close();
  fake = undefined;
});

async function startClient(options: FakeDiscordOptions = {}, intents = allIntents): Promise<{ fake: FakeDiscord; client: Client }> {
  fake = await startFakeDiscord(options);
  client = new Client({ intents, partials: [Partials.Channel, Partials.Message], rest: { api: fake.apiRoot } });
  const ready = once(client, Events.ClientReady);
  await client.login(fake.token);
  await ready;
  return { fake, client };
}

function nextEvent<Value>(emitter: Client, event: string, accept: (value: Value) => boolean = () => true): Promise<Value> {
  return new Promise((resolve) => {
    const listener = (value: Value): void => {
      if (!accept(value)) return;
      emitter.off(event, listener);
      resolve(value);
    };
    emitter.on(event, listener);
  });
}

const isCall = (method: string, route: string) => (call: RecordedCall) => call.method === method && call.route === `${method} ${route}` && call.status < 300;
const ada = discordUser({ username: 'ada', global_name: 'Ada' });

describe('the fake Discord, driven by the real discord.js Client', { timeout: 10_000 }, () => {
  test('logs in and reaches ClientReady without the 15 s wait for guilds', async () => {
    const startedAt = Date.now();
    const { fake, client } = await startClient();
    // discord.js waits 15 s for guilds it was not sent; well under that means none were missing.
    assert.ok(Date.now() - startedAt < 8_000, `ready after ${Date.now() - startedAt} ms`);
    assert.equal(client.user?.id, fake.botUser.id);
    assert.equal(client.application?.id, fake.applicationId);
    assert.deepEqual(fake.calls.map((call) => `${call.method} ${call.path} ${call.status}`), ['GET /gateway/bot 200']);
    assert.match(fake.gatewayConnections[0] ?? '', /^\/gateway\?v=10&encoding=json$/);
    assert.equal(fake.identifyCount, 1);
    const channel = client.channels.cache.get(fake.defaultChannelId);
    assert.equal(channel?.type, ChannelType.GuildText);
    const permissions = channel?.isTextBased() && !channel.isDMBased() ? channel.permissionsFor(client.user ?? '') : null;
    assert.ok(permissions?.has([PermissionFlagsBits.ViewChannel, PermissionFlagsBits.SendMessages, PermissionFlagsBits.AttachFiles]));
  });

  test('a wrong token is refused with 401, which discord.js reports as an invalid token', async () => {
    fake = await startFakeDiscord();
    client = new Client({ intents: allIntents, rest: { api: fake.apiRoot } });
    await assert.rejects(client.login('not-the-token'), /invalid token/i);
    assert.equal(fake.calls[0]?.status, 401);
  });

  test('a DM fires messageCreate; reply and typing are recorded', async () => {
    const { fake, client } = await startClient();
    client.on(Events.MessageCreate, async (message) => {
      if (message.author.bot) return;
      await message.channel.sendTyping();
      await message.reply({ content: `You said: ${message.content}`, allowedMentions: { repliedUser: false } });
    });
    const question = fake.dmMessage({ author: ada, content: 'what is on my desk?' });
    await fake.waitFor(isCall('POST', '/channels/:channelId/messages'));

    const dmChannelId = fake.dmChannelId(ada.id);
    assert.equal(question.channel_id, dmChannelId);
    assert.equal(fake.typingCount(dmChannelId), 1);
    const [reply] = fake.sentMessages(dmChannelId);
    assert.equal(reply?.content, 'You said: what is on my desk?');
    assert.equal(reply?.message_reference?.message_id, question.id);
    assert.deepEqual(reply?.allowed_mentions, { replied_user: false });
  });

  test('attachments download from the fake CDN; alt text, voice notes, expired links', async () => {
    const { fake, client } = await startClient();
    const photo = fake.attachment(new Uint8Array([1, 2, 3, 4]), { filename: 'desk.jpg', contentType: 'image/jpeg', description: 'a desk', width: 640, height: 480 });
    const voice = fake.attachment(new Uint8Array([79, 103, 103, 83]), { filename: 'voice-message.ogg', contentType: 'audio/ogg', durationSecs: 2.5 });
    const gone = fake.attachment(new Uint8Array([9]), { filename: 'old.png', contentType: 'image/png', delivery: 'expired' });
    const received = nextEvent<Message>(client, Events.MessageCreate);
    fake.dmMessage({ author: ada, content: '', attachments: [photo, voice, gone], flags: MessageFlags.IsVoiceMessage });
    const message = await received;

    const [first, second, third] = [...message.attachments.values()];
    assert.equal(first?.description, 'a desk');
    assert.deepEqual(new Uint8Array(await (await fetch(first?.url ?? '')).arrayBuffer()), new Uint8Array([1, 2, 3, 4]));
    assert.deepEqual(new Uint8Array(await (await fetch(first?.proxyURL ?? '')).arrayBuffer()), new Uint8Array([1, 2, 3, 4]));
    assert.equal(fake.downloadCount(photo.id), 2);
    assert.ok(message.flags.has(MessageFlags.IsVoiceMessage));
    assert.equal(second?.duration, 2.5);
    assert.ok(second?.waveform);
    assert.equal((await fetch(third?.url ?? '')).status, 404);
  });

  test('a slow download waits, a dropped one fails midway', async () => {
    const { fake } = await startClient();
    const slow = fake.attachment(new Uint8Array(10), { filename: 'slow.jpg', contentType: 'image/jpeg', delivery: { delayMs: 200 } });
    const startedAt = Date.now();
    assert.equal((await (await fetch(slow.url)).arrayBuffer()).byteLength, 10);
    assert.ok(Date.now() - startedAt >= 190);
    const dropped = fake.attachment(new Uint8Array(1000), { filename: 'cut.jpg', contentType: 'image/jpeg', delivery: 'drop-connection' });
    await assert.rejects(async () => (await fetch(dropped.url)).arrayBuffer());
  });

  test('a file sent as multipart is parsed with its alt text', async () => {
    const { fake, client } = await startClient();
    const channel = await client.channels.fetch(fake.defaultChannelId);
    assert.ok(channel?.isSendable());
    const bytes = Buffer.from('fake image bytes');
    const sent = await channel.send({ content: 'Here it is', files: [{ attachment: bytes, name: 'answer.png', description: 'the answer' }] });

    const call = await fake.waitFor(isCall('POST', '/channels/:channelId/messages'));
    assert.equal(call.files[0]?.field, 'files[0]');
    assert.equal(call.files[0]?.name, 'answer.png');
    const [record] = fake.sentMessages(fake.defaultChannelId);
    assert.equal(record?.content, 'Here it is');
    assert.equal(record?.attachments[0]?.description, 'the answer');
    assert.deepEqual(Buffer.from(record?.attachments[0]?.bytes ?? []), bytes);
    assert.equal(sent.attachments.first()?.description, 'the answer');
  });

  test('a guild message that mentions the bot arrives with the mention', async () => {
    const { fake, client } = await startClient();
    const received = nextEvent<Message>(client, Events.MessageCreate);
    fake.guildMessage({ author: ada, content: 'describe this', mentionsBot: true });
    const message = await received;
    assert.ok(client.user && message.mentions.has(client.user));
    assert.equal(message.content, `<@${fake.botUser.id}> describe this`);
    assert.equal(message.guildId, fake.defaultGuildId);
    assert.equal(message.member?.id, ada.id);
  });

  test('without MESSAGE_CONTENT, guild messages that do not mention the bot arrive without content or attachments', async () => {
    const { fake, client } = await startClient({}, [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages]);
    const photo = fake.attachment(new Uint8Array([1]), { filename: 'a.jpg', contentType: 'image/jpeg' });
    const received = nextEvent<Message>(client, Events.MessageCreate);
    fake.guildMessage({ author: ada, content: 'just chatting', attachments: [photo] });
    const message = await received;
    assert.equal(message.content, '');
    assert.equal(message.attachments.size, 0);
    const dm = nextEvent<Message>(client, Events.MessageCreate);
    fake.dmMessage({ author: ada, content: 'in private', attachments: [photo] });
    assert.equal((await dm).attachments.size, 1);
  });

  test('application commands are registered per guild and keep their ids', async () => {
    const { fake, client } = await startClient();
    const definitions = [
      { name: 'describe', description: 'Describe a photo', options: [{ type: ApplicationCommandOptionType.Attachment, name: 'photo', description: 'The photo', required: true }] },
      { name: 'Describe image', type: ApplicationCommandType.Message },
    ] as const;
    const registered = await client.application?.commands.set([...definitions], fake.defaultGuildId);
    assert.deepEqual([...(registered?.values() ?? [])].map((command) => command.name), ['describe', 'Describe image']);
    await fake.waitFor(isCall('PUT', '/applications/:applicationId/guilds/:guildId/commands'));
    const again = await client.application?.commands.set([...definitions], fake.defaultGuildId);
    assert.deepEqual([...(again?.keys() ?? [])], [...(registered?.keys() ?? [])]);
    assert.deepEqual(fake.registeredCommands(fake.defaultGuildId).map((command) => command.name), ['describe', 'Describe image']);
    await assert.rejects(client.application?.commands.set([{ name: 'Bad Name', description: 'x' }]) ?? Promise.reject(new Error('no application')), (error: unknown) => error instanceof DiscordAPIError && error.code === 50035);
  });

  test('a slash command: deferReply (ephemeral), editReply and followUp are recorded', async () => {
    const { fake, client } = await startClient();
    const photo = fake.attachment(new Uint8Array([5]), { filename: 'p.jpg', contentType: 'image/jpeg' });
    const handled = nextEvent<Interaction>(client, Events.InteractionCreate);
    const injected = fake.slashCommand({ user: ada, name: 'describe', attachments: { photo } });
    const interaction = (await handled) as ChatInputCommandInteraction;
    assert.ok(interaction.isChatInputCommand());
    assert.equal(interaction.id, injected.id);
    assert.equal(interaction.options.getAttachment('photo')?.url, photo.url);
    assert.equal(interaction.channel?.type, ChannelType.DM);

    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    await interaction.editReply('A wooden desk with a laptop.');
    await interaction.followUp({ content: 'Anything else?', flags: MessageFlags.Ephemeral });

    const responses = fake.interactionResponses(injected.id);
    assert.deepEqual(responses.map((response) => [response.kind, response.callbackType, response.content, response.flags]), [
      ['callback', 5, undefined, MessageFlags.Ephemeral],
      ['edit-original', undefined, 'A wooden desk with a laptop.', MessageFlags.Ephemeral],
      ['follow-up', undefined, 'Anything else?', MessageFlags.Ephemeral],
    ]);
    assert.ok(fake.calls.some((call) => call.path.endsWith('/messages/@original') && call.method === 'PATCH'));
    assert.equal(fake.originalResponse(injected.id)?.content, 'A wooden desk with a laptop.');
    await assert.rejects(interaction.reply('twice'), /already been sent or deferred/);
  });

  test('an interaction answered after the deadline is an unknown interaction', async () => {
    const { fake, client } = await startClient({ interactionAckDeadlineMs: 50 });
    const handled = nextEvent<Interaction>(client, Events.InteractionCreate);
    fake.slashCommand({ user: ada, name: 'describe', guildId: fake.defaultGuildId });
    const interaction = (await handled) as ChatInputCommandInteraction;
    assert.equal(interaction.guildId, fake.defaultGuildId);
    await new Promise((resolve) => setTimeout(resolve, 80));
    await assert.rejects(interaction.deferReply(), (error: unknown) => error instanceof DiscordAPIError && error.code === 10062);
  });

  test('a message context-menu command exposes the target message and its attachments', async () => {
    const { fake, client } = await startClient();
    const photo = fake.attachment(new Uint8Array([7, 7]), { filename: 'shelf.jpg', contentType: 'image/jpeg', description: 'a shelf' });
    const target = fake.guildMessage({ author: ada, content: 'look', attachments: [photo] });
    const handled = nextEvent<Interaction>(client, Events.InteractionCreate);
    fake.messageContextCommand({ user: ada, name: 'Describe image', targetMessage: target });
    const interaction = (await handled) as MessageContextMenuCommandInteraction;
    assert.ok(interaction.isMessageContextMenuCommand());
    assert.equal(interaction.targetId, target.id);
    assert.equal(interaction.targetMessage.attachments.first()?.description, 'a shelf');
    assert.equal(interaction.targetMessage.attachments.first()?.url, photo.url);
    await interaction.reply({ content: 'A shelf of books.' });
    assert.equal(fake.interactionResponses(interaction.id)[0]?.callbackType, 4);
  });

  test('a 429 is retried by discord.js after Retry-After; 403 and too-long content reject', async () => {
    const { fake, client } = await startClient();
    const channel = await client.channels.fetch(fake.defaultChannelId);
    assert.ok(channel?.isSendable());
    fake.failNext('POST /channels/:id/messages', { status: 429, retryAfterSeconds: 0.3 });
    await channel.send('after the limit');
    const attempts = fake.calls.filter((call) => call.method === 'POST');
    assert.deepEqual(attempts.map((call) => call.status), [429, 200]);
    assert.ok((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0) >= 300);

    fake.failNext('POST /channels/:id/messages', { status: 403 });
    await assert.rejects(channel.send('no'), (error: unknown) => error instanceof DiscordAPIError && error.code === 50013 && error.status === 403);
    await assert.rejects(channel.send('x'.repeat(2001)), (error: unknown) => error instanceof DiscordAPIError && error.code === 50035);
    assert.deepEqual(fake.sentMessages().map((message) => message.content), ['after the limit']);
  });

  for (const mode of ['resume', 'reconnect-op'] as const) {
    test(`after a dropped connection (${mode}) the client RESUMEs and gets what it missed, once`, async () => {
      const { fake, client } = await startClient();
      const seen: string[] = [];
      client.on(Events.MessageCreate, (message) => void seen.push(message.content));
      // Discord replays missed events before RESUMED, so the message is in by the time the shard resumes.
      const seenAtResume = nextEvent(client, Events.ShardResume).then(() => [...seen]);
      await fake.disconnect({ reconnect: mode });
      const missed = fake.dmMessage({ author: ada, content: 'sent while you were away' });
      assert.deepEqual(await seenAtResume, ['sent while you were away']);
      await fake.whenConnected();
      const after = nextEvent<Message>(client, Events.MessageCreate, (message) => message.content === 'after');
      fake.dmMessage({ author: ada, content: 'after' });
      await after;
      assert.deepEqual(seen, ['sent while you were away', 'after']);
      assert.equal(fake.resumeCount, 1);
      assert.equal(fake.identifyCount, 1);
      assert.match(fake.gatewayConnections[1] ?? '', /^\/gateway-resume\?v=10&encoding=json$/);
      assert.ok(fake.dispatches('MESSAGE_CREATE').some((entry) => (entry.d as { id: string }).id === missed.id));
    });
  }

  test('a duplicate MESSAGE_CREATE reaches the client; discord.js drops it while the message is cached', async () => {
    const { fake, client } = await startClient();
    const raw: string[] = [];
    const created: string[] = [];
    client.on(Events.Raw, (packet: { t?: string; d?: { id?: string } }) => void (packet.t === 'MESSAGE_CREATE' && raw.push(packet.d?.id ?? '')));
    client.on(Events.MessageCreate, (message) => void created.push(message.id));
    const first = nextEvent<Message>(client, Events.MessageCreate);
    const message = fake.dmMessage({ author: ada, content: 'once' });
    await first;
    fake.dispatchAgain(message.id);
    const marker = nextEvent<Message>(client, Events.MessageCreate, (received) => received.content === 'marker');
    fake.dmMessage({ author: ada, content: 'marker' });
    await marker;
    assert.deepEqual(raw.slice(0, 2), [message.id, message.id]);
    assert.equal(created.filter((id) => id === message.id).length, 1);
  });

  test('heartbeats are acknowledged, so a short interval keeps the session', async () => {
    const { fake } = await startClient({ heartbeatIntervalMs: 40 });
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.ok(fake.heartbeatCount >= 3, `heartbeats: ${fake.heartbeatCount}`);
    assert.equal(fake.resumeCount, 0);
    assert.equal(fake.identifyCount, 1);
  });

  test('destroy, then close, leaves no sockets, servers or timers behind', async () => {
    const before = await settledHandles();
    const started = await startClient({ heartbeatIntervalMs: 1_000 });
    const channel = await started.client.channels.fetch(started.fake.defaultChannelId);
    assert.ok(channel?.isSendable());
    await channel.send('keep-alive connection in use');
    assert.ok(Object.keys(countHandles()).length > 0);
    await started.client.destroy();
    await started.fake.close();
    client = undefined;
    fake = undefined;
    assert.deepEqual(await settledHandles(), before);
  });
});

/** Sockets close a moment after `close()` resolves on the other end; let them finish first. */
async function settledHandles(): Promise<Record<string, number>> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  return countHandles();
}

function countHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) if (kind.startsWith('TCP') || kind === 'Timeout') counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}
