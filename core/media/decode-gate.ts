// The file itself, not util's index: util's download helper imports this folder's errors.
import { Semaphore } from '../util/semaphore.js';

/**
 * Who may decode an image now. Two limits, both waited for in arrival order:
 * - at most `concurrency` decodes at once, whatever the format (decoding is CPU work; more at once
 *   than there are cores only adds the memory of each);
 * - the bytes that decoders holding a whole image at once reserve (a progressive JPEG, an
 *   interlaced PNG, a GIF, HEIF) add up to at most `budgetBytes`.
 * A decode that needs more than the whole budget is refused before it gets here (preprocessImage).
 * Every decode holding budget also holds a slot and is running, so waiting never deadlocks.
 */
export class DecodeGate {
  private readonly slots: Semaphore;
  private readonly waiters: Array<{ readonly bytes: number; readonly resolve: () => void }> = [];
  private reserved = 0;
  private runningNow = 0;
  private mostRunning = 0;
  private mostReserved = 0;

  constructor(
    readonly concurrency: number,
    readonly budgetBytes: number,
  ) {
    this.slots = new Semaphore(concurrency);
  }

  /** Runs `work` once a slot and `bytes` of the budget (capped at the whole budget) are free. */
  async run<T>(bytes: number, work: () => Promise<T>): Promise<T> {
    // The slot first: only decodes about to run hold budget, so a queue of small images waiting
    // for a slot never keeps a large one from its memory.
    const releaseSlot = await this.slots.acquire();
    let releaseBytes: (() => void) | undefined;
    try {
      releaseBytes = await this.reserve(Math.min(Math.max(0, bytes), this.budgetBytes));
      this.runningNow += 1;
      this.mostRunning = Math.max(this.mostRunning, this.runningNow);
      try {
        return await work();
      } finally {
        this.runningNow -= 1;
      }
    } finally {
      releaseBytes?.();
      releaseSlot();
    }
  }

  /** Decodes running now, and the most that ever ran at once. */
  get running(): { readonly now: number; readonly most: number } {
    return { now: this.runningNow, most: this.mostRunning };
  }

  /** Budget bytes reserved now, and the most ever reserved at once. */
  get reservedBytes(): { readonly now: number; readonly most: number } {
    return { now: this.reserved, most: this.mostReserved };
  }

  /** Forgets the high-water marks, so a test can watch one burst. */
  resetHighWaterMarks(): void {
    this.mostRunning = this.runningNow;
    this.mostReserved = this.reserved;
  }

  private async reserve(bytes: number): Promise<() => void> {
    // Nobody overtakes a waiter: a large image is never starved by a stream of small ones.
    if (this.waiters.length > 0 || this.reserved + bytes > this.budgetBytes) {
      await new Promise<void>((resolve) => this.waiters.push({ bytes, resolve }));
    } else {
      this.take(bytes);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reserved -= bytes;
      this.admitWaiters();
    };
  }

  private take(bytes: number): void {
    this.reserved += bytes;
    this.mostReserved = Math.max(this.mostReserved, this.reserved);
  }

  private admitWaiters(): void {
    for (let next = this.waiters[0]; next && this.reserved + next.bytes <= this.budgetBytes; next = this.waiters[0]) {
      this.waiters.shift();
      this.take(next.bytes);
      next.resolve();
    }
  }
}
