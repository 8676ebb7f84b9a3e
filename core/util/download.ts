import { MediaError } from '../media/index.js';
import { retryWithBackoff } from './retry.js';
import { Semaphore } from './semaphore.js';

/** A URL to GET, or a request of the caller's own (headers, another method) given each try's signal. */
export type DownloadSource = string | URL | ((signal: AbortSignal) => Promise<Response>);

export interface DownloadOptions {
  /** Larger files are refused with MediaError('too-large'). */
  readonly limitBytes: number;
  /** The size the platform reported, when it did: a file over the limit is refused before any request. */
  readonly sizeBytes?: number | undefined;
  /** Tries in all; 2 by default, since a second try mostly meets a fresh connection. */
  readonly attempts?: number;
  /** Per try, from the request to the last byte; 60 seconds by default. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal | undefined;
}

const DEFAULT_ATTEMPTS = 2;
const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Downloads in flight in the whole process, each holding up to its limit in memory (20 MB for a
 * photo): a burst of hundreds of photos queues here instead of opening hundreds of connections and
 * buffers at once. Four keep a 2-core machine's decoder busy from Telegram's servers; the others
 * wait in order. Each try takes its own turn, so a retry queues behind those already waiting.
 */
export const MAX_CONCURRENT_DOWNLOADS = 4;
const downloadSlots = new Semaphore(MAX_CONCURRENT_DOWNLOADS);
let downloadsNow = 0;
let mostDownloads = 0;

/** Downloads running now, and the most that ever ran at once (for tests). */
export function downloadsInFlight(): { readonly now: number; readonly most: number } {
  return { now: downloadsNow, most: mostDownloads };
}

/**
 * Fetches a file a platform hands out by URL. Every failure becomes a MediaError the core can
 * explain to the user: 'too-large' at once, 'download-failed' once the tries are spent.
 */
export async function downloadWithRetry(source: DownloadSource, options: DownloadOptions): Promise<Uint8Array> {
  const { limitBytes, sizeBytes } = options;
  if (sizeBytes !== undefined && sizeBytes > limitBytes) throw tooLargeError(limitBytes, sizeBytes);
  try {
    return await retryWithBackoff(() => downloadOnce(source, options), {
      attempts: options.attempts ?? DEFAULT_ATTEMPTS,
      // At once, as the adapters always did: the wait that matters is the timeout of the try that failed.
      backoffMs: () => 0,
      // A file over the limit stays over it.
      shouldRetry: (error) => !(error instanceof MediaError),
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof MediaError) throw error;
    throw new MediaError('download-failed', 'The file could not be downloaded.', undefined, { cause: error });
  }
}

/** The error for a file over the download limit; `actualBytes` when the size is known. */
export function tooLargeError(limitBytes: number, actualBytes?: number): MediaError {
  return new MediaError('too-large', 'The file is over the download limit.', {
    limitBytes,
    ...(actualBytes === undefined ? {} : { actualBytes }),
  });
}

async function downloadOnce(source: DownloadSource, options: DownloadOptions): Promise<Uint8Array> {
  const release = await downloadSlots.acquire();
  downloadsNow += 1;
  mostDownloads = Math.max(mostDownloads, downloadsNow);
  try {
    // The turn may have been cancelled while this download waited for its turn.
    options.signal?.throwIfAborted();
    return await fetchWithin(source, options);
  } finally {
    downloadsNow -= 1;
    release();
  }
}

/** One request, timed from when it starts rather than from when it queued. */
async function fetchWithin(source: DownloadSource, options: DownloadOptions): Promise<Uint8Array> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const response = typeof source === 'function' ? await source(signal) : await fetch(source, { signal });
  if (!response.ok) {
    discardBody(response);
    throw new Error(`the server answered ${response.status}`);
  }
  const declaredBytes = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declaredBytes > options.limitBytes) {
    discardBody(response);
    throw tooLargeError(options.limitBytes, declaredBytes);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  // A server that sent no length, or the wrong one, is caught here.
  if (bytes.byteLength > options.limitBytes) throw tooLargeError(options.limitBytes, bytes.byteLength);
  return bytes;
}

/** Frees the connection without waiting on it: a body shared with another reader may never settle its cancel. */
function discardBody(response: Response): void {
  response.body?.cancel().catch(() => {});
}
