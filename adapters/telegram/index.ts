export type { TelegramBot, TelegramBotOptions } from './telegram-bot.js';
export { createTelegramBot } from './telegram-bot.js';
export { OFFICIAL_DOWNLOAD_LIMIT_BYTES } from './telegram-files.js';
export { TELEGRAM_PART_LENGTH } from './outbound.js';
export { telegramSettings, type TelegramSettings } from './settings.js';
