/**
 * Runs work one at a time per key (a user), concurrently across keys, so two quick messages
 * from one person never race on their memory. A promise chain per key, dropped when idle.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Resolves when it is this caller's turn; call the returned function to let the next one go. */
  async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    return () => {
      release();
      // Forget the key once nobody queued behind us, so the map does not grow with every user ever seen.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }

  get activeKeys(): number {
    return this.tails.size;
  }
}
