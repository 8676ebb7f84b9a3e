import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Bot, GrammyError, HttpError, type Context } from 'grammy';
import type { LanguageCode, Message, Update } from 'grammy/types';
import { autoRetry } from '@grammyjs/auto-retry';
import { run, sequentialize, type RunnerHandle } from '@grammyjs/runner';
import { PlatformStartError, type Inbox, type IncomingTurn, type Logger, type Platform, type PlatformMaker } from '../../core/index.js';
import { AlbumCollector } from './album-collector.js';
import { telegramCommandMenus } from './command-menu.js';
import { TELEGRAM_PLATFORM, toIncomingTurn } from './inbound.js';
import { telegramReplyChannel } from './reply-channel.js';
import type { TelegramSettings } from './settings.js';
import { OFFICIAL_DOWNLOAD_LIMIT_BYTES, withFileMethods } from './telegram-files.js';
import { startWebhookServer } from './webhook-server.js';

export interface TelegramPlatformOptions {
  readonly token: string;
  /** Without a trailing slash: grammy appends `/bot<token>/<method>`. */
  readonly apiRoot: string;
  readonly logger: Logger;
  readonly albumWindowMs: number;
  /** 20 MB on the official API; a self-hosted Bot API server lifts it. */
  readonly downloadLimitBytes: number;
  /** How updates arrive: long polling (the default) or a webhook server. */
  readonly receive?: { readonly mode: 'polling' } | TelegramWebhook;
}

export interface TelegramWebhook {
  readonly mode: 'webhook';
  /** The public https address Telegram posts to. */
  readonly url: string;
  /** The local address and port the webhook server listens on; port 0 picks a free one. */
  readonly host: string;
  readonly port: number;
  /** Required: without it anyone who finds the URL can send updates "from" any user. */
  readonly secret: string | undefined;
}

export interface TelegramPlatform extends Platform {
  readonly bot: Bot;
  /** The port the webhook server listens on, once started in webhook mode. */
  readonly webhookPort: number | undefined;
  /**
   * Started and receiving: the webhook server listens and Telegram has its address, or the polling
   * loop runs and a poll came back recently (a poll lasts at most 30 s; a network outage leaves
   * auto-retry waiting, and no poll returns).
   */
  isConnected(): boolean;
}

/** Three long polls (30 s each) without one returning. */
const POLL_SILENCE_LIMIT_MS = 90_000;

/**
 * The Telegram adapter: grammy with auto-retry (the one owner of 429 and 5xx retries), updates in
 * order per chat, one handler that translates messages into core turns, and the polling or
 * webhook lifecycle.
 */
