import { discordSettings } from '../adapters/discord/index.js';
import { telegramSettings } from '../adapters/telegram/index.js';

/**
 * The one list of platforms. Each adapter declares its own settings; bots/config composes them with
 * the core's settings into the configuration read from `.env` and the environment.
 */
export const PLATFORM_SETTINGS = [telegramSettings, discordSettings] as const;
