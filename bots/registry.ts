import { discordFromSettings, discordSettings } from '../adapters/discord/index.js';
import { telegramFromSettings, telegramSettings } from '../adapters/telegram/index.js';

/**
 * The one list of platforms. Each adapter declares its own settings, which bots/config composes
 * with the core's settings into the configuration read from `.env` and the environment, and makes
 * its platform from them (nothing when its token is not set). A new platform is one line here.
 */
export const PLATFORMS = [
  { settings: telegramSettings, fromSettings: telegramFromSettings },
  { settings: discordSettings, fromSettings: discordFromSettings },
] as const;

export const PLATFORM_SETTINGS = PLATFORMS.map((platform) => platform.settings);
