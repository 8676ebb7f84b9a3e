export type { TelegramPlatform, TelegramPlatformOptions, TelegramWebhook } from './telegram-platform.js';
export { createTelegramPlatform, telegramFromSettings } from './telegram-platform.js';
export { OFFICIAL_DOWNLOAD_LIMIT_BYTES } from './telegram-files.js';
export { TELEGRAM_PART_LENGTH } from './reply-channel.js';
export { telegramSettings, type TelegramSettings } from './settings.js';
