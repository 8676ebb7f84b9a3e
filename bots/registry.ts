import { discordFromSettings, discordSettings } from '../adapters/discord/index.js';
import { telegramFromSettings, telegramSettings } from '../adapters/telegram/index.js';
import type { PlatformMaker } from '../core/index.js';
import type { Config } from './config/index.js';

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

/** The platforms whose settings are complete enough to run (a token is set), ready to be made. */
export function configuredPlatforms(config: Config): PlatformMaker[] {
  return PLATFORMS.map((platform) => platform.fromSettings(config)).filter((maker) => maker !== undefined);
}
