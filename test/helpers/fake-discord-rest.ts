import {
  ApplicationCommandType, ChannelType, InteractionResponseType, InteractionType, MessageFlags, MessageReferenceType, MessageType, PermissionFlagsBits,
  type APIAllowedMentions, type APIApplicationCommand, type APIAttachment, type APIDMChannel, type APIEmbed, type APIMessage, type APITextChannel,
  type APIUser, type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import {
  applicationCommand, attachmentPayload, commandValidationErrors, dmChannelPayload, isoTimestamp, messagePayload, snowflake,
  type AttachmentFields, type GuildState,
} from './fake-discord-payloads.js';
import {
  Answer, apiErrors, fieldError, noContent, type ApiRequest, type AttachmentDelivery, type RestRouter, type StoredAttachment, type UploadedFile,
} from './fake-discord-wire.js';
import { isVoiceMessage, refuseVoiceFlag, validateVoiceMessage, voiceErrors } from './fake-discord-voice.js';

/**
 * What the fake Discord knows (users, channels and their messages, commands, interactions) and
 * what each REST route does with it, with the checks the real API makes: message length and
 * emptiness, upload size, the bot's guild permissions, replies to unknown messages, the 3-second
 * window for answering an interaction, and who may edit what.
 */

export interface SentAttachment extends APIAttachment {
  readonly bytes: Uint8Array;
}

/** A message the bot sent through `/channels/:id/messages`, as it stands after any edits. */
export interface SentMessage {
  readonly id: string;
  readonly channel_id: string;
  content: string;
  flags: number;
  embeds: APIEmbed[];
  attachments: SentAttachment[];
  readonly message_reference?: { message_id?: string; fail_if_not_exists?: boolean };
  allowed_mentions?: APIAllowedMentions;
  /** Content before each edit, oldest first. */
  readonly previousContents: string[];
  deleted: boolean;
}

export interface InteractionResponse {
  readonly kind: 'callback' | 'edit-original' | 'delete-original' | 'follow-up' | 'edit-follow-up' | 'delete-follow-up';
  /** For `callback`: 4 message, 5 deferred ("thinking"), 6/7 component updates, 9 modal. */
  readonly callbackType?: InteractionResponseType;
  /** The message's content after this response (for callbacks and follow-ups: as sent). */
  readonly content?: string;
  readonly flags?: number;
  readonly messageId?: string;
  readonly body: unknown;
  readonly files: readonly UploadedFile[];
  readonly at: number;
}

export interface ChannelRecord {
  readonly payload: APITextChannel | APIDMChannel;
  readonly guild?: GuildState;
  readonly messages: Map<string, APIMessage>;
}

export interface InteractionRecord {
  readonly id: string;
  readonly token: string;
  readonly user: APIUser;
  readonly channelId: string;
  readonly messageType: MessageType;
  readonly dispatchedAt: number;
  acknowledged: boolean;
  original?: APIMessage;
  readonly followUps: Map<string, APIMessage>;
  readonly responses: InteractionResponse[];
}

/** The fields of a message create or edit body that the fake reads. */
interface MessageBody {
  content?: string | null;
  embeds?: APIEmbed[] | null;
  flags?: number | null;
  message_reference?: { message_id?: string; fail_if_not_exists?: boolean };
  allowed_mentions?: APIAllowedMentions;
  attachments?: Array<{ id: string | number; description?: string; filename?: string; duration_secs?: number; waveform?: string }>;
  sticker_ids?: string[];
  components?: unknown[];
  poll?: unknown;
}

/** Counted in UTF-16 units (`.length`): at least as strict as Discord's count, so what passes here passes there. */
const contentLimit = 2000;
const uploadLimitBytes = 10 * 1024 * 1024;

export class DiscordState {
  readonly users = new Map<string, APIUser>();
  readonly channels = new Map<string, ChannelRecord>();
  readonly attachments = new Map<string, StoredAttachment>();
  readonly sent: SentMessage[] = [];
  readonly typing = new Map<string, number>();
  /** Registered commands by scope: `global` or a guild id. */
  readonly commands = new Map<string, APIApplicationCommand[]>();
  readonly interactions = new Map<string, InteractionRecord>();
  readonly roots = { cdn: '', media: '', gateway: '' };
  private readonly dmChannels = new Map<string, string>();

  constructor(readonly botUser: APIUser, readonly applicationId: string, readonly guilds: readonly GuildState[], readonly ackDeadlineMs: number) {
    this.users.set(botUser.id, botUser);
    for (const guild of guilds) for (const channel of guild.channels) this.channels.set(channel.id, { payload: channel, guild, messages: new Map() });
  }

  requireChannel(channelId: string): ChannelRecord {
    const channel = this.channels.get(channelId);
    if (!channel) throw apiErrors.unknownChannel();
    return channel;
  }

  /** The DM channel between the bot and a known user, opened on first use as Discord does. */
  dmChannelId(userId: string): string {
    const existing = this.dmChannels.get(userId);
    if (existing) return existing;
    const user = this.users.get(userId);
    if (!user) throw apiErrors.invalidRecipient();
    const channel = dmChannelPayload(snowflake(), user);
    this.channels.set(channel.id, { payload: channel, messages: new Map() });
    this.dmChannels.set(userId, channel.id);
    return channel.id;
  }

  storeAttachment(bytes: Uint8Array, fields: AttachmentFields, delivery: AttachmentDelivery = 'ok'): APIAttachment {
    const attachment = attachmentPayload(snowflake(), bytes.length, fields, this.roots);
    this.attachments.set(attachment.id, { attachment, bytes, delivery, downloads: 0 });
    return attachment;
  }
}

export function registerRoutes(router: RestRouter, state: DiscordState): void {
  const routes = new RestRoutes(state);
  const on = (template: string, handler: (request: ApiRequest) => unknown, auth: 'bot' | 'none' = 'bot'): void => router.add(template, handler, auth);
  on('GET /gateway/bot', () => routes.gatewayBot());
  on('GET /gateway', () => ({ url: state.roots.gateway }), 'none');
  on('GET /users/@me', () => state.botUser);
  on('GET /users/:userId', ({ params }) => state.users.get(params.userId ?? '') ?? raise(apiErrors.unknownUser()));
  on('POST /users/@me/channels', ({ body }) => state.requireChannel(state.dmChannelId(String((body as { recipient_id?: unknown })?.recipient_id))).payload);
  on('GET /applications/@me', () => ({ id: state.applicationId, name: state.botUser.username, bot: state.botUser, flags: 0, bot_public: true, description: '', icon: null }));
  on('GET /channels/:channelId', ({ params }) => state.requireChannel(params.channelId ?? '').payload);
  on('GET /channels/:channelId/messages', (request) => routes.listMessages(request));
  on('GET /channels/:channelId/messages/:messageId', ({ params }) => routes.storedMessage(params.channelId ?? '', params.messageId ?? ''));
  on('POST /channels/:channelId/messages', (request) => routes.createMessage(request));
  on('PATCH /channels/:channelId/messages/:messageId', (request) => routes.editMessage(request));
  on('DELETE /channels/:channelId/messages/:messageId', (request) => routes.deleteMessage(request));
  on('POST /channels/:channelId/typing', ({ params }) => routes.typing(params.channelId ?? ''));
  for (const scope of ['', '/guilds/:guildId']) {
    on(`GET /applications/:applicationId${scope}/commands`, ({ params }) => state.commands.get(routes.commandScope(params)) ?? []);
    on(`PUT /applications/:applicationId${scope}/commands`, (request) => routes.overwriteCommands(request));
    on(`POST /applications/:applicationId${scope}/commands`, (request) => routes.createCommand(request));
  }
  on('POST /interactions/:interactionId/:token/callback', (request) => routes.interactionCallback(request), 'none');
  on('GET /webhooks/:applicationId/:token/messages/:messageId', (request) => routes.webhookMessage(request).message, 'none');
  on('PATCH /webhooks/:applicationId/:token/messages/:messageId', (request) => routes.editWebhookMessage(request), 'none');
  on('DELETE /webhooks/:applicationId/:token/messages/:messageId', (request) => routes.deleteWebhookMessage(request), 'none');
  on('POST /webhooks/:applicationId/:token', (request) => routes.followUp(request), 'none');
}

/** What `with_response=true` asks for: the interaction and the message the callback made. */
function callbackResponse(interaction: InteractionRecord, type: InteractionResponseType): unknown {
  const original = interaction.original;
  const summary = {
    id: interaction.id, type: InteractionType.ApplicationCommand, response_message_id: original?.id,
    response_message_loading: type === InteractionResponseType.DeferredChannelMessageWithSource,
    response_message_ephemeral: ((original?.flags ?? 0) & MessageFlags.Ephemeral) !== 0,
  };
  return { interaction: summary, resource: { type, ...(original && { message: original }) } };
}

function raise(error: Error): never {
  throw error;
}

class RestRoutes {
  constructor(private readonly state: DiscordState) {}

  /** @discordjs/ws needs `shards` and `session_start_limit` (max_concurrency builds its identify throttle). */
  gatewayBot(): unknown {
    return { url: this.state.roots.gateway, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } };
  }

  listMessages({ params, query }: ApiRequest): APIMessage[] {
    const messages = [...this.state.requireChannel(params.channelId ?? '').messages.values()].reverse();
    return messages.slice(0, Math.min(Number(query.limit ?? 50), 100));
  }

  storedMessage(channelId: string, messageId: string): APIMessage {
    return this.state.requireChannel(channelId).messages.get(messageId) ?? raise(apiErrors.unknownMessage());
  }

  createMessage({ params, body, files }: ApiRequest): APIMessage {
    const channel = this.state.requireChannel(params.channelId ?? '');
    const request = (body ?? {}) as MessageBody;
    const voice = isVoiceMessage(request) ? PermissionFlagsBits.SendVoiceMessages : 0n;
    requirePermissions(channel, (files.length > 0 ? PermissionFlagsBits.SendMessages | PermissionFlagsBits.AttachFiles : PermissionFlagsBits.SendMessages) | voice);
    if (voice) validateVoiceMessage(request, files);
    const attachments = this.uploadedAttachments(files, request);
    const reference = replyReference(channel, request);
    const message = messagePayload({
      channel_id: channel.payload.id, author: this.state.botUser, ...messageFields(request, attachments, undefined), ...reference,
      ...(reference.referenced_message && request.allowed_mentions?.replied_user !== false && { mentions: [reference.referenced_message.author] }),
    });
    channel.messages.set(message.id, message);
    this.state.sent.push({
      id: message.id, channel_id: message.channel_id, content: message.content, flags: message.flags ?? 0, embeds: message.embeds, attachments,
      ...(request.message_reference && { message_reference: request.message_reference }), ...(request.allowed_mentions && { allowed_mentions: request.allowed_mentions }),
      previousContents: [], deleted: false,
    });
    return message;
  }

  editMessage({ params, body, files }: ApiRequest): APIMessage {
    const channel = this.state.requireChannel(params.channelId ?? '');
    const existing = channel.messages.get(params.messageId ?? '') ?? raise(apiErrors.unknownMessage());
    if (existing.author.id !== this.state.botUser.id) throw apiErrors.notAuthor();
    if (isVoiceMessage(existing)) throw voiceErrors.cannotBeEdited();
    const request = (body ?? {}) as MessageBody;
    const edited: APIMessage = { ...existing, ...messageFields(request, this.uploadedAttachments(files, request), existing), edited_timestamp: isoTimestamp() };
    channel.messages.set(edited.id, edited);
    const sent = this.state.sent.find((message) => message.id === edited.id);
    if (sent) {
      sent.previousContents.push(sent.content);
      Object.assign(sent, { content: edited.content, flags: edited.flags ?? 0, embeds: edited.embeds, attachments: this.withBytes(edited.attachments) });
    }
    return edited;
  }

  deleteMessage({ params }: ApiRequest): typeof noContent {
    const channel = this.state.requireChannel(params.channelId ?? '');
    const message = channel.messages.get(params.messageId ?? '') ?? raise(apiErrors.unknownMessage());
    if (message.author.id !== this.state.botUser.id && channel.guild) requirePermissions(channel, PermissionFlagsBits.ManageMessages);
    channel.messages.delete(message.id);
    const sent = this.state.sent.find((entry) => entry.id === message.id);
    if (sent) sent.deleted = true;
    return noContent;
  }

  typing(channelId: string): typeof noContent {
    const channel = this.state.requireChannel(channelId);
    requirePermissions(channel, PermissionFlagsBits.SendMessages);
    this.state.typing.set(channelId, (this.state.typing.get(channelId) ?? 0) + 1);
    return noContent;
  }

  commandScope(params: Record<string, string>): string {
    if (params.applicationId !== this.state.applicationId) throw apiErrors.notYourApplication();
    if (params.guildId !== undefined && !this.state.guilds.some((guild) => guild.id === params.guildId)) throw apiErrors.unknownGuild();
    return params.guildId ?? 'global';
  }

  /** Bulk overwrite: the list replaces what was there; commands keep their ids across overwrites by name and type. */
  overwriteCommands({ params, body }: ApiRequest): APIApplicationCommand[] {
    const scope = this.commandScope(params);
    const bodies = Array.isArray(body) ? (body as RESTPostAPIApplicationCommandsJSONBody[]) : raise(apiErrors.invalidFormBody(fieldError('_root', 'LIST_TYPE_CONVERT', 'Must be an array.')));
    bodies.forEach((command, index) => validateCommand(command, String(index)));
    const existing = this.state.commands.get(scope) ?? [];
    const commands = bodies.map((command) => applicationCommand(command, this.state.applicationId, params.guildId, sameCommand(existing, command)));
    this.state.commands.set(scope, commands);
    return commands;
  }

  createCommand({ params, body }: ApiRequest): Answer {
    const scope = this.commandScope(params);
    const command = body as RESTPostAPIApplicationCommandsJSONBody;
    validateCommand(command);
    const existing = this.state.commands.get(scope) ?? [];
    const previous = sameCommand(existing, command);
    const created = applicationCommand(command, this.state.applicationId, params.guildId, previous);
    this.state.commands.set(scope, [...existing.filter((entry) => entry !== previous), created]);
    return new Answer(previous ? 200 : 201, created);
  }

  /**
   * The one answer an interaction allows, within `ackDeadlineMs` of its dispatch. Type 5 makes a
   * "thinking" original response (flag Loading) that the bot then edits through the webhook.
   */
  interactionCallback({ params, body, files, query }: ApiRequest): unknown {
    const interaction = this.state.interactions.get(params.interactionId ?? '');
    if (!interaction || interaction.token !== params.token) throw apiErrors.unknownInteraction();
    if (interaction.acknowledged) throw apiErrors.alreadyAcknowledged();
    if (Date.now() - interaction.dispatchedAt > this.state.ackDeadlineMs) throw apiErrors.unknownInteraction();
    const { type, data = {} } = (body ?? {}) as { type: InteractionResponseType; data?: MessageBody };
    if (type === InteractionResponseType.ChannelMessageWithSource) {
      interaction.original = this.interactionMessage(interaction, data, files, interaction.messageType);
    } else if (type === InteractionResponseType.DeferredChannelMessageWithSource) {
      interaction.original = this.interactionMessage(interaction, { flags: (data.flags ?? 0) | MessageFlags.Loading }, [], interaction.messageType);
    }
    interaction.acknowledged = true;
    const recorded = { ...(data.content != null && { content: data.content }), ...(data.flags != null && { flags: data.flags }) };
    this.respond(interaction, { kind: 'callback', callbackType: type, ...recorded }, body, files);
    return query.with_response === 'true' ? callbackResponse(interaction, type) : noContent;
  }

  /** `@original` arrives percent-encoded (`%40original`) too; paths are decoded before routing. */
  webhookMessage({ params }: ApiRequest): { interaction: InteractionRecord; message: APIMessage; isOriginal: boolean } {
    const interaction = this.webhookInteraction(params);
    const original = interaction.original;
    const isOriginal = params.messageId === '@original' || params.messageId === original?.id;
    const message = isOriginal ? original : interaction.followUps.get(params.messageId ?? '');
    return { interaction, message: message ?? raise(apiErrors.unknownMessage()), isOriginal };
  }

  editWebhookMessage(request: ApiRequest): APIMessage {
    const { interaction, message, isOriginal } = this.webhookMessage(request);
    const edit = (request.body ?? {}) as MessageBody;
    refuseVoiceFlag(edit);
    const fields = messageFields(edit, this.uploadedAttachments(request.files, edit), message);
    const edited: APIMessage = { ...message, ...fields, flags: (fields.flags ?? 0) & ~MessageFlags.Loading, edited_timestamp: isoTimestamp() };
    if (isOriginal) interaction.original = edited;
    else interaction.followUps.set(edited.id, edited);
    this.respond(interaction, { kind: isOriginal ? 'edit-original' : 'edit-follow-up', content: edited.content, flags: edited.flags ?? 0, messageId: edited.id }, request.body, request.files);
    return edited;
  }

  deleteWebhookMessage(request: ApiRequest): typeof noContent {
    const { interaction, message, isOriginal } = this.webhookMessage(request);
    if (isOriginal) delete interaction.original;
    else interaction.followUps.delete(message.id);
    this.respond(interaction, { kind: isOriginal ? 'delete-original' : 'delete-follow-up', messageId: message.id }, undefined, []);
    return noContent;
  }

  /** Follow-ups need the interaction answered first; until then the webhook does not exist. */
  followUp({ params, body, files }: ApiRequest): APIMessage {
    const interaction = this.webhookInteraction(params);
    if (!interaction.acknowledged) throw apiErrors.unknownWebhook();
    const message = this.interactionMessage(interaction, (body ?? {}) as MessageBody, files, MessageType.Default);
    interaction.followUps.set(message.id, message);
    this.respond(interaction, { kind: 'follow-up', content: message.content, flags: message.flags ?? 0, messageId: message.id }, body, files);
    return message;
  }

  private webhookInteraction(params: Record<string, string>): InteractionRecord {
    const interaction = [...this.state.interactions.values()].find((candidate) => candidate.token === params.token);
    if (!interaction || params.applicationId !== this.state.applicationId) throw apiErrors.unknownWebhook();
    return interaction;
  }

  /** Interaction responses are webhook messages: no channel permission applies, and only they may be ephemeral. */
  private interactionMessage(interaction: InteractionRecord, body: MessageBody, files: readonly UploadedFile[], type: MessageType): APIMessage {
    refuseVoiceFlag(body);
    const loading = ((body.flags ?? 0) & MessageFlags.Loading) !== 0;
    const fields = loading ? { content: '', flags: body.flags ?? 0 } : messageFields(body, this.uploadedAttachments(files, body), undefined);
    return messagePayload({
      channel_id: interaction.channelId, author: this.state.botUser, webhook_id: this.state.applicationId, application_id: this.state.applicationId, type, ...fields,
      interaction_metadata: { id: interaction.id, type: InteractionType.ApplicationCommand, user: interaction.user, authorizing_integration_owners: {} },
    });
  }

  private respond(interaction: InteractionRecord, response: Omit<InteractionResponse, 'body' | 'files' | 'at'>, body: unknown, files: readonly UploadedFile[]): void {
    interaction.responses.push({ ...response, body, files, at: Date.now() });
  }

  /** Files become attachments on the CDN; `files[N]` takes its alt text from `attachments` entry `id: N`. */
  private uploadedAttachments(files: readonly UploadedFile[], body: MessageBody): SentAttachment[] {
    if (files.reduce((total, file) => total + file.bytes.length, 0) > uploadLimitBytes) throw apiErrors.tooLarge();
    if (files.length > 10) throw apiErrors.invalidFormBody(fieldError('files', 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.'));
    return files.map((file) => {
      const index = /\[(\d+)\]$/.exec(file.field)?.[1] ?? file.field;
      const meta = body.attachments?.find((entry) => String(entry.id) === index);
      const attachment = this.state.storeAttachment(file.bytes, {
        filename: meta?.filename ?? file.name, contentType: file.contentType,
        ...(meta?.description !== undefined && { description: meta.description }), ...(meta?.duration_secs !== undefined && { durationSecs: meta.duration_secs }), ...(meta?.waveform !== undefined && { waveform: meta.waveform }),
      });
      return { ...attachment, bytes: file.bytes };
    });
  }

  private withBytes(attachments: APIAttachment[]): SentAttachment[] {
    return attachments.map((attachment) => ({ ...attachment, bytes: this.state.attachments.get(attachment.id)?.bytes ?? new Uint8Array() }));
  }
}

/**
 * Content, embeds, flags and attachments of a new or edited message, validated as Discord does.
 * On an edit, `attachments` lists the existing ones to keep; fields left out stay as they were.
 */
function messageFields(body: MessageBody, uploaded: APIAttachment[], existing: APIMessage | undefined): Pick<APIMessage, 'content' | 'embeds' | 'attachments' | 'flags'> {
  const content = body.content === undefined ? existing?.content ?? '' : body.content ?? '';
  const embeds = body.embeds === undefined ? existing?.embeds ?? [] : body.embeds ?? [];
  const keptIds = new Set((body.attachments ?? []).map((entry) => String(entry.id)));
  const kept = (existing?.attachments ?? []).filter((attachment) => body.attachments === undefined || keptIds.has(attachment.id));
  const attachments = [...kept, ...uploaded.map(({ bytes: _bytes, ...attachment }: APIAttachment & { bytes?: Uint8Array }) => attachment)];
  if (content.length > contentLimit) throw apiErrors.invalidFormBody(fieldError('content', 'BASE_TYPE_MAX_LENGTH', `Must be ${contentLimit} or fewer in length.`));
  if (embeds.length > 10) throw apiErrors.invalidFormBody(fieldError('embeds', 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.'));
  const hasOtherContent = (body.sticker_ids?.length ?? 0) > 0 || (body.components?.length ?? 0) > 0 || body.poll !== undefined;
  if (content.trim() === '' && embeds.length === 0 && attachments.length === 0 && !hasOtherContent) throw apiErrors.emptyMessage();
  return { content, embeds, attachments, flags: body.flags === undefined || body.flags === null ? existing?.flags ?? 0 : body.flags };
}

/** A reply needs its target in the same channel, unless `fail_if_not_exists: false` lets it go out as a plain message. */
function replyReference(channel: ChannelRecord, body: MessageBody): Partial<APIMessage> {
  const reference = body.message_reference;
  if (!reference?.message_id) return {};
  const target = channel.messages.get(reference.message_id);
  if (!target) {
    if (reference.fail_if_not_exists === false) return {};
    throw apiErrors.invalidFormBody(fieldError('message_reference', 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message'));
  }
  return {
    type: MessageType.Reply, referenced_message: target,
    message_reference: { type: MessageReferenceType.Default, message_id: target.id, channel_id: channel.payload.id, ...(channel.guild && { guild_id: channel.guild.id }) },
  };
}

/** In guilds the bot has what @everyone has (no overwrites); DMs need nothing. */
function requirePermissions(channel: ChannelRecord, needed: bigint): void {
  const guild = channel.guild;
  if (!guild || channel.payload.type === ChannelType.DM) return;
  if ((guild.botPermissions & PermissionFlagsBits.Administrator) !== 0n) return;
  if ((guild.botPermissions & PermissionFlagsBits.ViewChannel) === 0n) throw apiErrors.missingAccess();
  if ((guild.botPermissions & needed) !== needed) throw apiErrors.missingPermissions();
}

function validateCommand(command: RESTPostAPIApplicationCommandsJSONBody, index?: string): void {
  const errors = commandValidationErrors(command);
  if (errors) throw apiErrors.invalidFormBody(index === undefined ? errors : { [index]: errors });
}

function sameCommand(existing: APIApplicationCommand[], command: RESTPostAPIApplicationCommandsJSONBody): APIApplicationCommand | undefined {
  return existing.find((entry) => entry.name === command.name && entry.type === (command.type ?? ApplicationCommandType.ChatInput));
}
