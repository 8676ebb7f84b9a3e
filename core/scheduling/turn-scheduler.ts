/**
 * Decides whose model turn runs next when more people ask than the model can answer at once.
 *
 * - At most `concurrency` slots run at once, shared by every platform in the process.
 * - At most one slot per key (a person): a newer message waits behind the older one, and a
 *   person's turns start in the order they were sent.
 * - Across keys, round-robin: the keys with a turn ready to start form a ring, and a key that
 *   has just run goes to the back of it. Someone who sends fifty photos gets one turn per round,
 *   like everybody else, so nobody starves behind them.
 * - The waiting list is bounded: past `maxWaiting` waiting turns, `enqueue` refuses and queues
 *   nothing, so a flood costs a polite refusal instead of memory and hour-long waits.
 *
 * Every operation is O(1) except the place-in-line estimate, O(log maxWaiting). Nothing runs
 * while idle (no timers), and a key is forgotten as soon as it has nothing waiting or running,
 * so memory follows the current load, not everyone ever seen.
 */

/** Thrown by `enqueue` when the waiting list is full; nothing was queued. */
export class SchedulerFullError extends Error {
  override readonly name = 'SchedulerFullError';
  constructor(readonly maxWaiting: number) {
    super(`The waiting list is full (${maxWaiting} turns waiting); nothing was queued.`);
  }
}

/** Thrown by `enqueue` after `close()`, and the reason a waiting ticket's `ready` rejects on close. */
export class SchedulerClosedError extends Error {
  override readonly name = 'SchedulerClosedError';
  constructor() {
    super('The scheduler is closed: the assistant is shutting down.');
  }
}

/** A running turn's hold on the model. */
export interface Slot {
  /** Lets the next turn start. Safe to call more than once; only the first call counts. */
  release(): void;
}

export interface Ticket {
  /**
   * Place in line when enqueued: 0 when a slot was free and the turn starts at once, 1 when it is
   * the next to start. Exact for a person's only waiting turn; for a later turn of someone who
   * already has turns waiting or running, an upper bound (it assumes everyone else with as many
   * turns waiting goes first). It counts only who is in line now: a newcomer's first turn may
   * still go ahead of someone's second, which is the round-robin's fairness.
   */
  readonly position: number;
  /** A guess at the wait, from recent turns' durations; 0 when the turn starts at once. */
  readonly estimatedWaitMs: number;
  /**
   * Resolves when the turn may start; the caller must then `release()` the slot when done.
   * Rejects with the signal's reason when aborted while waiting (the ticket leaves the line), or
   * with SchedulerClosedError on close. A rejection nobody has awaited yet never counts as
   * unhandled: a caller may be busy telling the person their place in line when it happens.
   */
  readonly ready: Promise<Slot>;
}

/** Structural, so the scheduler needs no import of metrics. */
export interface SchedulerObserver {
  /** A turn started after waiting this long (0 when it started at once). */
  waited?(ms: number): void;
  /** The number of waiting or running turns changed. */
  queueChanged?(waiting: number, running: number): void;
}

export interface TurnSchedulerOptions {
  /** Slots that may run at once: 1 for the embedded CPU model, more for a GPU host. */
  readonly concurrency: number;
  /** Turns that may wait at once, across everyone; 0 refuses whenever no slot is free. */
  readonly maxWaiting: number;
  readonly observer?: SchedulerObserver;
  /** The guess at a turn's duration until one has finished (default 10 s). */
  readonly initialTurnMs?: number;
  /** Milliseconds; a fake clock for tests. */
  readonly now?: () => number;
}

export interface SchedulerStats {
  readonly running: number;
  readonly waiting: number;
  /** Distinct keys with at least one turn waiting. */
  readonly waitingUsers: number;
  /** Keys the scheduler holds in memory: those with a turn waiting or running, no others. */
  readonly trackedKeys: number;
}

