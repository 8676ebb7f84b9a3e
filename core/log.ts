import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino censors wherever they appear. Message text, images and transcripts are never passed to
 * the logger at all; this is the second guard, for secrets that travel inside objects.
 */
const REDACTED_PATHS = ['token', 'apiKey', 'authorization', '*.token', '*.apiKey', '*.authorization', '*.headers.authorization'];

export interface LoggerOptions {
  readonly level: string;
  /**
   * Names of the settings marked secret where they are declared (bots/ reads the marks), censored
   * at the top level and one level down (a settings object logged under a key).
   */
  readonly secretNames?: readonly string[];
  /** Defaults to standard error, so standard output stays free for the console's answers. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: { paths: [...REDACTED_PATHS, ...secretPaths(options.secretNames ?? [])], censor: '[redacted]' },
    },
    options.destination ?? pino.destination(2),
  );
}

function secretPaths(names: readonly string[]): string[] {
  return names.flatMap((name) => [name, `*.${name}`]);
}

/** For tests and tools that want no log output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
