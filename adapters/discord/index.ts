export type { DiscordPlatform, DiscordPlatformOptions } from './discord-platform.js';
export { createDiscordPlatform, discordFromSettings } from './discord-platform.js';
export { DESCRIBE_IMAGE_MENU } from './commands.js';
export { DISCORD_PART_LENGTH } from './reply-channel.js';
export { discordSettings, type DiscordSettings } from './settings.js';