/** Weight of the newest turn in the average duration: about the last ten turns count. */
const SMOOTHING = 0.2;

interface Waiter {
  readonly key: KeyState;
  readonly enqueuedAt: number;
  readonly resolve: (slot: Slot) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  previous: Waiter | undefined;
  next: Waiter | undefined;
}

/** A key with something waiting or running; dropped when it has neither. */
interface KeyState {
  readonly name: string;
  /** The key's waiting turns, oldest first: a doubly linked list, so an abort unlinks in O(1). */
  head: Waiter | undefined;
  tail: Waiter | undefined;
  waiting: number;
  running: boolean;
  /** In the ring exactly when it has a turn waiting and none running. */
  inRing: boolean;
  ringPrevious: KeyState | undefined;
  ringNext: KeyState | undefined;
}

export class TurnScheduler {
  private readonly concurrency: number;
  private readonly maxWaiting: number;
  private readonly observer: SchedulerObserver | undefined;
  private readonly now: () => number;
  private readonly keys = new Map<string, KeyState>();
  private ringHead: KeyState | undefined;
  private ringTail: KeyState | undefined;
  private ringSize = 0;
  private running = 0;
  private waiting = 0;
  private waitingKeys = 0;
  private averageTurnMs: number;
  private measured = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  /**
   * A Fenwick tree over levels 1..maxWaiting: level m counts the keys with at least m turns
   * waiting. The turns that start within r rounds of the ring are the sum of levels 1..r, which
   * gives a place in line in O(log maxWaiting) without walking the queue.
   */
  private readonly levels: Int32Array;

