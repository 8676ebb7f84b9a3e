export type { DiscordBot, DiscordBotOptions } from './discord-bot.js';
export { createDiscordBot } from './discord-bot.js';
export { DESCRIBE_IMAGE_MENU } from './commands.js';
export { DISCORD_PART_LENGTH } from './outbound.js';
export { discordSettings, type DiscordSettings } from './settings.js';
