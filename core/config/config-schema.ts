import { z } from 'zod';

/**
 * Every setting the program reads, with its default. `.env.example` mirrors this list; a test
 * keeps the two in step.
 */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const positiveInteger = z.coerce.number().int().positive();

export const configFields = z.object({
    // No default: the console logs warnings only, bots log at info (see bots/).
    LOG_LEVEL: z.enum(LOG_LEVELS).optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    MODELS_DIR: z.string().min(1).default('./models'),
    VLM_BACKEND: z.enum(['embedded', 'openai']).default('embedded'),
    VLM_MODEL: z.string().min(1).default('smolvlm-256m'),
    VLM_DEVICE: z.enum(['cpu', 'cuda', 'auto']).default('auto'),
    VLM_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    VLM_API_KEY: z.string().min(1).optional(),
    // One dtype for all sessions (q4) or session=dtype pairs; parsed by the embedded backend.
    VLM_DTYPE: z.string().regex(/^[a-z0-9_=,\s]+$/, 'a dtype such as q4, or pairs such as vision_encoder=int8,decoder_model_merged=q4').optional(),
    VLM_IMAGE_SPLITTING: z.enum(['auto', 'on', 'off']).default('auto'),
    VLM_TIMEOUT_S: positiveInteger.max(3600).default(120),
    VLM_CONCURRENCY: positiveInteger.max(256).default(4),
    VLM_MAX_IMAGE_SIDE: positiveInteger.min(224).max(4096).default(1536),
    STT_MODEL: z.string().min(1).default('whisper-base'),
    // Unset: the same as VLM_DEVICE (filled in below).
    STT_DEVICE: z.enum(['cpu', 'cuda', 'auto']).optional(),
    VOICE_MAX_SECONDS: positiveInteger.max(900).default(120),
    AUDIO_MAX_BYTES: positiveInteger.default(20 * 1024 * 1024),
    // The Hugging Face Hub's own variable names, as every Hugging Face tool reads them.
    HF_ENDPOINT: z.url({ protocol: /^https?$/ }).default('https://huggingface.co'),
    HF_TOKEN: z.string().min(1).optional(),
    TELEGRAM_BOT_TOKEN: z.string().regex(/^\d+:[\w-]+$/, 'a token from @BotFather, like 123456:ABC-DEF').optional(),
    // The root must not end in a slash: grammy appends /bot<token>/<method>.
    TELEGRAM_API_ROOT: z
      .url({ protocol: /^https?$/ })
      .default('https://api.telegram.org')
      .transform((root) => root.replace(/\/+$/, '')),
    TELEGRAM_WEBHOOK_URL: z.url({ protocol: /^https$/ }).optional(),
    TELEGRAM_WEBHOOK_PORT: positiveInteger.max(65535).default(8080),
    TELEGRAM_WEBHOOK_SECRET: z.string().regex(/^[\w-]{1,256}$/, 'letters, digits, _ and -, at most 256').optional(),
    TELEGRAM_ALBUM_WINDOW_MS: positiveInteger.max(10_000).default(1200),
    DISCORD_BOT_TOKEN: z.string().min(20, 'a bot token from the Discord developer portal').optional(),
    DISCORD_APPLICATION_ID: z.string().regex(/^\d{5,25}$/, 'the numeric application id').optional(),
    DISCORD_API_ROOT: z
      .url({ protocol: /^https?$/ })
      .default('https://discord.com/api')
      .transform((root) => root.replace(/\/+$/, '')),
    DISCORD_TEST_GUILD_ID: z.string().regex(/^\d{5,25}$/, 'a numeric server id').optional(),
    IMAGE_MAX_BYTES: positiveInteger.default(20 * 1024 * 1024),
    IMAGE_MAX_PIXELS: positiveInteger.default(100_000_000),
    MAX_IMAGES_PER_TURN: positiveInteger.max(10).default(4),
    MEDIA_RETENTION_HOURS: positiveInteger.max(24 * 30).default(24),
    HISTORY_RETENTION_DAYS: positiveInteger.max(3650).default(30),
    HISTORY_TOKEN_BUDGET: positiveInteger.min(100).default(1500),
});

export const configSchema = configFields
  .superRefine((config, context) => {
    if (config.VLM_BACKEND === 'openai' && !config.VLM_BASE_URL) {
      context.addIssue({
        code: 'custom',
        path: ['VLM_BASE_URL'],
        message: 'a URL such as http://gpu-host:8000/v1 when VLM_BACKEND is openai',
      });
    }
  })
  .transform((config) => ({ ...config, STT_DEVICE: config.STT_DEVICE ?? config.VLM_DEVICE }));

export type Config = z.output<typeof configSchema>;

/** Values that must never reach a log line or an error message. */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  'VLM_API_KEY',
  'HF_TOKEN',
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'DISCORD_BOT_TOKEN',
]);
