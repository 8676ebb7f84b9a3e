/**
 * A least-recently-used map bounded by the bytes of what it holds (and optionally by a count), for
 * tensors kept between turns. An entry larger than the whole budget is never kept: holding it would
 * evict everything else for one value.
 */
export class ByteLru<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private used = 0;

  constructor(
    readonly maxBytes: number,
    readonly maxEntries = Number.POSITIVE_INFINITY,
  ) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Map iteration order is insertion order: re-inserting makes this the most recent.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Returns whether the value was kept. */
  set(key: string, value: V, bytes: number): boolean {
    this.delete(key);
    if (bytes > this.maxBytes || this.maxEntries < 1) return false;
    while (this.entries.size > 0 && (this.used + bytes > this.maxBytes || this.entries.size >= this.maxEntries)) {
      this.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, { value, bytes });
    this.used += bytes;
    return true;
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.used -= entry.bytes;
    return true;
  }

  /** Deletes every entry whose key matches; returns how many went. */
  deleteWhere(matches: (key: string) => boolean): number {
    let deleted = 0;
    for (const key of [...this.entries.keys()]) if (matches(key) && this.delete(key)) deleted += 1;
    return deleted;
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }
}
