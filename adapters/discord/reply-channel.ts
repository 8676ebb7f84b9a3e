import {
  DiscordAPIError,
  MessageFlags,
  RESTJSONErrorCodes,
  type ChatInputCommandInteraction,
  type Message,
  type MessageContextMenuCommandInteraction,
} from 'discord.js';
import { PlatformError, type ChannelCapabilities, type ReplyChannel } from '../../core/index.js';
import { postVoiceMessage } from './voice-message.js';

/** Discord's limit is 2000 characters; the margin absorbs counting differences. */
export const DISCORD_PART_LENGTH = 1900;
/** The typing indicator lasts about 10 s. */
const TYPING_INTERVAL_MS = 8000;
/** Answers never ping anyone, whatever the model wrote. */
const NO_PINGS = { parse: [] as never[], repliedUser: false };

const CHANNEL: ChannelCapabilities = { maxPartLength: DISCORD_PART_LENGTH, typingIntervalMs: TYPING_INTERVAL_MS, replyToQuestion: true };

/**
 * Answers a message in its channel: the first part as a reply to the question, the rest as
 * messages, a voice message replying to the question too, drafts by editing one message. Where
 * the bot may not write, the person is answered by DM instead (the private fallback).
 */
export function messageReplyChannel(message: Message): ReplyChannel {
  const { channel } = message;
  return {
    capabilities: { ...CHANNEL, shared: !channel.isDMBased() },
    async sendText(text, options) {
      const sent = await translateErrors<{ id: string }>(() =>
        options.asReply
          ? message.reply({ content: text, allowedMentions: NO_PINGS })
          : channel.isSendable()
            ? channel.send({ content: text, allowedMentions: NO_PINGS })
            : Promise.reject(new PlatformError('forbidden', 'The channel does not take messages.')),
      );
      return { id: sent.id };
    },
    async sendVoice(note) {
      const sent = await translateErrors(() => postVoiceMessage(message.client, message.channelId, note, message.id));
      return { id: sent.id };
    },
    async showTyping() {
      if (channel.isSendable()) await channel.sendTyping();
    },
    drafts: {
      async create(text) {
        if (!channel.isSendable()) throw new PlatformError('forbidden', 'The channel does not take messages.');
        const sent = await translateErrors<{ id: string }>(() => channel.send({ content: text, allowedMentions: NO_PINGS }));
        return { id: sent.id };
      },
      async edit(draft, text) {
        await translateErrors(async () => {
          if (channel.isSendable()) await channel.messages.edit(draft.id, { content: text, allowedMentions: NO_PINGS });
        });
      },
      async remove(draft) {
        await translateErrors(async () => {
          if (channel.isSendable()) await channel.messages.delete(draft.id);
        });
      },
    },
    privateFallback: () => directMessageChannel(message),
  };
}

function directMessageChannel(message: Message): ReplyChannel {
  return {
    capabilities: { ...CHANNEL, replyToQuestion: false },
    async sendText(text) {
      const sent = await translateErrors(() => message.author.send({ content: text, allowedMentions: NO_PINGS }));
      return { id: sent.id };
    },
    async sendVoice(note) {
      const sent = await translateErrors(async () => postVoiceMessage(message.client, (await message.author.createDM()).id, note));
      return { id: sent.id };
    },
  };
}

/**
 * Answers an interaction that was deferred: the first part fills the reply, the rest follow.
 *
 * Discord takes no voice message as an interaction response or follow-up (those allow only the
 * ephemeral, embed and notification flags), so a public answer's voice message is posted in the
 * interaction's channel as the bot's own message. That needs the bot in the channel with the
 * right to post voice messages, which an interaction alone does not; where it is refused, the
 * core hears `forbidden` and the text answer still arrives. A private (ephemeral) answer gets no
 * voice: a channel message would show everyone what was meant for one person.
 */
export function interactionReplyChannel(
  interaction: ChatInputCommandInteraction | MessageContextMenuCommandInteraction,
  ephemeral: boolean,
): ReplyChannel {
  let first = true;
  const voice: Pick<ReplyChannel, 'sendVoice'> = ephemeral
    ? {}
    : {
        async sendVoice(note) {
          const sent = await translateErrors(() => postVoiceMessage(interaction.client, interaction.channelId, note));
          return { id: sent.id };
        },
      };
  return {
    ...voice,
    capabilities: { maxPartLength: DISCORD_PART_LENGTH, replyToQuestion: false },
    async sendText(text) {
      const sent = await translateErrors(() =>
        first
          ? interaction.editReply({ content: text, allowedMentions: NO_PINGS })
          : interaction.followUp({ content: text, allowedMentions: NO_PINGS, ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}) }),
      );
      first = false;
      return { id: sent.id };
    },
  };
}

const FORBIDDEN_CODES = new Set<number>([
  RESTJSONErrorCodes.MissingPermissions,
  RESTJSONErrorCodes.MissingAccess,
  RESTJSONErrorCodes.YouCannotSendVoiceMessagesInThisChannel,
]);

async function translateErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    // Missing access: a channel the bot cannot see (an interaction reaches it from anywhere). The
    // voice-message refusals: no right to send them here, or a channel that takes none.
    if (error instanceof DiscordAPIError && FORBIDDEN_CODES.has(Number(error.code))) {
      throw new PlatformError('forbidden', error.message, { cause: error });
    }
    if (error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.CannotSendMessagesToThisUser) {
      throw new PlatformError('recipient-gone', error.message, { cause: error });
    }
    throw error;
  }
}
