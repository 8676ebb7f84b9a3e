/** Small helpers each written once for the whole project; the core, adapters and tools import them from here. */
export { delay } from './delay.js';
export type { DownloadOptions, DownloadSource } from './download.js';
export { downloadsInFlight, downloadWithRetry, MAX_CONCURRENT_DOWNLOADS, tooLargeError } from './download.js';
export type { FileKind, FileLabel } from './file-kind.js';
export { classifyFile } from './file-kind.js';
export { KeyedQueue } from './keyed-queue.js';
export type { RetryOptions } from './retry.js';
export { exponentialBackoff, parseRetryAfter, retryWithBackoff } from './retry.js';
export { Semaphore } from './semaphore.js';
