import { GrammyError, InputFile, type Api } from 'grammy';
import { PlatformError, type ReplyChannel, type SentMessage } from '../../core/index.js';

/** Telegram's limit is 4096; a margin keeps counting differences (UTF-16 vs. entities) harmless. */
export const TELEGRAM_PART_LENGTH = 4000;
/** A chat action shows for about 5 s; repeating it every 4 s keeps "typing" visible without gaps. */
const TYPING_INTERVAL_MS = 4000;
const NO_PREVIEW = { link_preview_options: { is_disabled: true } };

export interface TelegramChat {
  readonly chatId: number;
  /** `private`, `group`, `supergroup`: in groups the answer replies to the question. */
  readonly chatType: string;
  /** The message being answered. */
  readonly messageId?: number;
  /** Who asked: a private chat with a person has that person's id. */
  readonly userId: number;
}

/**
 * Where a Telegram answer goes: plain-text messages (no parse_mode, so no entity errors), voice
 * notes, the typing action, and drafts by editing one message. Retries on 429 and 5xx belong to
 * auto-retry; refusals become PlatformErrors the core's delivery routine understands.
 */
export function telegramReplyChannel(api: Api, chat: TelegramChat): ReplyChannel {
  const { chatId } = chat;
  return {
    capabilities: {
      maxPartLength: TELEGRAM_PART_LENGTH,
      typingIntervalMs: TYPING_INTERVAL_MS,
      replyToQuestion: chat.chatType !== 'private',
      shared: chat.chatType !== 'private',
    },
    async sendText(text, options) {
      const sent = await translateErrors(() => api.sendMessage(chatId, text, { ...replyTo(chat.messageId, options.asReply), ...NO_PREVIEW }));
      return { id: String(sent.message_id) };
    },
    // The contract has no asReply for voice: a voice note in a group answers the question, as the
    // first text part does, so it is clear whom it is for.
    async sendVoice(note) {
      const duration = Math.round(note.durationSeconds);
      const sent = await translateErrors(() =>
        api.sendVoice(chatId, new InputFile(note.data, 'answer.ogg'), {
          // Telegram takes whole seconds; under half a second would otherwise read as 0:00.
          ...(Number.isFinite(duration) ? { duration: Math.max(1, duration) } : {}),
          ...replyTo(chat.messageId, chat.chatType !== 'private'),
        }),
      );
      return { id: String(sent.message_id) };
    },
    async showTyping() {
      await api.sendChatAction(chatId, 'typing');
    },
    // Telegram refuses (403) when the person never opened a private chat with the bot.
    privateFallback: () => telegramReplyChannel(api, { chatId: chat.userId, chatType: 'private', userId: chat.userId }),
    drafts: {
      async create(text) {
        const sent = await translateErrors(() => api.sendMessage(chatId, text, NO_PREVIEW));
        return { id: String(sent.message_id) };
      },
      async edit(message: SentMessage, text) {
        await translateErrors(() => api.editMessageText(chatId, Number(message.id), text, NO_PREVIEW));
      },
      async remove(message: SentMessage) {
        await translateErrors(() => api.deleteMessage(chatId, Number(message.id)));
      },
    },
  };
}

/** Answers `messageId` when asked; still delivered if the question was deleted meanwhile. */
function replyTo(messageId: number | undefined, asReply: boolean) {
  return asReply && messageId !== undefined ? { reply_parameters: { message_id: messageId, allow_sending_without_reply: true } } : {};
}

async function translateErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof GrammyError && error.error_code === 403) {
      throw new PlatformError('recipient-gone', error.description, { cause: error });
    }
    // A Premium user who allows voice messages from nobody (or only contacts), and a group whose
    // members may not send voice notes (or text): the bot may not post this here.
    if (error instanceof GrammyError && /VOICE_MESSAGES_FORBIDDEN|not enough rights to send|CHAT_SEND_\w+_FORBIDDEN/i.test(error.description)) {
      throw new PlatformError('forbidden', error.description, { cause: error });
    }
    if (error instanceof GrammyError && /message is not modified/.test(error.description)) {
      throw new PlatformError('unchanged', error.description, { cause: error });
    }
    throw error;
  }
}
