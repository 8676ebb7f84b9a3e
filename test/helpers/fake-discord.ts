import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApplicationCommandOptionType, GatewayDispatchEvents, MessageType,
  type APIApplicationCommand, type APIApplicationCommandInteractionDataOption, type APIAttachment, type APIMessage, type APIUser,
  type GatewayMessageCreateDispatchData,
} from 'discord.js';
import { FakeGateway, type DisconnectMode, type GatewayDispatch } from './fake-discord-gateway.js';
import {
  chatInputData, commandInteractionPayload, discordUser, guildCreatePayload, guildState, messageCommandData, snowflake, userMessagePayload,
  type AttachmentFields, type FakeGuild, type ForwardedContent, type GuildState,
} from './fake-discord-payloads.js';
import { DiscordState, registerRoutes, type ChannelRecord, type InteractionResponse, type SentMessage } from './fake-discord-rest.js';
import {
  FaultInjector, handleApiRequest, RestRouter, serveAttachment, type AttachmentDelivery, type FailureOptions, type RecordedCall,
} from './fake-discord-wire.js';

export { defaultBotPermissions, discordUser, snowflake } from './fake-discord-payloads.js';
export type { AttachmentFields, FakeGuild, ForwardedContent, GuildState } from './fake-discord-payloads.js';
export type { InteractionResponse, SentAttachment, SentMessage } from './fake-discord-rest.js';
export type { AttachmentDelivery, FailureOptions, RecordedCall, UploadedFile } from './fake-discord-wire.js';
export type { DisconnectMode, GatewayDispatch } from './fake-discord-gateway.js';

/**
 * A Discord API on 127.0.0.1 for tests that drive the real discord.js Client: REST under
 * `apiRoot`, a gateway that GET /gateway/bot points to, and a CDN for attachments. Tests inject
 * what users do (messages, slash commands), cut the gateway, make calls fail, and read back what
 * the bot sent. Log in with `rest: { api: fake.apiRoot }`; tear down with `client.destroy()` first.
 */

export interface FakeDiscordOptions {
  readonly botUserId?: string;
  readonly applicationId?: string;
  /** Guilds the bot is in; defaults to one guild with one text channel. */
  readonly guilds?: readonly FakeGuild[];
  /** HELLO's heartbeat interval (Discord: 41 250 ms); short ones check that ACKs keep the session. */
  readonly heartbeatIntervalMs?: number;
  /** How long a bot has to answer an interaction's callback before it is "Unknown interaction" (Discord: 3 s). */
  readonly interactionAckDeadlineMs?: number;
}

export interface InjectedInteraction {
  readonly id: string;
  readonly token: string;
  readonly payload: unknown;
}

export interface MessageInjection {
  readonly author: APIUser;
  readonly content: string;
  readonly attachments?: readonly APIAttachment[];
  readonly referencedMessageId?: string;
  readonly flags?: number;
  /** Makes it a forwarded message, with this content in its snapshot. */
  readonly forwarded?: ForwardedContent;
}

export interface SlashCommandInjection {
  readonly user: APIUser;
  readonly name: string;
  readonly options?: APIApplicationCommandInteractionDataOption[];
  /** Attachment options by option name: each becomes an option of type 11 plus `resolved.attachments`. */
  readonly attachments?: Record<string, APIAttachment>;
  /** Runs the command in this guild's first text channel (or `channelId`); with neither, in the user's DM. */
  readonly guildId?: string;
  readonly channelId?: string;
}

export interface FakeDiscord {
  readonly apiRoot: string;
  readonly cdnRoot: string;
  readonly token: string;
  readonly applicationId: string;
  readonly botUser: APIUser;
  readonly guilds: readonly GuildState[];
  readonly defaultGuildId: string;
  readonly defaultChannelId: string;
  readonly calls: readonly RecordedCall[];
  readonly identifyCount: number;
  readonly resumeCount: number;
  readonly heartbeatCount: number;
  /** Every gateway URL a client connected with, query included. */
  readonly gatewayConnections: readonly string[];

