import { z } from 'zod';

const positiveInteger = z.coerce.number().int().positive();

/**
 * The Telegram bot's settings, read from the environment by bots/ and composed with the other
 * platforms' settings there. `.env.example` lists each one; secrets carry `.meta({ secret: true })`,
 * which bots/ reads so that configuration errors and log lines never show their values.
 */
export const telegramSettings = z.object({
  TELEGRAM_BOT_TOKEN: z.string().regex(/^\d+:[\w-]+$/, 'a token from @BotFather, like 123456:ABC-DEF').optional().meta({ secret: true }),
  // The root must not end in a slash: grammy appends /bot<token>/<method>.
  TELEGRAM_API_ROOT: z
    .url({ protocol: /^https?$/ })
    .default('https://api.telegram.org')
    .transform((root) => root.replace(/\/+$/, '')),
  TELEGRAM_WEBHOOK_URL: z.url({ protocol: /^https$/ }).optional(),
  // Loopback by default: a TLS proxy in front forwards to it, and nothing else can reach it.
  TELEGRAM_WEBHOOK_HOST: z.string().min(1).default('127.0.0.1'),
  TELEGRAM_WEBHOOK_PORT: positiveInteger.max(65535).default(8080),
  TELEGRAM_WEBHOOK_SECRET: z.string().regex(/^[\w-]{1,256}$/, 'letters, digits, _ and -, at most 256').optional().meta({ secret: true }),
  TELEGRAM_ALBUM_WINDOW_MS: positiveInteger.max(10_000).default(1200),
});

export type TelegramSettings = z.output<typeof telegramSettings>;
