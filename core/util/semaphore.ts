/**
 * At most `permits` holders at once; the others wait in the order they asked. A released permit
 * goes straight to the longest waiter, so a newcomer never overtakes someone already queued.
 */
export class Semaphore {
  private available: number;
  private readonly waiters: Array<() => void> = [];

  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError(`A semaphore needs at least one permit, not ${permits}.`);
    this.available = permits;
  }

  /** Resolves when it is this caller's turn; call the returned function, once, to let the next one go. */
  async acquire(): Promise<() => void> {
    if (this.available > 0) this.available -= 1;
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    let released = false;
    return () => {
      // A second call would hand out a permit nobody gave back.
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.available += 1;
    };
  }

  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.waiters.length;
  }
}
