import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies the write-ahead log back into the database file from a worker thread, so the turn whose
 * commit crosses SQLite's auto-checkpoint threshold does not pay for it. Measured with the bench's
 * instant model: about one turn in 120 crossed the threshold (1,000 pages) and spent 10-40 ms
 * copying the pages and syncing the file on the event loop, which was most of the p99.
 *
 * Commits are untouched: they reach the log exactly as before (WAL, synchronous=NORMAL), so what
 * is durable when a turn's answer is recorded does not change. Only the later copy into the main
 * file moves. The worker runs PASSIVE checkpoints, which never block the writer or readers; the
 * writer restarts the log at the start of its next transaction once everything has been copied,
 * so the log stays the size of what was written between two checkpoints. What stays on the main
 * thread is that restart: SQLite syncs the new log header in the first commit after it (see
 * `minPages`).
 *
 * The worker and the main connection share one flag, so that the main connection's own
 * TRUNCATE checkpoint (wiping deleted data, see `Store.wipeDeletedData`) never meets the worker
 * halfway through a checkpoint and gives up: it waits for the worker's checkpoint to end (a
 * bounded wait: one copy of at most the pages written since the last tick).
 */
export interface WalCheckpointer {
  /**
   * Runs `work` while the worker is kept from starting a checkpoint, after waiting for one in
   * progress to end (at most `waitMs`; then `work` runs anyway and may find the log busy).
   */
  exclusive<T>(work: () => T, waitMs?: number): T;
  /** Checkpoints the worker has completed (every page copied), for tests and the bench. */
  readonly completed: number;
  /** Closes the worker's connection, waiting for it (bounded), so the main connection is the last one. */
  stop(): void;
}

export interface WalCheckpointerOptions {
  /** How often the worker checkpoints. Nothing to copy costs a lock and a header read. */
  readonly intervalMs?: number;
  /**
   * The worker checkpoints once the log holds this many pages not yet copied. Each checkpoint
   * makes the next commit restart the log, and SQLite syncs the log's new header inside that
   * commit (a correctness rule, on the main thread), so fewer, larger checkpoints keep that sync
   * off most turns. Default 2,000 pages (8 MB with 4 KB pages).
   */
  readonly minPages?: number;
  /** Told when a checkpoint fails (the log keeps growing until the main connection's fallback). */
  readonly onError?: (error: Error) => void;
}

const IDLE = 0;
const WORKER_CHECKPOINTING = 1;
const MAIN_EXCLUSIVE = 2;
/** Slots of the shared Int32Array. */
const LOCK = 0;
const COMPLETED = 1;
const CLOSED = 2;

/**
 * Plain JavaScript evaluated in the worker, so it runs the same under tsx, node or a bundle; it
 * loads the same better-sqlite3 the main thread uses.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const state = new Int32Array(workerData.state);
const db = new Database(workerData.file, { fileMustExist: true });
const fs = require('node:fs');
const littleEndian = require('node:os').endianness() === 'LE';
let shm;
// Frames in the log not yet copied back: the wal-index header's mxFrame (offset 16) less the
// checkpoint info's nBackfill (offset 96), in native byte order (https://sqlite.org/walformat.html).
const framesBehind = () => {
  try {
    shm ??= fs.openSync(workerData.file + '-shm', 'r');
    const view = Buffer.alloc(100);
    if (fs.readSync(shm, view, 0, 100, 0) < 100) return 0;
    const read = (offset) => (littleEndian ? view.readUInt32LE(offset) : view.readUInt32BE(offset));
    return read(16) - read(96);
  } catch {
    // Unreadable: checkpoint anyway, which costs little when there is nothing to copy.
    return Infinity;
  }
};
const tick = () => {
  if (framesBehind() < workerData.minPages) return;
  if (Atomics.compareExchange(state, ${LOCK}, ${IDLE}, ${WORKER_CHECKPOINTING}) !== ${IDLE}) return;
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    if (row && row.busy === 0 && row.log >= 0 && row.checkpointed === row.log) Atomics.add(state, ${COMPLETED}, 1);
  } catch (error) {
    parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
  } finally {
    Atomics.store(state, ${LOCK}, ${IDLE});
    Atomics.notify(state, ${LOCK});
  }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  try {
    if (shm !== undefined) fs.closeSync(shm);
    db.close();
  } finally {
    Atomics.store(state, ${CLOSED}, 1);
    Atomics.notify(state, ${CLOSED});
    parentPort.close();
  }
});
`;

/** Starts the worker for the database file at `file` (already open in WAL mode on the main thread). */
export function startWalCheckpointer(file: string, options: WalCheckpointerOptions = {}): WalCheckpointer {
  const state = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      file,
      state: state.buffer,
      intervalMs: options.intervalMs ?? 250,
      minPages: options.minPages ?? 2000,
    },
  });
  // Never keeps the process alive: a process exiting without `stop` leaves a log the next open replays.
  worker.unref();
  worker.on('message', (message: { error?: string }) => {
    if (message.error !== undefined) options.onError?.(new Error(`background checkpoint failed: ${message.error}`));
  });
  worker.on('error', (error) => options.onError?.(error));
  let stopped = false;
  return {
    exclusive<T>(work: () => T, waitMs = 2000): T {
      const deadline = performance.now() + waitMs;
      let held = false;
      while (!stopped && !held) {
        const seen = Atomics.compareExchange(state, LOCK, IDLE, MAIN_EXCLUSIVE);
        if (seen === IDLE) held = true;
        else {
          const left = deadline - performance.now();
          if (left <= 0) break;
          Atomics.wait(state, LOCK, seen, left);
        }
      }
      try {
        return work();
      } finally {
        if (held) Atomics.store(state, LOCK, IDLE);
      }
    },
    get completed() {
      return Atomics.load(state, COMPLETED);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      worker.postMessage('stop');
      // The worker answers between two ticks; a checkpoint in progress is the longest it can take.
      Atomics.wait(state, CLOSED, 0, 5000);
      void worker.terminate();
    },
  };
}
