import { z } from 'zod';

/**
 * The Discord bot's settings, read from the environment by bots/ and composed with the other
 * platforms' settings there. `.env.example` lists each one; secrets carry `.meta({ secret: true })`,
 * which bots/ reads so that configuration errors and log lines never show their values.
 */
export const discordSettings = z.object({
  DISCORD_BOT_TOKEN: z.string().min(20, 'a bot token from the Discord developer portal').optional().meta({ secret: true }),
  DISCORD_APPLICATION_ID: z.string().regex(/^\d{5,25}$/, 'the numeric application id').optional(),
  DISCORD_API_ROOT: z
    .url({ protocol: /^https?$/ })
    .default('https://discord.com/api')
    .transform((root) => root.replace(/\/+$/, '')),
  DISCORD_TEST_GUILD_ID: z.string().regex(/^\d{5,25}$/, 'a numeric server id').optional(),
});

export type DiscordSettings = z.output<typeof discordSettings>;
