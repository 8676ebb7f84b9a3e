import {
  ApplicationCommandType, ChannelType, GuildDefaultMessageNotifications, GuildExplicitContentFilter, GuildMFALevel, GuildNSFWLevel,
  GuildPremiumTier, GuildSystemChannelFlags, GuildVerificationLevel, InteractionContextType, InteractionType, Locale, MessageReferenceType, MessageType,
  PermissionFlagsBits,
  type APIApplicationCommand, type APIApplicationCommandInteraction, type APIApplicationCommandInteractionDataOption, type APIAttachment,
  type APIDMChannel, type APIGuildMember, type APIInteractionGuildMember, type APIMessage, type APIRole, type APITextChannel, type APIUser,
  type GatewayGuildCreateDispatchData, type GatewayMessageCreateDispatchData, type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';

/**
 * The objects the fake Discord hands out, shaped as the real API shapes them (typed with the
 * discord-api-types that discord.js re-exports), so that discord.js builds the same structures
 * from them as it would in production. Pure builders: no state lives here beyond the id counter.
 */

/** Discord's epoch (2015-01-01); snowflakes count milliseconds from it in their top bits. */
const discordEpoch = 1420070400000n;
let snowflakeIncrement = 0;

/**
 * A real-looking snowflake (18–19 digits). @discordjs/rest only recognises ids of 17–19 digits as
 * the "major parameter" of a rate-limit bucket, and reads the timestamp out of message ids.
 */
export function snowflake(at: number = Date.now()): string {
  snowflakeIncrement = (snowflakeIncrement + 1) % 4096;
  return (((BigInt(at) - discordEpoch) << 22n) | BigInt(snowflakeIncrement)).toString();
}

/** Flag fields are typed as enums without a zero member; Discord sends 0 for "none". */
export const noFlags = 0 as never;

export function isoTimestamp(at: number = Date.now()): string {
  return new Date(at).toISOString();
}

/** A Discord user; pass `username` and whatever else the test cares about. */
export function discordUser(overrides: Partial<APIUser> = {}): APIUser {
  const username = overrides.username ?? `user${snowflakeIncrement}`;
  return { id: snowflake(), username, discriminator: '0', global_name: username, avatar: null, ...overrides };
}

/** What a test may say about a guild; everything else gets a realistic default. */
export interface FakeGuild {
  readonly id?: string;
  readonly name?: string;
  /** Text channels by name; defaults to one channel named "general". */
  readonly textChannels?: readonly string[];
  /** What @everyone (and so the bot, which has no other role) may do; defaults to `defaultBotPermissions`. */
  readonly botPermissions?: bigint;
}

/** Enough to read, answer with text, files and voice messages, and take slash commands; nothing administrative (@everyone's defaults). */
export const defaultBotPermissions = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.SendMessagesInThreads
  | PermissionFlagsBits.EmbedLinks | PermissionFlagsBits.AttachFiles | PermissionFlagsBits.ReadMessageHistory | PermissionFlagsBits.AddReactions
  | PermissionFlagsBits.UseApplicationCommands | PermissionFlagsBits.SendVoiceMessages;

export interface GuildState {
  readonly id: string;
  readonly name: string;
  readonly ownerId: string;
  readonly botPermissions: bigint;
  readonly channels: APITextChannel[];
  readonly joinedAt: string;
}

export function guildState(input: FakeGuild, ownerId: string): GuildState {
  const id = input.id ?? snowflake();
  const channels = (input.textChannels ?? ['general']).map((name, position): APITextChannel => ({
    id: snowflake(), type: ChannelType.GuildText, guild_id: id, name, position, permission_overwrites: [], parent_id: null, nsfw: false,
    topic: null, last_message_id: null, rate_limit_per_user: 0,
  }));
  return { id, name: input.name ?? 'Seed test guild', ownerId, botPermissions: input.botPermissions ?? defaultBotPermissions, channels, joinedAt: isoTimestamp() };
}

/** The @everyone role has the guild's id, as on Discord; its permissions are what the bot gets. */
function everyoneRole(guild: GuildState): APIRole {
  return {
    id: guild.id, name: '@everyone', color: 0, colors: { primary_color: 0, secondary_color: null, tertiary_color: null }, hoist: false,
    position: 0, permissions: guild.botPermissions.toString(), managed: false, mentionable: false, flags: noFlags,
  };
}

export function guildMember(user: APIUser, joinedAt: string): APIGuildMember {
  return { user, roles: [], joined_at: joinedAt, deaf: false, mute: false, flags: noFlags, nick: null, avatar: null, premium_since: null, pending: false };
}

/**
 * GUILD_CREATE as sent after READY: discord.js holds ClientReady back (15 s by default) until one
 * arrives for every guild READY listed, and only caches channels and members it carries.
 */
export function guildCreatePayload(guild: GuildState, botUser: APIUser): GatewayGuildCreateDispatchData {
  return {
    id: guild.id, name: guild.name, icon: null, splash: null, discovery_splash: null, banner: null, description: null, owner_id: guild.ownerId,
    afk_channel_id: null, afk_timeout: 300, verification_level: GuildVerificationLevel.None,
    default_message_notifications: GuildDefaultMessageNotifications.OnlyMentions, explicit_content_filter: GuildExplicitContentFilter.Disabled,
    roles: [everyoneRole(guild)], emojis: [], stickers: [], features: [], mfa_level: GuildMFALevel.None, application_id: null,
    system_channel_id: guild.channels[0]?.id ?? null, system_channel_flags: GuildSystemChannelFlags.SuppressJoinNotifications, rules_channel_id: null,
    vanity_url_code: null, premium_tier: GuildPremiumTier.None, premium_subscription_count: 0, preferred_locale: Locale.EnglishUS,
    public_updates_channel_id: null, nsfw_level: GuildNSFWLevel.Default, premium_progress_bar_enabled: false, hub_type: null,
    safety_alerts_channel_id: null, incidents_data: null, region: 'deprecated', joined_at: guild.joinedAt, large: false, unavailable: false, member_count: 2,
    voice_states: [], members: [guildMember(botUser, guild.joinedAt)], channels: guild.channels, threads: [], presences: [], stage_instances: [],
    guild_scheduled_events: [], soundboard_sounds: [],
  };
}

export function dmChannelPayload(id: string, recipient: APIUser): APIDMChannel {
  return { id, type: ChannelType.DM, name: null, recipients: [recipient], last_message_id: null };
}

/** The fields every message has; callers add author, content and the rest. */
export function messagePayload(fields: Partial<APIMessage> & Pick<APIMessage, 'channel_id' | 'author'>): APIMessage {
  return {
    id: snowflake(), content: '', timestamp: isoTimestamp(), edited_timestamp: null, tts: false, mention_everyone: false, mentions: [],
    mention_roles: [], attachments: [], embeds: [], pinned: false, type: MessageType.Default, flags: noFlags, components: [], ...fields,
  };
}

export interface UserMessageInput {
  readonly channelId: string;
  readonly author: APIUser;
  readonly content: string;
  readonly attachments?: readonly APIAttachment[];
  readonly flags?: number;
  /** The message being answered, as stored; makes this a reply (type 19). */
  readonly referencedMessage?: APIMessage;
  /** Makes this a forward: no content of its own, a Forward reference and a snapshot of the original. */
  readonly forwarded?: ForwardedContent;
}

/** What a forwarded message showed, as Discord copies it into the forward's message snapshot. */
export interface ForwardedContent {
  readonly content: string;
  readonly attachments?: readonly APIAttachment[];
}

/**
 * MESSAGE_CREATE for a user's message. DMs carry `channel_type: 1` and no guild: without it (and
 * the Channel partial) discord.js cannot build the uncached DM channel and drops the event.
 */
export function userMessagePayload(input: UserMessageInput, guild?: { id: string; authorJoinedAt: string; mentions: APIUser[] }): GatewayMessageCreateDispatchData {
  const reference = input.referencedMessage;
  const message = messagePayload({
    channel_id: input.channelId, author: input.author, content: input.content, attachments: [...(input.attachments ?? [])], flags: input.flags ?? 0,
    ...(reference && {
      type: MessageType.Reply, referenced_message: reference,
      message_reference: { type: MessageReferenceType.Default, message_id: reference.id, channel_id: reference.channel_id, ...(guild && { guild_id: guild.id }) },
    }),
    ...(input.forwarded && forwardFields(input.forwarded)),
  });
  if (!guild) return { ...message, channel_type: ChannelType.DM };
  const { user: _user, ...member } = guildMember(input.author, guild.authorJoinedAt);
  return { ...message, guild_id: guild.id, channel_type: ChannelType.GuildText, member, mentions: guild.mentions };
}

/** A forward points at the original in another channel and carries a snapshot of it; its own content stays empty. */
function forwardFields(forwarded: ForwardedContent): Partial<APIMessage> {
  return {
    content: '',
    message_reference: { type: MessageReferenceType.Forward, message_id: snowflake(), channel_id: snowflake() },
    message_snapshots: [
      {
        message: {
          type: MessageType.Default, content: forwarded.content, attachments: [...(forwarded.attachments ?? [])], embeds: [], mentions: [],
          mention_roles: [], timestamp: isoTimestamp(Date.now() - 60_000), edited_timestamp: null, flags: noFlags, components: [],
        },
      },
    ],
  };
}

export interface AttachmentFields {
  readonly filename: string;
  readonly contentType: string;
  /** Alt text, as Discord stores it. */
  readonly description?: string;
  /** Voice messages: the clip's length; also gives it a waveform. */
  readonly durationSecs?: number;
  readonly waveform?: string;
  readonly width?: number;
  readonly height?: number;
}

/** URLs carry the `ex`/`is`/`hm` signature parameters that real CDN links have since 2024. */
export function attachmentPayload(id: string, size: number, fields: AttachmentFields, roots: { cdn: string; media: string }): APIAttachment {
  const expiresAt = Math.floor(Date.now() / 1000) + 86_400;
  const signature = `ex=${expiresAt.toString(16)}&is=${Math.floor(Date.now() / 1000).toString(16)}&hm=${id.slice(-8)}&`;
  const path = `attachments/${snowflake()}/${id}/${encodeURIComponent(fields.filename)}?${signature}`;
  return {
    id, filename: fields.filename, size, url: `${roots.cdn}/${path}`, proxy_url: `${roots.media}/${path}`, content_type: fields.contentType,
    ...(fields.description !== undefined && { description: fields.description }),
    ...(fields.width !== undefined && { width: fields.width, height: fields.height ?? fields.width }),
    ...(fields.durationSecs !== undefined && { duration_secs: fields.durationSecs, waveform: fields.waveform ?? flatWaveform }),
  };
}

/** Discord's waveform: base64 of up to 256 one-byte amplitude samples. */
const flatWaveform = Buffer.alloc(64, 96).toString('base64');

export interface InteractionPlace {
  readonly user: APIUser;
  readonly channel: APITextChannel | APIDMChannel;
  readonly guild?: GuildState;
}

/**
 * The envelope of an application-command interaction. In a guild the user comes inside `member`
 * (with their permissions); in a DM there is `user` and no member. `entitlements` and
 * `authorizing_integration_owners` look optional but discord.js reads them unconditionally.
 */
export function commandInteractionPayload(
  place: InteractionPlace, applicationId: string, data: APIApplicationCommandInteraction['data'],
): APIApplicationCommandInteraction & { id: string; token: string } {
  const { user, channel, guild } = place;
  const appPermissions = (guild?.botPermissions ?? defaultBotPermissions).toString();
  const common = {
    id: snowflake(), application_id: applicationId, type: InteractionType.ApplicationCommand, token: `fake-interaction-token-${snowflake()}`,
    version: 1 as const, channel, channel_id: channel.id, app_permissions: appPermissions, locale: Locale.EnglishUS, entitlements: [],
    attachment_size_limit: 10 * 1024 * 1024,
  };
  if (!guild) {
    return { ...common, data, user, context: InteractionContextType.BotDM, authorizing_integration_owners: { 0: '0' } } as APIApplicationCommandInteraction & typeof common;
  }
  const member: APIInteractionGuildMember = { ...guildMember(user, guild.joinedAt), user, permissions: (PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages).toString() };
  return {
    ...common, data, member, guild_id: guild.id, guild: { id: guild.id, locale: Locale.EnglishUS, features: [] }, guild_locale: Locale.EnglishUS,
    context: InteractionContextType.Guild, authorizing_integration_owners: { 0: guild.id },
  } as APIApplicationCommandInteraction & typeof common;
}

export function chatInputData(
  command: { id: string; name: string; guildId?: string }, options: APIApplicationCommandInteractionDataOption[], attachments: APIAttachment[],
): APIApplicationCommandInteraction['data'] {
  return {
    id: command.id, name: command.name, type: ApplicationCommandType.ChatInput, options,
    ...(attachments.length > 0 && { resolved: { attachments: Object.fromEntries(attachments.map((attachment) => [attachment.id, attachment])) } }),
    ...(command.guildId && { guild_id: command.guildId }),
  };
}

export function messageCommandData(command: { id: string; name: string; guildId?: string }, target: APIMessage): APIApplicationCommandInteraction['data'] {
  return {
    id: command.id, name: command.name, type: ApplicationCommandType.Message, target_id: target.id, resolved: { messages: { [target.id]: target } },
    ...(command.guildId && { guild_id: command.guildId }),
  };
}

/** Chat-input names: lower case, 1–32 letters, digits, `-` or `_`; context-menu names are free text up to 32. */
export function commandValidationErrors(body: RESTPostAPIApplicationCommandsJSONBody): Record<string, unknown> | undefined {
  const type = body.type ?? ApplicationCommandType.ChatInput;
  const errors: Record<string, unknown> = {};
  const validName = type === ApplicationCommandType.ChatInput ? /^[-_'\p{L}\p{N}]{1,32}$/u.test(body.name) && body.name === body.name.toLowerCase()
    : body.name.length >= 1 && body.name.length <= 32;
  if (!validName) errors.name = { _errors: [{ code: 'APPLICATION_COMMAND_INVALID_NAME', message: 'Command name is invalid' }] };
  const description = 'description' in body ? body.description ?? '' : '';
  if (type === ApplicationCommandType.ChatInput && (description.length < 1 || description.length > 100)) {
    errors.description = { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' }] };
  }
  return Object.keys(errors).length > 0 ? errors : undefined;
}

/** A registered command as the API returns it: an overwrite keeps the id of a command with the same name and type. */
export function applicationCommand(body: RESTPostAPIApplicationCommandsJSONBody, applicationId: string, guildId: string | undefined, existing?: APIApplicationCommand): APIApplicationCommand {
  const type = body.type ?? ApplicationCommandType.ChatInput;
  return {
    id: existing?.id ?? snowflake(), application_id: applicationId, version: snowflake(), type, name: body.name,
    description: 'description' in body ? body.description ?? '' : '', options: 'options' in body ? body.options ?? [] : [],
    default_member_permissions: body.default_member_permissions ?? null, nsfw: body.nsfw ?? false,
    ...(guildId ? { guild_id: guildId } : { integration_types: body.integration_types ?? [0], contexts: body.contexts ?? null }),
  };
}