  dmMessage(input: MessageInjection): GatewayMessageCreateDispatchData;
  guildMessage(input: MessageInjection & { channelId?: string; mentionsBot?: boolean }): GatewayMessageCreateDispatchData;
  attachment(bytes: Uint8Array, fields: AttachmentFields & { delivery?: AttachmentDelivery }): APIAttachment;
  setAttachmentDelivery(attachmentId: string, delivery: AttachmentDelivery): void;
  downloadCount(attachmentId: string): number;
  slashCommand(input: SlashCommandInjection): InjectedInteraction;
  messageContextCommand(input: { user: APIUser; name: string; targetMessage: APIMessage }): InjectedInteraction;
  /** Any dispatch, as is; returns its sequence (undefined when the session's intents filter it out). */
  dispatch(event: string, data: unknown): number | undefined;
  dispatches(event?: string): GatewayDispatch[];
  redispatch(sequence: number): number;
  /** Delivers an injected message's MESSAGE_CREATE once more, as Discord may after a resume. */
  dispatchAgain(messageId: string): number;
  disconnect(options: { reconnect: DisconnectMode }): Promise<void>;
  /** Resolves once a gateway session is live (after READY or RESUMED). */
  whenConnected(options?: { timeoutMs?: number }): Promise<void>;
  dmChannelId(userId: string): string;

  failNext(routePattern: string | RegExp, failure: FailureOptions): void;
  sentMessages(channelId?: string): SentMessage[];
  interactionResponses(interactionId: string): InteractionResponse[];
  /** The interaction's original response message as it stands, if the bot made one. */
  originalResponse(interactionId: string): APIMessage | undefined;
  typingCount(channelId: string): number;
  registeredCommands(guildId?: string): APIApplicationCommand[];
  /** Resolves with the first recorded call, past or future, that satisfies the predicate. */
  waitFor(predicate: (call: RecordedCall) => boolean, options?: { timeoutMs?: number }): Promise<RecordedCall>;
  close(): Promise<void>;
}

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const fake = new FakeDiscordServer(options);
  await fake.listen();
  return fake;
}

class FakeDiscordServer implements FakeDiscord {
  readonly token: string;
  readonly applicationId: string;
  readonly botUser: APIUser;
  readonly guilds: GuildState[];
  readonly calls: RecordedCall[] = [];
  apiRoot = '';
  cdnRoot = '';
  private readonly state: DiscordState;
  private readonly gateway: FakeGateway;
  private readonly router = new RestRouter();
  private readonly faults = new FaultInjector();
  private readonly http: Server;
  private readonly callListeners = new Set<(call: RecordedCall) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(options: FakeDiscordOptions) {
    this.applicationId = options.applicationId ?? snowflake();
    // A bot's user id is its application's id for every bot made since 2020.
    this.botUser = discordUser({ id: options.botUserId ?? this.applicationId, username: 'seed-bot', global_name: 'Seed', bot: true });
    this.token = `${Buffer.from(this.botUser.id).toString('base64')}.fake.discord-test-token`;
    this.guilds = (options.guilds ?? [{}]).map((guild) => guildState(guild, snowflake()));
    this.state = new DiscordState(this.botUser, this.applicationId, this.guilds, options.interactionAckDeadlineMs ?? 3_000);
    this.gateway = new FakeGateway({
      token: this.token, botUser: this.botUser, applicationId: this.applicationId, heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
      guildPayloads: () => this.guilds.map((guild) => guildCreatePayload(guild, this.botUser)),
    });
    this.http = createServer((request, response) => void this.onHttp(request, response));
    registerRoutes(this.router, this.state);
  }

  async listen(): Promise<void> {
    this.http.listen(0, '127.0.0.1');
    await once(this.http, 'listening');
    const origin = `127.0.0.1:${(this.http.address() as AddressInfo).port}`;
    this.apiRoot = `http://${origin}/api`;
    this.cdnRoot = `http://${origin}/cdn`;
    this.gateway.attach(this.http, `ws://${origin}`);
    Object.assign(this.state.roots, { cdn: this.cdnRoot, media: `http://${origin}/media`, gateway: this.gateway.url });
  }

  get defaultGuildId(): string {
    return this.guilds[0]?.id ?? '';
  }

  get defaultChannelId(): string {
    return this.guilds[0]?.channels[0]?.id ?? '';
  }

  get identifyCount(): number {
    return this.gateway.identifyCount;
  }

  get resumeCount(): number {
    return this.gateway.resumeCount;
  }