export function createTelegramPlatform(options: TelegramPlatformOptions): TelegramPlatform {
  const { logger } = options;
  const receive = options.receive ?? { mode: 'polling' };
  const bot = new Bot(options.token, { client: { apiRoot: options.apiRoot } });
  // While running, a network error is retried (with growing pauses) until it passes. At start-up
  // it fails at once, in one line: a bot that cannot reach the API would otherwise wait forever,
  // silently. A service manager restarts it; 429 and 5xx are still retried at start-up.
  const retryWhileRunning = autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 120 });
  const retryAtStart = autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 120, rethrowHttpErrors: true });
  let starting = false;
  // Once stopped, what is still retrying (a typing action or a menu update whose network failed)
  // is given up: auto-retry waits out network errors with doubling pauses and no end, which would
  // keep a stopped process alive for up to an hour.
  const shutdown = new AbortController();
  bot.api.config.use((previous, method, payload, signal) =>
    // A call with a signal of its own (the runner's getUpdates) is ended by its owner; the others
    // (replies, typing, menus) by the stop. grammy types signals with the abort-controller
    // polyfill's declarations, and the polyfill's signals cannot be combined with Node's.
    (starting ? retryAtStart : retryWhileRunning)(previous, method, payload, signal ?? (shutdown.signal as unknown as NonNullable<typeof signal>)),
  );
  // Stopping (SIGTERM) during start-up ends its requests and pauses at once.
  const startAbort = new AbortController();
  const api = withFileMethods(bot.api, options.token, options.apiRoot);
  let inbox: Inbox | undefined;
  let runner: RunnerHandle | undefined;
  let server: Server | undefined;
  const replays = new Set<Promise<void>>();
  let receiving = false;
  let lastPollAt = 0;

  // Every update is kept before Telegram hears it arrived: the next getUpdates (whose offset
  // confirms this batch) cannot be sent before this call has returned.
  bot.api.config.use(async (previous, method, payload, signal) => {
    const result = await previous(method, payload, signal);
    if (method === 'getUpdates' && result.ok) {
      lastPollAt = performance.now();
      for (const update of result.result as Update[]) keep(update);
    }
    return result;
  });

  /** Keeps an update the bot will answer; a group message not meant for it is never written down. */
  function keep(update: Update): void {
    const { message } = update;
    if (!message || translate(message, update.update_id).kind === 'ignore') return;
    inbox!.journal.keep({ platform: TELEGRAM_PLATFORM, eventId: String(update.update_id), userId: String(message.from?.id ?? ''), payload: JSON.stringify(update) });
  }

  function translate(message: Message, updateId: number): ReturnType<typeof toIncomingTurn> {
    return toIncomingTurn(message, updateId, { api, me: bot.botInfo, downloadLimitBytes: options.downloadLimitBytes });
  }

  /** Handles an update without waiting for its answer (webhooks, replays after a restart). */
  function handleInBackground(update: Update): void {
    const work = bot.handleUpdate(update).catch((error: unknown) => logger.error({ err: error }, 'telegram update failed'));
    replays.add(work);
    void work.finally(() => replays.delete(work));
  }

  const deliver = (turn: IncomingTurn, chatType: string): Promise<void> =>
    inbox!.receive(turn, telegramReplyChannel(bot.api, { chatId: Number(turn.chatId), chatType, userId: Number(turn.userId), ...messageIdOf(turn) }));
  const albums = new AlbumCollector(options.albumWindowMs, (turn, chatType) => void deliver(turn, chatType));
  const waitForAnswers = receive.mode !== 'webhook';

  bot.use(sequentialize((context: Context) => context.chat?.id.toString()));
  bot.on('message', async (context) => {
    const inbound = translate(context.message, context.update.update_id);
    if (inbound.kind === 'ignore') {
      logger.debug({ reason: inbound.reason }, 'telegram message ignored');
      return;
    }
    const groupId = context.message.media_group_id;
    if (groupId) {
      albums.add(groupId, inbound.turn, context.chat.type);
      return;
    }
    const work = deliver(inbound.turn, context.chat.type);
    // A webhook answers Telegram at once, so a long answer never makes Telegram resend the
    // update; long polling waits for the turn, one chat at a time.
    if (waitForAnswers) await work;
  });
  bot.catch((error) => logger.error({ err: error.error, updateId: error.ctx.update.update_id }, 'telegram update failed'));

  return {
    name: TELEGRAM_PLATFORM,
    bot,
    get webhookPort() {
      const address = server?.address();
      return address && typeof address === 'object' ? (address as AddressInfo).port : undefined;
    },
    async start(target) {
      inbox = target;
      if (receive.mode === 'webhook' && !receive.secret) {
        throw new PlatformStartError(
          'Webhook mode needs TELEGRAM_WEBHOOK_SECRET, or anyone who finds the address can send messages as any user. Set it to a random string of letters and digits, for example the output of: openssl rand -hex 32',
          2,
        );
      }
      // grammy types its signal as the abort-controller package's; the built-in one is what it uses.
      const signal = startAbort.signal as unknown as Parameters<typeof bot.api.getMe>[0] & AbortSignal;
      starting = true;
      try {
        // Not bot.init(): it retries a network error itself, without end.
        bot.botInfo = await bot.api.getMe(signal);
        for (const menu of telegramCommandMenus()) {
          await bot.api.setMyCommands(menu.commands, menu.languageCode ? { language_code: menu.languageCode as LanguageCode } : {}, signal);
        }
        starting = false;
        // Answered before anything new, in the order they came.
        for (const kept of target.journal.replay(TELEGRAM_PLATFORM)) handleInBackground(JSON.parse(kept.payload) as Update);
        if (receive.mode === 'webhook') {
          server = await startWebhookServer({
            host: receive.host,
            port: receive.port,
            path: new URL(receive.url).pathname,
            secret: receive.secret!,
            onUpdate: (update) => {
              keep(update);
              handleInBackground(update);
            },
          });
          await bot.api.setWebhook(receive.url, { allowed_updates: ['message'], secret_token: receive.secret! }, signal);
          receiving = true;
          logger.info({ port: this.webhookPort }, 'telegram bot receiving updates by webhook');
        } else {
          lastPollAt = performance.now();
          runner = run(bot, { runner: { fetch: { allowed_updates: ['message'] } } });
          receiving = true;
          void runner.task()?.catch((error: unknown) => logger.error({ err: error }, 'telegram polling stopped'));
          logger.info({ username: bot.botInfo.username }, 'telegram bot polling for updates');
        }
      } catch (error) {
        if (signal.aborted) throw new PlatformStartError('Telegram start-up was stopped.', 1, { cause: error });
        throw describeStartError(error, options.apiRoot, receive);
      } finally {
        starting = false;
      }
    },
    isConnected() {
      if (!receiving) return false;
      if (receive.mode === 'webhook') return server?.listening === true;
      return runner?.isRunning() === true && performance.now() - lastPollAt < POLL_SILENCE_LIMIT_MS;
    },
    async stop() {
      receiving = false;
      startAbort.abort();
      if (runner?.isRunning()) await runner.stop();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      while (replays.size > 0) await Promise.all([...replays]);
      albums.flushAll();
      await inbox?.idle();
      shutdown.abort();
    },
  };
}

