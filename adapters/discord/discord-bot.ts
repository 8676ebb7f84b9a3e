import {
  Client,
  Events,
  GatewayIntentBits,
  MessageFlags,
  Partials,
  type ChatInputCommandInteraction,
  type Interaction,
  type Message,
  type MessageContextMenuCommandInteraction,
} from 'discord.js';
import type { Assistant, IncomingTurn, Logger } from '../../core/index.js';
import { commandDefinitions, DESCRIBE_COMMAND, DESCRIBE_IMAGE_MENU, PRIVATE_COMMANDS } from './commands.js';
import { attachmentParts, DISCORD_PLATFORM, messageToTurn } from './inbound.js';
import { channelSink, deliverTurn, interactionSink } from './outbound.js';

export interface DiscordBotOptions {
  readonly token: string;
  /** REST root, e.g. `https://discord.com/api`; the gateway address is discovered through it. */
  readonly apiRoot: string;
  /** Commands are registered in this server only (instantly) when set, else globally. */
  readonly testGuildId?: string;
  readonly assistant: Assistant;
  readonly logger: Logger;
  readonly downloadLimitBytes: number;
}

export interface DiscordBot {
  readonly client: Client;
  /** Logs in, waits until ready, registers the commands. */
  start(): Promise<void>;
  /** Waits for answers in progress, then disconnects. */
  stop(): Promise<void>;
}

/** The Discord adapter: discord.js (which owns rate limits and retries) and two translating handlers. */
export function createDiscordBot(options: DiscordBotOptions): DiscordBot {
  const { assistant, logger } = options;
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages, GatewayIntentBits.MessageContent],
    // Without these, direct messages never reach messageCreate.
    partials: [Partials.Channel, Partials.Message],
    rest: { api: options.apiRoot },
  });
  const inProgress = new Set<Promise<void>>();
  const track = (work: Promise<void>): void => {
    const guarded = work.catch((error: unknown) => logger.error({ err: error }, 'discord delivery failed'));
    inProgress.add(guarded);
    void guarded.finally(() => inProgress.delete(guarded));
  };

  client.on(Events.MessageCreate, (message: Message) => {
    track(
      (async () => {
        if (!client.isReady()) return;
        const inbound = await messageToTurn(message, client, options.downloadLimitBytes);
        if (inbound.kind === 'ignore') return;
        await deliverTurn(inbound.turn, assistant, channelSink(message, logger), logger);
      })(),
    );
  });
  client.on(Events.InteractionCreate, (interaction: Interaction) => {
    if (interaction.isChatInputCommand()) track(handleSlashCommand(interaction));
    else if (interaction.isMessageContextMenuCommand() && interaction.commandName === DESCRIBE_IMAGE_MENU) track(handleDescribeMenu(interaction));
  });
  client.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));

  const baseTurn = (interaction: ChatInputCommandInteraction | MessageContextMenuCommandInteraction): IncomingTurn => ({
    platform: DISCORD_PLATFORM,
    userId: interaction.user.id,
    chatId: interaction.channelId,
    eventId: `interaction:${interaction.id}`,
    languageHint: interaction.locale,
  });

  async function handleSlashCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    const ephemeral = PRIVATE_COMMANDS.has(interaction.commandName);
    // Discord drops an interaction not acknowledged within 3 s; the answer follows as an edit.
    await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
    const turn: IncomingTurn =
      interaction.commandName === DESCRIBE_COMMAND
        ? {
            ...baseTurn(interaction),
            text: interaction.options.getString('question') ?? '',
            ...attachmentParts([interaction.options.getAttachment('image', true)], options.downloadLimitBytes),
          }
        : {
            ...baseTurn(interaction),
            command: { name: interaction.commandName, argument: interaction.options.getString('change') ?? '' },
          };
    await deliverTurn(turn, assistant, interactionSink(interaction, ephemeral), logger);
  }

  /** "Apps → Describe image" on anyone's message: a private description for the person who asked. */
  async function handleDescribeMenu(interaction: MessageContextMenuCommandInteraction): Promise<void> {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const turn: IncomingTurn = {
      ...baseTurn(interaction),
      text: '',
      ...attachmentParts([...interaction.targetMessage.attachments.values()], options.downloadLimitBytes),
    };
    await deliverTurn(turn, assistant, interactionSink(interaction, true), logger);
  }

  return {
    client,
    async start() {
      const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
      await client.login(options.token);
      await ready;
      const commands = client.application!.commands;
      const definitions = commandDefinitions() as Parameters<typeof commands.set>[0];
      // A server's commands update at once; global ones can take an hour to reach every client.
      if (options.testGuildId) await commands.set(definitions, options.testGuildId);
      else await commands.set(definitions);
      logger.info({ guildScoped: options.testGuildId !== undefined }, 'discord bot ready');
    },
    async stop() {
      while (inProgress.size > 0) await Promise.all([...inProgress]);
      await client.destroy();
    },
  };
}