  get heartbeatCount(): number {
    return this.gateway.heartbeatCount;
  }

  get gatewayConnections(): readonly string[] {
    return this.gateway.connectionUrls;
  }

  // Injection: what users do.

  dmMessage(input: MessageInjection): GatewayMessageCreateDispatchData {
    this.state.users.set(input.author.id, input.author);
    const channel = this.state.requireChannel(this.state.dmChannelId(input.author.id));
    return this.injectMessage(channel, userMessagePayload({ ...input, channelId: channel.payload.id, referencedMessage: referenced(channel, input) }));
  }

  guildMessage(input: MessageInjection & { channelId?: string; mentionsBot?: boolean }): GatewayMessageCreateDispatchData {
    const channel = this.state.requireChannel(input.channelId ?? this.defaultChannelId);
    if (!channel.guild) throw new Error(`channel ${channel.payload.id} is not in a guild`);
    const content = input.mentionsBot ? `<@${this.botUser.id}> ${input.content}` : input.content;
    const guild = { id: channel.guild.id, authorJoinedAt: channel.guild.joinedAt, mentions: input.mentionsBot ? [this.botUser] : [] };
    return this.injectMessage(channel, userMessagePayload({ ...input, content, channelId: channel.payload.id, referencedMessage: referenced(channel, input) }, guild));
  }

  attachment(bytes: Uint8Array, fields: AttachmentFields & { delivery?: AttachmentDelivery }): APIAttachment {
    const { delivery, ...attachmentFields } = fields;
    return this.state.storeAttachment(bytes, attachmentFields, delivery);
  }

  setAttachmentDelivery(attachmentId: string, delivery: AttachmentDelivery): void {
    const stored = this.state.attachments.get(attachmentId);
    if (!stored) throw new Error(`no attachment ${attachmentId}`);
    stored.delivery = delivery;
  }

  downloadCount(attachmentId: string): number {
    return this.state.attachments.get(attachmentId)?.downloads ?? 0;
  }

  /** With no guild or channel given, the user runs the command in their DM with the bot. */
  slashCommand(input: SlashCommandInjection): InjectedInteraction {
    this.state.users.set(input.user.id, input.user);
    const guildChannelId = input.guildId && this.guilds.find((guild) => guild.id === input.guildId)?.channels[0]?.id;
    const channel = this.state.requireChannel(input.channelId ?? (guildChannelId || this.state.dmChannelId(input.user.id)));
    const attachments = Object.entries(input.attachments ?? {});
    const attachmentOptions = attachments.map(([name, attachment]) => ({ name, type: ApplicationCommandOptionType.Attachment as const, value: attachment.id }));
    const command = this.commandFor(input.name, channel.guild?.id);
    const data = chatInputData(command, [...(input.options ?? []), ...attachmentOptions], attachments.map(([, attachment]) => attachment));
    return this.injectInteraction(input.user, channel, data, MessageType.ChatInputCommand);
  }

  messageContextCommand(input: { user: APIUser; name: string; targetMessage: APIMessage }): InjectedInteraction {
    const channel = this.state.requireChannel(input.targetMessage.channel_id);
    const data = messageCommandData(this.commandFor(input.name, channel.guild?.id), input.targetMessage);
    return this.injectInteraction(input.user, channel, data, MessageType.ContextMenuCommand);
  }

  dispatch(event: string, data: unknown): number | undefined {
    return this.gateway.dispatch(event, data);
  }

  dispatches(event?: string): GatewayDispatch[] {
    return this.gateway.dispatchesOf(event);
  }

  redispatch(sequence: number): number {
    return this.gateway.redispatch(sequence);
  }

  dispatchAgain(messageId: string): number {
    const entry = this.gateway.dispatchesOf(GatewayDispatchEvents.MessageCreate).find((logged) => (logged.d as APIMessage).id === messageId);
    if (!entry) throw new Error(`no MESSAGE_CREATE for message ${messageId}`);
    return this.gateway.redispatch(entry.s);
  }

  disconnect(options: { reconnect: DisconnectMode }): Promise<void> {
    return this.gateway.disconnect(options.reconnect);
  }

  whenConnected(options: { timeoutMs?: number } = {}): Promise<void> {
    return this.gateway.whenLive(options.timeoutMs);
  }

