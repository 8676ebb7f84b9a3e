import { createServer } from 'node:http';
import { webhookCallback } from 'grammy';
import { run } from '@grammyjs/runner';
import { createTelegramBot, OFFICIAL_DOWNLOAD_LIMIT_BYTES } from '../adapters/telegram/index.js';
import type { App } from './app.js';

const OFFICIAL_API_ROOT = 'https://api.telegram.org';

/** Starts the Telegram bot: long polling, or a webhook server when TELEGRAM_WEBHOOK_URL is set. Resolves on stop. */
export async function runTelegram(app: App, token: string, stopSignal: AbortSignal): Promise<void> {
  const { config, logger } = app;
  const webhook = config.TELEGRAM_WEBHOOK_URL;
  const telegram = createTelegramBot({
    token,
    apiRoot: config.TELEGRAM_API_ROOT,
    assistant: app.assistant,
    logger,
    albumWindowMs: config.TELEGRAM_ALBUM_WINDOW_MS,
    downloadLimitBytes: config.TELEGRAM_API_ROOT === OFFICIAL_API_ROOT ? OFFICIAL_DOWNLOAD_LIMIT_BYTES : config.IMAGE_MAX_BYTES,
    runTurnsInBackground: webhook !== undefined,
  });
  await telegram.bot.init();
  await telegram.registerCommands();

  if (webhook) {
    const handle = webhookCallback(telegram.bot, 'http', {
      ...(config.TELEGRAM_WEBHOOK_SECRET ? { secretToken: config.TELEGRAM_WEBHOOK_SECRET } : {}),
    });
    const server = createServer((request, response) => void handle(request, response));
    await new Promise<void>((resolve) => server.listen(config.TELEGRAM_WEBHOOK_PORT, resolve));
    await telegram.bot.api.setWebhook(webhook, {
      allowed_updates: ['message'],
      ...(config.TELEGRAM_WEBHOOK_SECRET ? { secret_token: config.TELEGRAM_WEBHOOK_SECRET } : {}),
    });
    logger.info({ port: config.TELEGRAM_WEBHOOK_PORT }, 'telegram bot receiving updates by webhook');
    await untilAborted(stopSignal);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  } else {
    const runner = run(telegram.bot, { runner: { fetch: { allowed_updates: ['message'] } } });
    logger.info({ username: telegram.bot.botInfo.username }, 'telegram bot polling for updates');
    await Promise.race([untilAborted(stopSignal), runner.task()]);
    if (runner.isRunning()) await runner.stop();
  }
  await telegram.drain();
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
