import {
  Client,
  DefaultRestOptions,
  DiscordAPIError,
  DiscordjsError,
  DiscordjsErrorCodes,
  Events,
  GatewayIntentBits,
  MessageFlags,
  Partials,
  RESTJSONErrorCodes,
  Status,
  type ChatInputCommandInteraction,
  type Interaction,
  type Message,
  type MessageContextMenuCommandInteraction,
} from 'discord.js';
import { PlatformStartError, type Inbox, type IncomingTurn, type Logger, type Platform, type PlatformMaker } from '../../core/index.js';
import { ARGUMENT_OPTIONS, commandDefinitions, DESCRIBE_COMMAND, DESCRIBE_IMAGE_MENU, PHOTO_COMMANDS, PHOTO_OPTION, PRIVATE_COMMANDS } from './commands.js';
import { attachmentParts, DISCORD_PLATFORM, messageToTurn } from './inbound.js';
import { interactionReplyChannel, messageReplyChannel } from './reply-channel.js';
import type { DiscordSettings } from './settings.js';

export interface DiscordPlatformOptions {
  readonly token: string;
  /** REST root, e.g. `https://discord.com/api`; the gateway address is discovered through it. */
  readonly apiRoot: string;
  /** Commands are registered in this server only (instantly) when set, else globally. */
  readonly testGuildId?: string;
  /** When set, a warning if the token belongs to another application. */
  readonly applicationId?: string;
  readonly logger: Logger;
  readonly downloadLimitBytes: number;
}

export interface DiscordPlatform extends Platform {
  readonly client: Client;
  /** Started, and every gateway shard ready (not reconnecting or resuming). */
  isConnected(): boolean;
}

/** An interaction token lasts 15 minutes; an id seen longer ago than that cannot come again. */
const INTERACTION_LIFETIME_MS = 15 * 60 * 1000;

type CommandInteraction = ChatInputCommandInteraction | MessageContextMenuCommandInteraction;

