import type { Store } from '../storage/index.js';
import type { Logger } from './log.js';

const EVENT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export interface RetentionOptions {
  /** Questions and answers older than this are deleted. */
  readonly historyRetentionMs: number;
  readonly intervalMs?: number;
  readonly now?: () => number;
}

/**
 * Deletes what the product no longer needs: photos past their retention window (each row carries
 * its own expiry) and history past its retention. Runs once now, then periodically; the timer does
 * not keep the process alive.
 */
export function startRetentionSweeper(store: Store, logger: Logger, options: RetentionOptions): () => void {
  const now = options.now ?? Date.now;
  const sweep = (): void => {
    try {
      const media = store.sweepExpiredMedia();
      const turns = store.sweepHistoryOlderThan(now() - options.historyRetentionMs);
      // Platforms redeliver within minutes or hours; a week of delivery ids is plenty.
      store.sweepEventsOlderThan(now() - EVENT_RETENTION_MS);
      if (media > 0 || turns > 0) logger.info({ media, turns }, 'retention sweep deleted expired data');
    } catch (error) {
      logger.error({ err: error }, 'retention sweep failed');
    }
  };
  sweep();
  const timer = setInterval(sweep, options.intervalMs ?? 10 * 60 * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
