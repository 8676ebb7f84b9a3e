import type { Store } from '../storage/index.js';
import type { Logger } from './log.js';
import { delay, exponentialBackoff } from './util/index.js';

const EVENT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** A message still unanswered after a day is stale (Telegram itself keeps updates for 24 hours). */
const INBOX_RETENTION_MS = 24 * 60 * 60 * 1000;

export interface RetentionOptions {
  /** Questions and answers older than this are deleted. */
  readonly historyRetentionMs: number;
  readonly intervalMs?: number;
  readonly now?: () => number;
  /**
   * How often, and after what waits, to try again to wipe deleted data from the database files
   * while another connection holds an older snapshot. After the last try, the next sweep tries again.
   */
  readonly wipeRetry?: { readonly attempts: number; readonly backoffMs: (attempt: number) => number };
}

/**
 * Deletes what the product no longer needs: photos past their retention window (each row carries
 * its own expiry) and history past its retention. Runs once now, then periodically; the timer does
 * not keep the process alive.
 *
 * It is also the one place that retries wiping deleted data from the files (the store tries once,
 * without waiting, after every deletion, `/forget` included): a reader holding an older snapshot
 * keeps the copies in the write-ahead log until it lets go, so this tries again with short
 * abortable waits, and logs what happened.
 */
export function startRetentionSweeper(store: Store, logger: Logger, options: RetentionOptions): () => void {
  const now = options.now ?? Date.now;
  const retry = options.wipeRetry ?? { attempts: 10, backoffMs: exponentialBackoff };
  const stopped = new AbortController();
  let wiping = false;

  const wipeUntilDone = async (): Promise<void> => {
    if (wiping || stopped.signal.aborted) return;
    wiping = true;
    logger.warn('deleted data is still in the write-ahead log: another connection holds an older snapshot; retrying');
    try {
      for (let attempt = 1; attempt <= retry.attempts; attempt += 1) {
        await delay(retry.backoffMs(attempt), stopped.signal);
        if (stopped.signal.aborted) return;
        try {
          if (store.wipeDeletedData()) {
            logger.info({ attempts: attempt }, 'deleted data wiped from the database files');
            return;
          }
        } catch (error) {
          logger.error({ err: error }, 'wiping deleted data from the database files failed');
          return;
        }
      }
      logger.warn(
        { attempts: retry.attempts },
        'deleted data is still in the write-ahead log: a reader keeps an older snapshot; trying again at the next sweep',
      );
    } finally {
      wiping = false;
    }
  };
  const unsubscribe = store.onWipePending(() => void wipeUntilDone());

  const sweep = (): void => {
    try {
      const media = store.sweepExpiredMedia();
      const turns = store.sweepHistoryOlderThan(now() - options.historyRetentionMs);
      // Platforms redeliver within minutes or hours; a week of delivery ids is plenty.
      store.sweepEventsOlderThan(now() - EVENT_RETENTION_MS);
      const stale = store.sweepInboxOlderThan(now() - INBOX_RETENTION_MS);
      if (media > 0 || turns > 0 || stale > 0) logger.info({ media, turns, staleMessages: stale }, 'retention sweep deleted expired data');
      // A wipe that gave up earlier (a long-lived reader) gets another chance.
      if (store.wipePending) void wipeUntilDone();
    } catch (error) {
      logger.error({ err: error }, 'retention sweep failed');
    }
  };
  sweep();
  const timer = setInterval(sweep, options.intervalMs ?? 10 * 60 * 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    stopped.abort();
    unsubscribe();
  };
}
