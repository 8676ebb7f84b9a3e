import { GrammyError, type Api } from 'grammy';
import type { Assistant, IncomingTurn, Logger, ReplyPart } from '../../core/index.js';

/** Telegram's limit is 4096; a margin keeps counting differences (UTF-16 vs. entities) harmless. */
export const TELEGRAM_PART_LENGTH = 4000;
/** A chat action shows for about 5 s; repeating it every 4 s keeps "typing" visible without gaps. */
const TYPING_INTERVAL_MS = 4000;

export interface DeliveryOptions {
  readonly api: Api;
  readonly assistant: Assistant;
  readonly logger: Logger;
  /** In groups the answer replies to the question, so it is clear whom it is for. */
  readonly replyInThread: boolean;
  readonly signal?: AbortSignal;
}

/**
 * Runs a turn and sends its parts as new plain-text messages (no parse_mode, so no entity errors),
 * announcing "typing" while the assistant works. Retries on 429 and 5xx belong to auto-retry.
 */
export async function deliverTurn(turn: IncomingTurn, options: DeliveryOptions): Promise<void> {
  const { api } = options;
  const chatId = Number(turn.chatId);
  const typing = startTyping(api, chatId, options.logger);
  let replyTo = options.replyInThread && turn.messageId ? Number(turn.messageId) : undefined;
  const draft = new DraftMessage(api, chatId, options.logger);
  try {
    const parts = options.assistant.handle(turn, {
      maxPartLength: TELEGRAM_PART_LENGTH,
      supportsDrafts: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for await (const part of parts) {
      if (part.type === 'draft') {
        await draft.show(part.text);
        continue;
      }
      const sent = await api.sendMessage(chatId, part.text, {
        ...(replyTo === undefined ? {} : { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } }),
        link_preview_options: { is_disabled: true },
      });
      replyTo = undefined;
      const turnId = turnIdOf(part);
      if (turnId !== undefined) options.assistant.recordDelivery(turnId, String(sent.message_id));
    }
    await draft.remove();
  } catch (error) {
    if (error instanceof GrammyError && error.error_code === 403) {
      options.logger.info({ chat: 'blocked' }, 'the user blocked the bot or left the chat; answer dropped');
      return;
    }
    throw error;
  } finally {
    typing.stop();
  }
}

/**
 * The opt-in streaming view: one message edited as the answer grows. Screen readers announce
 * edits poorly, so it is removed once the answer has arrived as new messages.
 */
class DraftMessage {
  private messageId: number | undefined;
  private shown = '';

  constructor(
    private readonly api: Api,
    private readonly chatId: number,
    private readonly logger: Logger,
  ) {}

  async show(text: string): Promise<void> {
    if (text === this.shown) return;
    this.shown = text;
    if (this.messageId === undefined) {
      this.messageId = (await this.api.sendMessage(this.chatId, text, { link_preview_options: { is_disabled: true } })).message_id;
      return;
    }
    await this.api.editMessageText(this.chatId, this.messageId, text).catch((error: unknown) => {
      // Two drafts can format to the same text; Telegram refuses an identical edit.
      if (!(error instanceof GrammyError && /message is not modified/.test(error.description))) throw error;
    });
  }

  async remove(): Promise<void> {
    if (this.messageId === undefined) return;
    await this.api.deleteMessage(this.chatId, this.messageId).catch((error: unknown) => {
      this.logger.info({ err: error }, 'the streaming draft could not be deleted');
    });
  }
}

function turnIdOf(part: ReplyPart): number | undefined {
  return part.type === 'answer' || part.type === 'problem' ? part.turnId : undefined;
}

function startTyping(api: Api, chatId: number, logger: Logger): { stop(): void } {
  const send = (): void => {
    api.sendChatAction(chatId, 'typing').catch((error: unknown) => logger.debug({ err: error }, 'typing action failed'));
  };
  send();
  const timer = setInterval(send, TYPING_INTERVAL_MS);
  return { stop: () => clearInterval(timer) };
}