/** The Discord adapter: discord.js (which owns rate limits and retries) and two translating handlers. */
export function createDiscordPlatform(options: DiscordPlatformOptions): DiscordPlatform {
  const { logger } = options;
  const startAbort = new AbortController();
  let started = false;
  let stopped = false;
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages, GatewayIntentBits.MessageContent],
    // Without these, direct messages never reach messageCreate.
    partials: [Partials.Channel, Partials.Message],
    rest: {
      api: options.apiRoot,
      // Stopping during start-up ends its requests at once (an API that never answers would
      // otherwise hold the process for its timeout and retries, about a minute). Once started,
      // stopping lets the answers in progress finish, so they are never cut and sent again.
      makeRequest: (url, init) =>
        DefaultRestOptions.makeRequest(
          url,
          started ? init : { ...init, signal: init.signal ? AbortSignal.any([init.signal, startAbort.signal]) : startAbort.signal },
        ),
    },
  });
  let inbox: Inbox | undefined;
  // Discord may deliver an interaction twice (a resumed gateway); a second acknowledgement is refused (40060).
  const interactionsSeen = new Map<string, number>();
  const pending = new Set<Promise<void>>();
  const track = (work: Promise<void>): void => {
    const guarded = work.catch((error: unknown) => logger.error({ err: error }, 'discord delivery failed'));
    pending.add(guarded);
    void guarded.finally(() => pending.delete(guarded));
  };

  client.on(Events.MessageCreate, (message: Message) => track(answerMessage(message)));

  async function answerMessage(message: Message, kept = false): Promise<void> {
    if (!client.isReady() || !inbox) return;
    const inbound = await messageToTurn(message, client, options.downloadLimitBytes);
    if (inbound.kind === 'ignore') return;
    // A new session after a crash does not replay what the dead one received: keep it ourselves.
    // Only where to find it is kept; the message itself is fetched again on replay.
    if (!kept) {
      const payload = JSON.stringify({ channelId: message.channelId, messageId: message.id });
      inbox.journal.keep({ platform: DISCORD_PLATFORM, eventId: inbound.turn.eventId!, userId: message.author.id, payload });
    }
    await inbox.receive(inbound.turn, messageReplyChannel(message));
  }

  /** Messages a process that died had received but not answered: fetched again and answered. */
  async function replayKept(target: Inbox): Promise<void> {
    for (const kept of target.journal.replay(DISCORD_PLATFORM)) {
      const { channelId, messageId } = JSON.parse(kept.payload) as { channelId: string; messageId: string };
      try {
        const channel = await client.channels.fetch(channelId);
        if (!channel?.isTextBased()) throw new Error('the channel is gone');
        track(answerMessage(await channel.messages.fetch(messageId), true));
      } catch (error) {
        // Deleted meanwhile, or the bot lost access: nothing left to answer.
        logger.info({ err: error }, 'a kept discord message could not be fetched again; dropped');
        target.journal.drop(DISCORD_PLATFORM, kept.eventId);
      }
    }
  }
  client.on(Events.InteractionCreate, (interaction: Interaction) => {
    const handled = interaction.isChatInputCommand() || (interaction.isMessageContextMenuCommand() && interaction.commandName === DESCRIBE_IMAGE_MENU);
    if (!handled || !firstDelivery(interaction.id)) return;
    track(answerInteraction(interaction as CommandInteraction));
  });
  client.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));

  function firstDelivery(interactionId: string): boolean {
    const now = Date.now();
    for (const [id, seenAt] of interactionsSeen) {
      if (now - seenAt < INTERACTION_LIFETIME_MS) break;
      interactionsSeen.delete(id);
    }
    if (interactionsSeen.has(interactionId)) {
      logger.info('interaction delivered again; already acknowledged or in progress, skipped');
      return false;
    }
    interactionsSeen.set(interactionId, now);
    return true;
  }

  async function answerInteraction(interaction: CommandInteraction): Promise<void> {
    if (!inbox) return;
    const menu = interaction.isMessageContextMenuCommand();
    // "Describe image" on someone else's message is for the person who asked; so is personal data.
    const ephemeral = menu || PRIVATE_COMMANDS.has(interaction.commandName);
    try {
      // Discord drops an interaction not acknowledged within 3 s; the answer follows as an edit.
      await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
    } catch (error) {
      // Acknowledged by an earlier process before a restart: that one answers it.
      if (error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged) {
        logger.info('interaction already acknowledged; skipped');
        return;
      }
      throw error;
    }
    await inbox.receive(interactionTurn(interaction), interactionReplyChannel(interaction, ephemeral));
  }

  function interactionTurn(interaction: CommandInteraction): IncomingTurn {
    const base: IncomingTurn = {
      platform: DISCORD_PLATFORM,
      userId: interaction.user.id,
      chatId: interaction.channelId,
      eventId: `interaction:${interaction.id}`,
      languageHint: interaction.locale,
    };
    if (interaction.isMessageContextMenuCommand()) {
      return { ...base, text: '', ...attachmentParts([...interaction.targetMessage.attachments.values()], options.downloadLimitBytes) };
    }
    if (interaction.commandName === DESCRIBE_COMMAND) {
      return {
        ...base,
        text: interaction.options.getString('question') ?? '',
        ...attachmentParts([interaction.options.getAttachment(PHOTO_OPTION, true)], options.downloadLimitBytes),
      };
    }
    const argumentOption = ARGUMENT_OPTIONS.get(interaction.commandName);
    const photo = PHOTO_COMMANDS.has(interaction.commandName) ? interaction.options.getAttachment(PHOTO_OPTION) : null;
    return {
      ...base,
      command: { name: interaction.commandName, argument: (argumentOption && interaction.options.getString(argumentOption)) || '' },
      ...(photo ? attachmentParts([photo], options.downloadLimitBytes) : {}),
    };
  }

  return {
    name: DISCORD_PLATFORM,
    client,
    async start(target) {
      inbox = target;
      try {
        const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
        // Stopping (SIGTERM) during start-up ends it at once, whatever discord.js is waiting for.
        const stopped = new Promise<never>((_resolve, reject) => {
          const abort = () => reject(new PlatformStartError('Discord start-up was stopped.', 1));
          if (startAbort.signal.aborted) abort();
          else startAbort.signal.addEventListener('abort', abort, { once: true });
        });
        await Promise.race([(async () => {
          await client.login(options.token);
          await ready;
        })(), stopped]);
      } catch (error) {
        if (error instanceof PlatformStartError) throw error;
        if (error instanceof DiscordjsError && error.code === DiscordjsErrorCodes.TokenInvalid) {
          throw new PlatformStartError('Discord rejected DISCORD_BOT_TOKEN. Copy the token again from the Discord developer portal.', 2, { cause: error });
        }
        const network = networkErrorCode(error);
        if (network) {
          const where = options.apiRoot === 'https://discord.com/api' ? '' : ' and DISCORD_API_ROOT';
          throw new PlatformStartError(
            `Could not reach the Discord API at ${options.apiRoot} (${network}). Check the network connection${where}, then start the bot again.`,
            1,
            { cause: error },
          );
        }
        throw error;
      }
      const commands = client.application!.commands;
      const definitions = commandDefinitions() as Parameters<typeof commands.set>[0];
      // A server's commands update at once; global ones can take an hour to reach every client.
      if (options.testGuildId) await commands.set(definitions, options.testGuildId);
      else await commands.set(definitions);
      const reported = client.application?.id;
      if (options.applicationId && reported !== options.applicationId) {
        logger.warn({ configured: options.applicationId, reported }, 'DISCORD_APPLICATION_ID differs from the application Discord reports for this token');
      }
      logger.info({ guildScoped: options.testGuildId !== undefined }, 'discord bot ready');
      await replayKept(target);
      started = true;
    },
    isConnected() {
      // The manager's own status stays Ready once reached; a shard's follows each reconnect.
      return started && !stopped && client.ws.status === Status.Ready && client.ws.shards.every((shard) => shard.status === Status.Ready);
    },
    async stop() {
      stopped = true;
      if (!started) startAbort.abort();
      // Messages still being read (a reply's reference fetched) reach the inbox first.
      while (pending.size > 0) await Promise.all([...pending]);
      await inbox?.idle();
      await client.destroy();
    },
  };
}

/** The Discord platform the settings ask for: none without a token. */
export function discordFromSettings(settings: DiscordSettings): PlatformMaker | undefined {
  const token = settings.DISCORD_BOT_TOKEN;
  if (!token) return undefined;
  return (context) => createDiscordPlatform({
    token,
    apiRoot: settings.DISCORD_API_ROOT,
    ...(settings.DISCORD_TEST_GUILD_ID ? { testGuildId: settings.DISCORD_TEST_GUILD_ID } : {}),
    ...(settings.DISCORD_APPLICATION_ID ? { applicationId: settings.DISCORD_APPLICATION_ID } : {}),
    logger: context.logger,
    downloadLimitBytes: context.downloadLimitBytes,
  });
}

/**
 * The system error code (ENOTFOUND, ECONNREFUSED, ETIMEDOUT…) of a request that never reached
 * Discord, looking through the causes fetch wraps it in; undefined for anything else.
 */
function networkErrorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    if (current instanceof DiscordAPIError) return undefined;
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^(E[A-Z_]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
    if (current.name === 'AbortError' || current.name === 'TimeoutError') return 'no answer';
  }
  return undefined;
}
