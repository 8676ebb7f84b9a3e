import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino censors wherever they appear. Message text, images and transcripts are never passed to
 * the logger at all; this is the second guard, for secrets that travel inside objects.
 */
const REDACTED_PATHS = [
  'token',
  'apiKey',
  'authorization',
  '*.token',
  '*.apiKey',
  '*.authorization',
  '*.headers.authorization',
  'VLM_API_KEY',
  'HF_TOKEN',
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'DISCORD_BOT_TOKEN',
  '*.VLM_API_KEY',
  '*.TELEGRAM_WEBHOOK_SECRET',
  '*.HF_TOKEN',
  '*.TELEGRAM_BOT_TOKEN',
  '*.DISCORD_BOT_TOKEN',
];

export interface LoggerOptions {
  readonly level: string;
  /** Defaults to standard error, so standard output stays free for the console's answers. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    options.destination ?? pino.destination(2),
  );
}

/** For tests and tools that want no log output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
