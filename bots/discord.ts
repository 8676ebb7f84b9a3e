import { createDiscordBot } from '../adapters/discord/index.js';
import type { App } from './app.js';

/** Starts the Discord bot and resolves once it has stopped. */
export async function runDiscord(app: App, token: string, stopSignal: AbortSignal): Promise<void> {
  const { config, logger } = app;
  const discord = createDiscordBot({
    token,
    apiRoot: config.DISCORD_API_ROOT,
    ...(config.DISCORD_TEST_GUILD_ID ? { testGuildId: config.DISCORD_TEST_GUILD_ID } : {}),
    assistant: app.assistant,
    logger,
    downloadLimitBytes: config.IMAGE_MAX_BYTES,
  });
  await discord.start();
  const applicationId = discord.client.application?.id;
  if (config.DISCORD_APPLICATION_ID && applicationId !== config.DISCORD_APPLICATION_ID) {
    logger.warn({ configured: config.DISCORD_APPLICATION_ID, reported: applicationId }, 'DISCORD_APPLICATION_ID differs from the application Discord reports for this token');
  }
  await new Promise<void>((resolve) => {
    if (stopSignal.aborted) resolve();
    else stopSignal.addEventListener('abort', () => resolve(), { once: true });
  });
  await discord.stop();
}
