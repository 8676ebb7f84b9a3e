import { DiscordAPIError, MessageFlags, RESTJSONErrorCodes, type ChatInputCommandInteraction, type Message, type MessageContextMenuCommandInteraction } from 'discord.js';
import type { Assistant, IncomingTurn, Logger, ReplyPart } from '../../core/index.js';

/** Discord's limit is 2000 characters; the margin absorbs counting differences. */
export const DISCORD_PART_LENGTH = 1900;
/** The typing indicator lasts about 10 s. */
const TYPING_INTERVAL_MS = 8000;
/** Answers never ping anyone, whatever the model wrote. */
const NO_PINGS = { parse: [] as never[], repliedUser: false };

/** Where the parts of one answer go: a channel, or an interaction's reply. Returns the sent message's id. */
export interface ReplySink {
  send(text: string): Promise<string | undefined>;
  typing?(): Promise<unknown>;
}

export async function deliverTurn(turn: IncomingTurn, assistant: Assistant, sink: ReplySink, logger: Logger): Promise<void> {
  const typing = sink.typing ? startTyping(sink.typing, logger) : undefined;
  try {
    for await (const part of assistant.handle(turn, { maxPartLength: DISCORD_PART_LENGTH })) {
      const messageId = await sink.send(part.text);
      const turnId = turnIdOf(part);
      if (messageId !== undefined && turnId !== undefined) assistant.recordDelivery(turnId, messageId);
    }
  } finally {
    typing?.stop();
  }
}

/**
 * Replies in the channel: the first part as a reply to the question, the rest as messages. Where
 * the bot may not write, the answer goes to the person by DM instead.
 */
export function channelSink(message: Message, logger: Logger): ReplySink {
  let first = true;
  let direct = false;
  return {
    async send(text) {
      if (!direct) {
        try {
          const sent = first
            ? await message.reply({ content: text, allowedMentions: NO_PINGS })
            : message.channel.isSendable()
              ? await message.channel.send({ content: text, allowedMentions: NO_PINGS })
              : undefined;
          first = false;
          return sent?.id;
        } catch (error) {
          if (!(error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.MissingPermissions)) throw error;
          logger.warn({ channel: message.channelId }, 'missing permission to answer in the channel; answering by DM');
          direct = true;
        }
      }
      const sent = await message.author.send({ content: text, allowedMentions: NO_PINGS });
      return sent.id;
    },
    typing: () => (message.channel.isSendable() ? message.channel.sendTyping() : Promise.resolve()),
  };
}

/** Answers an interaction that was deferred: the first part fills the reply, the rest follow. */
export function interactionSink(
  interaction: ChatInputCommandInteraction | MessageContextMenuCommandInteraction,
  ephemeral: boolean,
): ReplySink {
  let first = true;
  return {
    async send(text) {
      const sent = first
        ? await interaction.editReply({ content: text, allowedMentions: NO_PINGS })
        : await interaction.followUp({ content: text, allowedMentions: NO_PINGS, ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
      first = false;
      return sent.id;
    },
  };
}

function turnIdOf(part: ReplyPart): number | undefined {
  return part.type === 'answer' || part.type === 'problem' ? part.turnId : undefined;
}

function startTyping(typing: () => Promise<unknown>, logger: Logger): { stop(): void } {
  const send = (): void => {
    typing().catch((error: unknown) => logger.debug({ err: error }, 'typing indicator failed'));
  };
  send();
  const timer = setInterval(send, TYPING_INTERVAL_MS);
  return { stop: () => clearInterval(timer) };
}