  dmChannelId(userId: string): string {
    return this.state.dmChannelId(userId);
  }

  // Observation: what the bot did.

  failNext(routePattern: string | RegExp, failure: FailureOptions): void {
    this.faults.add(routePattern, failure);
  }

  sentMessages(channelId?: string): SentMessage[] {
    return this.state.sent.filter((message) => channelId === undefined || message.channel_id === channelId);
  }

  interactionResponses(interactionId: string): InteractionResponse[] {
    return [...(this.state.interactions.get(interactionId)?.responses ?? [])];
  }

  originalResponse(interactionId: string): APIMessage | undefined {
    return this.state.interactions.get(interactionId)?.original;
  }

  typingCount(channelId: string): number {
    return this.state.typing.get(channelId) ?? 0;
  }

  registeredCommands(guildId?: string): APIApplicationCommand[] {
    return [...(this.state.commands.get(guildId ?? 'global') ?? [])];
  }

  waitFor(predicate: (call: RecordedCall) => boolean, options: { timeoutMs?: number } = {}): Promise<RecordedCall> {
    const past = this.calls.find(predicate);
    if (past) return Promise.resolve(past);
    const timeoutMs = options.timeoutMs ?? 2_000;
    return new Promise((resolve, reject) => {
      const listener = (call: RecordedCall): void => {
        if (!predicate(call)) return;
        stop();
        resolve(call);
      };
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`no matching call within ${timeoutMs} ms; calls: ${this.calls.map((call) => `${call.method} ${call.path} ${call.status}`).join(', ')}`));
      }, timeoutMs);
      const stop = (): void => {
        clearTimeout(timer);
        this.callListeners.delete(listener);
      };
      this.callListeners.add(listener);
    });
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.gateway.close();
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    await closed;
  }

  // Plumbing.

  private async onHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://fake-discord').pathname;
    if (path.startsWith('/api/')) {
      await handleApiRequest(request, response, { token: this.token, router: this.router, faults: this.faults, record: (call) => this.record(call) });
    } else if (path.startsWith('/cdn/attachments/') || path.startsWith('/media/attachments/')) {
      serveAttachment(response, this.state.attachments.get(path.split('/')[4] ?? ''), this.timers);
    } else response.writeHead(404).end();
  }

  private record(call: RecordedCall): void {
    this.calls.push(call);
    for (const listener of [...this.callListeners]) listener(call);
  }

  private injectMessage(channel: ChannelRecord, message: GatewayMessageCreateDispatchData): GatewayMessageCreateDispatchData {
    this.state.users.set(message.author.id, message.author);
    channel.messages.set(message.id, message);
    this.gateway.dispatch(GatewayDispatchEvents.MessageCreate, message);
    return message;
  }

  /** A registered command's id when there is one, as Discord would send; otherwise a fresh id. */
  private commandFor(name: string, guildId: string | undefined): { id: string; name: string; guildId?: string } {
    const inGuild = guildId === undefined ? undefined : this.state.commands.get(guildId)?.find((command) => command.name === name);
    const registered = inGuild ?? this.state.commands.get('global')?.find((command) => command.name === name);
    return { id: registered?.id ?? snowflake(), name, ...(registered?.guild_id !== undefined && { guildId: registered.guild_id }) };
  }

  private injectInteraction(user: APIUser, channel: ChannelRecord, data: Parameters<typeof commandInteractionPayload>[2], messageType: MessageType): InjectedInteraction {
    const payload = commandInteractionPayload({ user, channel: channel.payload, ...(channel.guild && { guild: channel.guild }) }, this.applicationId, data);
    this.state.interactions.set(payload.id, {
      id: payload.id, token: payload.token, user, channelId: channel.payload.id, messageType, dispatchedAt: Date.now(), acknowledged: false,
      followUps: new Map(), responses: [],
    });
    this.gateway.dispatch(GatewayDispatchEvents.InteractionCreate, payload);
    return { id: payload.id, token: payload.token, payload };
  }
}

function referenced(channel: ChannelRecord, input: MessageInjection): APIMessage | undefined {
  if (input.referencedMessageId === undefined) return undefined;
  const message = channel.messages.get(input.referencedMessageId);
  if (!message) throw new Error(`no message ${input.referencedMessageId} in channel ${channel.payload.id}`);
  return message;
}