function messageIdOf(turn: IncomingTurn): { messageId?: number } {
  return turn.messageId === undefined ? {} : { messageId: Number(turn.messageId) };
}

/** One line the person running the bot can act on, for the failures they can fix. */
function describeStartError(error: unknown, apiRoot: string, receive: TelegramPlatformOptions['receive']): unknown {
  if (receive?.mode === 'webhook' && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    return new PlatformStartError(`The webhook port ${receive.port} is already in use by another program. Set TELEGRAM_WEBHOOK_PORT to a free port.`, 2, { cause: error });
  }
  if (error instanceof GrammyError && error.error_code === 401) {
    return new PlatformStartError('Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized). Copy the token again from @BotFather.', 2, { cause: error });
  }
  if (error instanceof HttpError) {
    const cause = error.error instanceof Error ? (error.error.cause instanceof Error ? error.error.cause : error.error) : undefined;
    const why = (cause as NodeJS.ErrnoException | undefined)?.code ?? cause?.message ?? error.message;
    const where = apiRoot === OFFICIAL_API_ROOT ? '' : ' and TELEGRAM_API_ROOT';
    return new PlatformStartError(
      `Could not reach the Telegram Bot API at ${apiRoot} (${why}). Check the network connection${where}, then start the bot again.`,
      1,
      { cause: error },
    );
  }
  return error;
}

const OFFICIAL_API_ROOT = 'https://api.telegram.org';

/** The Telegram platform the settings ask for: none without a token; a webhook when its address is set. */
export function telegramFromSettings(settings: TelegramSettings): PlatformMaker | undefined {
  const token = settings.TELEGRAM_BOT_TOKEN;
  if (!token) return undefined;
  const official = settings.TELEGRAM_API_ROOT === OFFICIAL_API_ROOT;
  return (context) => createTelegramPlatform({
    token,
    apiRoot: settings.TELEGRAM_API_ROOT,
    logger: context.logger,
    albumWindowMs: settings.TELEGRAM_ALBUM_WINDOW_MS,
    downloadLimitBytes: official ? Math.min(OFFICIAL_DOWNLOAD_LIMIT_BYTES, context.downloadLimitBytes) : context.downloadLimitBytes,
    receive: settings.TELEGRAM_WEBHOOK_URL
      ? {
          mode: 'webhook',
          url: settings.TELEGRAM_WEBHOOK_URL,
          host: settings.TELEGRAM_WEBHOOK_HOST,
          port: settings.TELEGRAM_WEBHOOK_PORT,
          secret: settings.TELEGRAM_WEBHOOK_SECRET,
        }
      : { mode: 'polling' },
  });
}
