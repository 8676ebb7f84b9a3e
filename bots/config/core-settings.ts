import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const positiveInteger = z.coerce.number().int().positive();

/**
 * The settings of the assistant itself (storage, models, limits, retention), whatever platform it
 * runs on. The core takes them as plain options; reading them from the environment is wiring, so
 * the schema lives here. Each platform adds its own settings through the registry. Secrets carry
 * `.meta({ secret: true })`, placed last on the field: errors and logs never show their values.
 */
export const coreSettings = z.object({
  // No default: the console logs warnings only, bots log at info (see bots/).
  LOG_LEVEL: z.enum(LOG_LEVELS).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  MODELS_DIR: z.string().min(1).default('./models'),
  VLM_BACKEND: z.enum(['embedded', 'openai']).default('embedded'),
  VLM_MODEL: z.string().min(1).default('smolvlm-256m'),
  VLM_DEVICE: z.enum(['cpu', 'cuda', 'auto']).default('auto'),
  VLM_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  VLM_API_KEY: z.string().min(1).optional().meta({ secret: true }),
  // One dtype for all sessions (q4) or session=dtype pairs; parsed by the embedded backend.
  VLM_DTYPE: z.string().regex(/^[a-z0-9_=,\s]+$/, 'a dtype such as q4, or pairs such as vision_encoder=int8,decoder_model_merged=q4').optional(),
  VLM_IMAGE_SPLITTING: z.enum(['auto', 'on', 'off']).default('auto'),
  VLM_TIMEOUT_S: positiveInteger.max(3600).default(120),
  VLM_CONCURRENCY: positiveInteger.max(256).default(4),
  VLM_MAX_IMAGE_SIDE: positiveInteger.min(224).max(4096).default(1536),
  // `openai`: an OpenAI-compatible /v1/audio/transcriptions server (vLLM, faster-whisper, whisper.cpp).
  STT_BACKEND: z.enum(['embedded', 'openai']).default('embedded'),
  STT_MODEL: z.string().min(1).default('whisper-base'),
  STT_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  STT_API_KEY: z.string().min(1).optional().meta({ secret: true }),
  // Unset: the same as VLM_DEVICE (filled in by the composed schema).
  STT_DEVICE: z.enum(['cpu', 'cuda', 'auto']).optional(),
  STT_TIMEOUT_S: positiveInteger.max(3600).default(120),
  VOICE_MAX_SECONDS: positiveInteger.max(900).default(120),
  // `espeak` (espeak-ng, every language), a neural voice preset or folder, or `off`.
  TTS_VOICE: z.string().min(1).default('espeak'),
  // Words per minute; many screen-reader users listen much faster than the default 175.
  TTS_RATE: positiveInteger.min(80).max(450).default(175),
  // The most characters a voice reply speaks (about 35 s at 175 words a minute); the text has the rest.
  TTS_MAX_CHARACTERS: positiveInteger.min(100).max(5000).default(600),
  // At most 100 MiB: a WAV is decoded whole, about four bytes of samples for each byte of file.
  AUDIO_MAX_BYTES: positiveInteger.max(100 * 1024 * 1024).default(20 * 1024 * 1024),
  // The Hugging Face Hub's own variable names, as every Hugging Face tool reads them.
  HF_ENDPOINT: z.url({ protocol: /^https?$/ }).default('https://huggingface.co'),
  HF_TOKEN: z.string().min(1).optional().meta({ secret: true }),
  // Each photo is held whole while it downloads; six at once must fit the memory budget.
  IMAGE_MAX_BYTES: positiveInteger.max(50 * 1024 * 1024).default(20 * 1024 * 1024),
  // DEFAULT_MAX_INPUT_PIXELS in core/media: 64-megapixel phone photos open. At most 200 million
  // (a 200-megapixel camera's full size); above that the guard against decompression bombs is gone.
  IMAGE_MAX_PIXELS: positiveInteger.max(200_000_000).default(65_000_000),
  MAX_IMAGES_PER_TURN: positiveInteger.max(10).default(4),
  MEDIA_RETENTION_HOURS: positiveInteger.max(24 * 30).default(24),
  HISTORY_RETENTION_DAYS: positiveInteger.max(3650).default(30),
  HISTORY_TOKEN_BUDGET: positiveInteger.min(100).default(1500),
  // The waiting line for model turns, shared by every platform: at most this many wait; more are
  // told the assistant is busy.
  QUEUE_MAX_WAITING: positiveInteger.max(100_000).default(200),
  // The longest one turn may take from its start (transcription, reading, the model), in seconds.
  TURN_DEADLINE_S: positiveInteger.max(3600).default(300),
  // platform:userId lists, comma or space separated; empty means everyone may use the assistant.
  ALLOWED_USERS: z.string().optional(),
  ADMIN_USERS: z.string().optional(),
  // Model turns per person (admins exempt); unset means no limit.
  RATE_LIMIT_PER_MINUTE: positiveInteger.max(10_000).optional(),
  DAILY_TURN_QUOTA: positiveInteger.max(1_000_000).optional(),
  // The operations endpoint (/healthz, /metrics); off when unset.
  OPS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  OPS_HOST: z.string().min(1).default('127.0.0.1'),
  // How long a stop waits for the turns in progress before it ends them, in seconds.
  SHUTDOWN_GRACE_S: positiveInteger.max(600).default(20),
  // Unset: the system's time zone.
  TIME_ZONE: z.string().min(1).refine(isTimeZone, 'an IANA time zone such as Europe/London or Asia/Shanghai').optional(),
});

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
