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
  try {
    const parts = options.assistant.handle(turn, {
      maxPartLength: TELEGRAM_PART_LENGTH,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for await (const part of parts) {
      const sent = await api.sendMessage(chatId, part.text, {
        ...(replyTo === undefined ? {} : { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } }),
        link_preview_options: { is_disabled: true },
      });
      replyTo = undefined;
      const turnId = turnIdOf(part);
      if (turnId !== undefined) options.assistant.recordDelivery(turnId, String(sent.message_id));
    }
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
