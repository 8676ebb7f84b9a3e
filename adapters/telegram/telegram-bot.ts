import { Bot, type Context } from 'grammy';
import { autoRetry } from '@grammyjs/auto-retry';
import { sequentialize } from '@grammyjs/runner';
import { COMMAND_NAMES, MESSAGES, type Assistant, type IncomingTurn, type Logger } from '../../core/index.js';
import { AlbumCollector } from './album-collector.js';
import { toIncomingTurn } from './inbound.js';
import { deliverTurn } from './outbound.js';
import { withFileMethods } from './telegram-files.js';

export interface TelegramBotOptions {
  readonly token: string;
  /** Without a trailing slash: grammy appends `/bot<token>/<method>`. */
  readonly apiRoot: string;
  readonly assistant: Assistant;
  readonly logger: Logger;
  readonly albumWindowMs: number;
  /** 20 MB on the official API; a self-hosted Bot API server lifts it. */
  readonly downloadLimitBytes: number;
  /**
   * Webhook mode answers Telegram at once and runs the turn afterwards, so a long answer never
   * makes Telegram retry the request; long polling awaits the turn, one chat at a time.
   */
  readonly runTurnsInBackground?: boolean;
}

export interface TelegramBot {
  readonly bot: Bot;
  /** Registers the command menu, in English and, for Chinese-language users, in Chinese. */
  registerCommands(): Promise<void>;
  /** Answers albums still gathering and waits for every turn in progress. */
  drain(): Promise<void>;
}

/**
 * The Telegram adapter: grammy with auto-retry (the one owner of 429 and 5xx retries), a per-chat
 * order for updates, and one handler that translates messages into core turns.
 */
export function createTelegramBot(options: TelegramBotOptions): TelegramBot {
  const { logger } = options;
  const bot = new Bot(options.token, { client: { apiRoot: options.apiRoot } });
  bot.api.config.use(autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 120 }));
  const api = withFileMethods(bot.api, options.token, options.apiRoot);
  const inProgress = new Set<Promise<void>>();

  const run = (turn: IncomingTurn, chatType: string): Promise<void> => {
    const work = deliverTurn(turn, {
      api: bot.api,
      assistant: options.assistant,
      logger,
      replyInThread: chatType !== 'private',
    }).catch((error: unknown) => logger.error({ err: error }, 'telegram delivery failed'));
    inProgress.add(work);
    void work.finally(() => inProgress.delete(work));
    return work;
  };
  const albums = new AlbumCollector(options.albumWindowMs, (turn, chatType) => void run(turn, chatType));

  bot.use(sequentialize((context: Context) => context.chat?.id.toString()));
  bot.on('message', async (context) => {
    const inbound = toIncomingTurn(context.message, context.update.update_id, {
      api,
      me: context.me,
      downloadLimitBytes: options.downloadLimitBytes,
    });
    if (inbound.kind === 'ignore') {
      logger.debug({ reason: inbound.reason }, 'telegram message ignored');
      return;
    }
    const groupId = context.message.media_group_id;
    if (groupId) {
      albums.add(groupId, inbound.turn, context.chat.type);
      return;
    }
    const work = run(inbound.turn, context.chat.type);
    if (!options.runTurnsInBackground) await work;
  });
  bot.catch((error) => logger.error({ err: error.error, updateId: error.ctx.update.update_id }, 'telegram update failed'));

  return {
    bot,
    async registerCommands() {
      const commands = (language: keyof typeof MESSAGES) =>
        COMMAND_NAMES.map((command) => ({ command, description: MESSAGES[language].commandDescriptions[command] }));
      await bot.api.setMyCommands(commands('en'));
      await bot.api.setMyCommands(commands('zh'), { language_code: 'zh' });
    },
    async drain() {
      albums.flushAll();
      while (inProgress.size > 0) await Promise.all([...inProgress]);
    },
  };
}
