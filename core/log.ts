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
      serializers: { err: serializeError, error: serializeError, cause: serializeError },
      hooks: {
        // A message string is the code's own words, but one may quote a URL: scrub it like an error's.
        logMethod(args, method) {
          method.apply(this, args.map((argument) => (typeof argument === 'string' ? scrubText(argument) : argument)) as Parameters<typeof method>);
        },
      },
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

/** Fields of an error that say what failed without saying what was sent: kept when they are plain values. */
const KEPT_FIELDS = ['code', 'status', 'statusCode', 'statusText', 'method', 'error_code', 'errno', 'syscall', 'kind', 'reason', 'url'] as const;
const MAX_CAUSE_DEPTH = 3;

/**
 * What a log line keeps of an error: its name, its message and stack with secrets scrubbed, and the
 * fields that say what failed (method, status, error code). Everything else an error carries is
 * left out: grammY's `payload` (the answer's text), discord.js's `requestBody` and `rawError`
 * (the message sent, Discord's per-field complaints), a request's headers, a context with the user's
 * update. Interaction and bot tokens, URL credentials and signed query parameters become `[token]`.
 */
export function serializeError(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value !== 'object' || value === null) return value;
  const error = value as Record<string, unknown> & { name?: unknown; message?: unknown; stack?: unknown };
  const type = typeof error.name === 'string' ? error.name : value.constructor?.name ?? 'Error';
  const message = messageOf(error);
  const serialized: Record<string, unknown> = { type: scrubText(type), message: scrubText(message) };
  for (const field of KEPT_FIELDS) {
    const kept = error[field];
    if (typeof kept === 'number' || typeof kept === 'boolean') serialized[field] = kept;
    else if (typeof kept === 'string') serialized[field] = field === 'url' ? scrubUrl(kept) : scrubText(kept);
  }
  const fields = discordErrorFields(error);
  if (fields.length > 0) serialized.fields = fields;
  if (typeof error.stack === 'string') serialized.stack = scrubText(stackFrames(error.stack, type, message));
  if (depth < MAX_CAUSE_DEPTH) {
    // grammY's HttpError keeps the failed fetch's error in `error`; standard errors use `cause`.
    const cause = error.cause ?? (error.error instanceof Error ? error.error : undefined);
    if (cause !== undefined) serialized.cause = serializeError(cause, depth + 1);
    if (Array.isArray(error.errors) && value instanceof AggregateError) {
      serialized.errors = error.errors.slice(0, 5).map((inner: unknown) => serializeError(inner, depth + 1));
    }
  }
  return serialized;
}

/** discord.js writes Discord's per-field complaints into the message: only its first line is Discord's summary. */
function messageOf(error: Record<string, unknown> & { message?: unknown }): string {
  const message = typeof error.message === 'string' ? error.message : '';
  if (isDiscordError(error)) return message.split('\n')[0] ?? '';
  return message;
}

function isDiscordError(error: Record<string, unknown>): boolean {
  return typeof error.rawError === 'object' && error.rawError !== null;
}

/** `content[BASE_TYPE_MAX_LENGTH]`: which field Discord refused and why, without its words. */
function discordErrorFields(error: Record<string, unknown>): string[] {
  if (!isDiscordError(error) || typeof error.message !== 'string') return [];
  return error.message
    .split('\n')
    .slice(1)
    .map((line) => /^([\w.[\]-]+\[[A-Z0-9_]+\]):/.exec(line)?.[1])
    .filter((field): field is string => field !== undefined)
    .slice(0, 10);
}

/** The stack's frames under a header of the kept message: the original header repeats the whole message. */
function stackFrames(stack: string, type: string, keptMessage: string): string {
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line));
  return [keptMessage ? `${type}: ${keptMessage}` : type, ...frames].join('\n');
}

const SCRUBS: readonly (readonly [RegExp, string])[] = [
  // Discord interaction and webhook tokens travel in the path: /interactions/:id/:token/callback, /webhooks/:app/:token/...
  [/(\/(?:interactions|webhooks)\/\d+\/)[^/?#\s"'`]+/g, '$1[token]'],
  // Telegram's bot token travels in the path: /bot123:ABC/sendMessage, /file/bot123:ABC/...
  [/\bbot\d+:[\w-]+/g, 'bot[token]'],
  // A user name and password inside a URL.
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/?#\s@"'`]+@/gi, '$1[credentials]@'],
  // Authorization header values quoted in a message.
  [/\b(Bearer|Bot|Basic)\s+[\w.~+/=-]{8,}/g, '$1 [token]'],
  // Query parameters that carry secrets or signatures (Discord's signed CDN links sign with `hm`).
  [/([?&](?:[\w-]*(?:token|key|secret|signature|password|sig)[\w-]*|hm)=)[^&#\s"'`]+/gi, '$1[token]'],
];

function scrubText(text: string): string {
  let scrubbed = text;
  for (const [pattern, replacement] of SCRUBS) scrubbed = scrubbed.replace(pattern, replacement);
  return scrubbed;
}

/** A URL in a log line names the route, never its query (Discord's CDN links are signed there). */
function scrubUrl(url: string): string {
  return scrubText(url.replace(/\?[^#]*/, ''));
}
