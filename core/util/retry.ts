import { delay } from './delay.js';

export interface RetryOptions {
  /** Tries in all, the first included; fewer than 1 counts as 1. */
  readonly attempts: number;
  /** The wait before try `attempt + 1` when the error names none. */
  readonly backoffMs: (attempt: number) => number;
  /** Whether another try may help; any other error is thrown at once. */
  readonly shouldRetry: (error: unknown) => boolean;
  /** The wait the server asked for (its Retry-After), which replaces the backoff when given. */
  readonly retryAfterMs?: (error: unknown) => number | undefined;
  /** Once aborted, no further try starts and the last error is thrown as it was. */
  readonly signal?: AbortSignal | undefined;
  /** Called before each wait, e.g. to log why and for how long. */
  readonly onRetry?: (retry: { readonly attempt: number; readonly waitMs: number; readonly error: unknown }) => void;
}

/**
 * Runs `operation` until it succeeds, throws an error not worth retrying, or runs out of tries;
 * the last error is thrown unchanged, so callers keep their own error types. Each kind of call
 * has exactly one owner of its retries: this helper for model backends, the installer and
 * downloads; grammY's auto-retry and discord.js's queue for the platforms' APIs.
 */
export async function retryWithBackoff<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const attempts = Math.max(1, options.attempts);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= attempts || options.signal?.aborted || !options.shouldRetry(error)) throw error;
      const waitMs = options.retryAfterMs?.(error) ?? options.backoffMs(attempt);
      options.onRetry?.({ attempt, waitMs, error });
      await delay(waitMs, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}

/** Doubling from half a second, at most 8 seconds: the backoff the backends and the installer use. */
export function exponentialBackoff(attempt: number): number {
  return Math.min(500 * 2 ** (attempt - 1), 8000);
}

/**
 * An HTTP Retry-After header in milliseconds: either seconds or a date. Undefined when absent or
 * unreadable, so the caller's backoff applies instead.
 */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  // Only an HTTP date has letters (a day and a month); Date.parse would also read "-1" as a year.
  if (!/[a-z]/i.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