  constructor(options: TurnSchedulerOptions) {
    const { concurrency, maxWaiting } = options;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`The scheduler's concurrency must be a whole number of at least 1, not ${concurrency}.`);
    }
    if (!Number.isInteger(maxWaiting) || maxWaiting < 0) {
      throw new RangeError(`The scheduler's maxWaiting must be a whole number of at least 0, not ${maxWaiting}.`);
    }
    const initialTurnMs = options.initialTurnMs ?? 10_000;
    if (!(initialTurnMs >= 0) || !Number.isFinite(initialTurnMs)) {
      throw new RangeError(`The scheduler's initialTurnMs must be a finite number of milliseconds, not ${initialTurnMs}.`);
    }
    this.concurrency = concurrency;
    this.maxWaiting = maxWaiting;
    this.observer = options.observer;
    this.now = options.now ?? (() => performance.now());
    this.averageTurnMs = initialTurnMs;
    this.levels = new Int32Array(maxWaiting + 1);
  }

  /**
   * Asks for a slot for `key`. Throws SchedulerFullError when the turn would have to wait and
   * `maxWaiting` turns already wait (a turn that can start at once is never refused), and
   * SchedulerClosedError after `close()`. An already aborted signal gives a ticket whose `ready`
   * rejects with its reason, and queues nothing.
   */
  /** Whether the key has a turn running or waiting: a newer one then waits behind its own. */
  isBusy(key: string): boolean {
    return this.keys.has(key);
  }

  enqueue(key: string, options: { readonly signal?: AbortSignal } = {}): Ticket {
    if (this.closed) throw new SchedulerClosedError();
    const { signal } = options;
    if (signal?.aborted) return settledTicket(Promise.reject(signal.reason));
    const known = this.keys.get(key);
    if (known === undefined && this.running < this.concurrency) {
      // A free slot and nothing of this key's ahead: the ring is empty (free slots are always
      // filled from it), so the turn starts now.
      const state = this.newKey(key);
      this.start(state);
      this.report(0);
      return settledTicket(Promise.resolve(this.slotFor(state, this.now())));
    }
    if (this.waiting >= this.maxWaiting) throw new SchedulerFullError(this.maxWaiting);
    const state = known ?? this.newKey(key);
    const position = this.placeFor(state);
    let resolve!: (slot: Slot) => void;
    let reject!: (reason: unknown) => void;
    const ready = new Promise<Slot>((resolveReady, rejectReady) => {
      resolve = resolveReady;
      reject = rejectReady;
    });
    const waiter: Waiter = { key: state, enqueuedAt: this.now(), resolve, reject, signal, onAbort: undefined, previous: state.tail, next: undefined };
    if (state.tail) state.tail.next = waiter;
    else state.head = waiter;
    state.tail = waiter;
    this.countWaiting(state, +1);
    if (!state.running && !state.inRing) this.ringPush(state);
    if (signal) {
      waiter.onAbort = () => this.abandon(waiter, signal.reason);
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
    this.report();
    return settledTicket(ready, position, this.averageTurnMs * Math.ceil(position / this.concurrency));
  }

  /**
   * Stops taking turns: every waiting ticket's `ready` rejects with SchedulerClosedError, and new
   * `enqueue` calls throw it. Running slots carry on until released (see `whenIdle`). Returns the
   * keys that had a turn waiting, each once, oldest first, so each person can be told once.
   */
  close(): string[] {
    if (this.closed) return [];
    this.closed = true;
    const told = new Set<string>();
    const error = new SchedulerClosedError();
    // Oldest first is ring order for the keys waiting to start, then the keys blocked by their
    // own running turn, in the order they were first seen.
    const order: KeyState[] = [];
    for (let state = this.ringHead; state; state = state.ringNext) order.push(state);
    for (const state of this.keys.values()) if (!state.inRing && state.waiting > 0) order.push(state);
    for (const state of order) {
      told.add(state.name);
      for (let waiter = state.head; waiter; waiter = waiter.next) {
        this.detachSignal(waiter);
        waiter.reject(error);
      }
      state.head = state.tail = undefined;
      state.waiting = 0;
      state.inRing = false;
      state.ringPrevious = state.ringNext = undefined;
      if (!state.running) this.keys.delete(state.name);
    }
    this.ringHead = this.ringTail = undefined;
    this.ringSize = 0;
    this.waiting = 0;
    this.waitingKeys = 0;
    this.levels.fill(0);
    this.report();
    return [...told];
  }

  /** Resolves once no slot is running: after `close()`, the moment the turns in progress are done. */
  whenIdle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stats(): SchedulerStats {
    return { running: this.running, waiting: this.waiting, waitingUsers: this.waitingKeys, trackedKeys: this.keys.size };
  }

  private newKey(name: string): KeyState {
    const state: KeyState = {
      name,
      head: undefined,
      tail: undefined,
      waiting: 0,
      running: false,
      inRing: false,
      ringPrevious: undefined,
      ringNext: undefined,
    };
    this.keys.set(name, state);
    return state;
  }

  /**
   * Place in line of a turn about to join `state`'s queue as its r-th waiting turn. Round-robin
   * starts one turn per key per round, so ahead of it are this key's own r - 1 turns, every other
   * key's turns in the first r - 1 rounds, and in round r the keys before this one. For a key
   * with nothing waiting or running those are exactly the keys in the ring (a key that is running
   * rejoins the ring behind this one); otherwise it counts every other key's r-th turn as ahead.
   */
  private placeFor(state: KeyState): number {
    if (!state.running && state.waiting === 0) return this.ringSize + 1;
    return this.levelSum(state.waiting + 1) + 1;
  }

  private slotFor(state: KeyState, startedAt: number): Slot {
    let released = false;
    return {
      release: () => {
        // A second call would free a slot some other turn now holds.
        if (released) return;
        released = true;
        this.finish(state, this.now() - startedAt);
      },
    };
  }

  private start(state: KeyState): void {
    state.running = true;
    this.running += 1;
  }

  private finish(state: KeyState, durationMs: number): void {
    state.running = false;
    this.running -= 1;
    // The seed is only a guess: the first real turn replaces it.
    this.averageTurnMs = this.measured ? this.averageTurnMs + SMOOTHING * (durationMs - this.averageTurnMs) : durationMs;
    this.measured = true;
    if (state.waiting > 0) this.ringPush(state);
    else this.keys.delete(state.name);
    this.pump();
    this.report();
    if (this.running === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Fills free slots from the front of the ring. */
  private pump(): void {
    while (this.running < this.concurrency && this.ringHead) {
      const state = this.ringHead;
      this.ringRemove(state);
      const waiter = state.head!;
      this.unlink(waiter);
      this.countWaiting(state, -1);
      this.detachSignal(waiter);
      this.start(state);
      const now = this.now();
      waiter.resolve(this.slotFor(state, now));
      this.report(now - waiter.enqueuedAt);
    }
  }

  /** An abort while waiting: the ticket leaves the line; everyone behind it moves up. */
  private abandon(waiter: Waiter, reason: unknown): void {
    const state = waiter.key;
    waiter.onAbort = undefined;
    this.unlink(waiter);
    this.countWaiting(state, -1);
    if (state.waiting === 0) {
      if (state.inRing) this.ringRemove(state);
      if (!state.running) this.keys.delete(state.name);
    }
    waiter.reject(reason);
    this.report();
  }

  private unlink(waiter: Waiter): void {
    const state = waiter.key;
    if (waiter.previous) waiter.previous.next = waiter.next;
    else state.head = waiter.next;
    if (waiter.next) waiter.next.previous = waiter.previous;
    else state.tail = waiter.previous;
    waiter.previous = waiter.next = undefined;
  }

  private detachSignal(waiter: Waiter): void {
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.onAbort = undefined;
  }

  /** Keeps the totals and the level counts in step with one key's waiting count. */
  private countWaiting(state: KeyState, change: 1 | -1): void {
    if (change === 1) {
      state.waiting += 1;
      this.levelAdd(state.waiting, 1);
      if (state.waiting === 1) this.waitingKeys += 1;
    } else {
      this.levelAdd(state.waiting, -1);
      state.waiting -= 1;
      if (state.waiting === 0) this.waitingKeys -= 1;
    }
    this.waiting += change;
  }

  private levelAdd(level: number, change: number): void {
    for (let index = level; index < this.levels.length; index += index & -index) this.levels[index]! += change;
  }

  /** Turns waiting within the first `level` rounds, across every key. */
  private levelSum(level: number): number {
    let sum = 0;
    for (let index = Math.min(level, this.levels.length - 1); index > 0; index -= index & -index) sum += this.levels[index]!;
    return sum;
  }

  private ringPush(state: KeyState): void {
    state.inRing = true;
    state.ringPrevious = this.ringTail;
    state.ringNext = undefined;
    if (this.ringTail) this.ringTail.ringNext = state;
    else this.ringHead = state;
    this.ringTail = state;
    this.ringSize += 1;
  }

  private ringRemove(state: KeyState): void {
    if (state.ringPrevious) state.ringPrevious.ringNext = state.ringNext;
    else this.ringHead = state.ringNext;
    if (state.ringNext) state.ringNext.ringPrevious = state.ringPrevious;
    else this.ringTail = state.ringPrevious;
    state.ringPrevious = state.ringNext = undefined;
    state.inRing = false;
    this.ringSize -= 1;
  }

  /** Tells the observer; a fault there must never break the line everyone is waiting in. */
  private report(waitedMs?: number): void {
    const observer = this.observer;
    if (!observer) return;
    try {
      if (waitedMs !== undefined) observer.waited?.(waitedMs);
      observer.queueChanged?.(this.waiting, this.running);
    } catch {
      // Metrics are best effort.
    }
  }
}

function settledTicket(ready: Promise<Slot>, position = 0, estimatedWaitMs = 0): Ticket {
  // Marks the rejection as handled without hiding it: whoever awaits `ready` still gets it.
  ready.catch(() => {});
  return { position, estimatedWaitMs, ready };
}
