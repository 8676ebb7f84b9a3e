import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { describe, test } from 'node:test';
import {
  SchedulerClosedError,
  SchedulerFullError,
  TurnScheduler,
  type SchedulerObserver,
  type Slot,
  type Ticket,
} from '../core/scheduling/turn-scheduler.js';

/** Guards against a hang; no test measures time against it. */
const HANG_GUARD = { timeout: 20_000 };

/**
 * A slow model double: each turn holds its slot until the test (or `finishAfter`) lets it go, and
 * the double records when turns start and how many of one person's run at once.
 */
class SlowModel {
  readonly started: string[] = [];
  private readonly held = new Map<string, Slot[]>();
  private readonly active = new Map<string, number>();
  maxActivePerKey = 0;
  maxActive = 0;
  private activeTotal = 0;

  constructor(private readonly scheduler: TurnScheduler) {}

  /** Enqueues a turn that, once started, runs until `finish` is called for its key. */
  ask(key: string, options: { signal?: AbortSignal } = {}): { ticket: Ticket; done: Promise<void> } {
    const ticket = this.scheduler.enqueue(key, options);
    const done = ticket.ready.then((slot) => {
      this.started.push(key);
      const active = (this.active.get(key) ?? 0) + 1;
      this.active.set(key, active);
      this.activeTotal += 1;
      this.maxActivePerKey = Math.max(this.maxActivePerKey, active);
      this.maxActive = Math.max(this.maxActive, this.activeTotal);
      const held = this.held.get(key) ?? [];
      held.push({
        release: () => {
          this.active.set(key, this.active.get(key)! - 1);
          this.activeTotal -= 1;
          slot.release();
        },
      });
      this.held.set(key, held);
    });
    // A turn refused by an abort or a close is the test's to check through `ticket.ready`.
    done.catch(() => {});
    return { ticket, done };
  }

  /** Ends the running turn of `key`. */
  finish(key: string): void {
    const slot = this.held.get(key)?.shift();
    assert.ok(slot, `no turn of ${key} is running`);
    slot.release();
  }

  /** Ends every running turn, one macrotask later each, until nothing runs or waits. */
  async finishAll(): Promise<void> {
    for (;;) {
      await nextMacrotask();
      const running = [...this.held.entries()].filter(([, slots]) => slots.length > 0);
      if (running.length === 0 && this.scheduler.stats().running === 0) return;
      for (const [key] of running) this.finish(key);
    }
  }
}

/** Lets promise callbacks (a started turn's bookkeeping) run. */
const settle = () => nextMacrotask();

describe('TurnScheduler', HANG_GUARD, () => {
  test('runs at most one turn per person and at most `concurrency` in all', async () => {
    const scheduler = new TurnScheduler({ concurrency: 3, maxWaiting: 100 });
    const model = new SlowModel(scheduler);
    for (let round = 0; round < 4; round += 1) for (const key of ['ana', 'ben', 'chen', 'dev', 'eli']) model.ask(key);
    await settle();
    assert.deepEqual(model.started, ['ana', 'ben', 'chen']);
    assert.deepEqual(scheduler.stats(), { running: 3, waiting: 17, waitingUsers: 5, trackedKeys: 5 });
    await model.finishAll();
    assert.equal(model.started.length, 20);
    assert.equal(model.maxActivePerKey, 1);
    assert.equal(model.maxActive, 3);
  });

  test("starts one person's turns in the order they were sent", async () => {
    const scheduler = new TurnScheduler({ concurrency: 2, maxWaiting: 100 });
    const order: string[] = [];
    const turns: Promise<void>[] = [];
    for (let index = 0; index < 6; index += 1) {
      for (const key of ['ana', 'ben', 'chen']) {
        const ticket = scheduler.enqueue(key);
        turns.push(
          ticket.ready.then(async (slot) => {
            order.push(`${key}${index}`);
            await nextMacrotask();
            slot.release();
          }),
        );
      }
    }
    await Promise.all(turns);
    for (const key of ['ana', 'ben', 'chen']) {
      const mine = order.filter((turn) => turn.startsWith(key));
      assert.deepEqual(mine, [0, 1, 2, 3, 4, 5].map((index) => `${key}${index}`));
    }
  });

  test('nobody starves: with one person sending 50 photos first, everyone else starts before their tenth', async () => {
    const scheduler = new TurnScheduler({ concurrency: 2, maxWaiting: 1000 });
    const order: string[] = [];
    const turn = (key: string) =>
      scheduler.enqueue(key).ready.then(async (slot) => {
        order.push(key);
        // The model double answers a macrotask later, so turns overlap and others keep arriving.
        await nextMacrotask();
        slot.release();
      });
    const turns: Promise<void>[] = [];
    for (let photo = 0; photo < 50; photo += 1) turns.push(turn('heavy'));
    const others = Array.from({ length: 30 }, (_, index) => `user${index}`);
    for (const key of others) turns.push(turn(key));
    await Promise.all(turns);
    const tenth = order.map((key, index) => (key === 'heavy' ? index : -1)).filter((index) => index >= 0)[9]!;
    for (const key of others) assert.ok(order.indexOf(key) < tenth, `${key} started at ${order.indexOf(key)}, after heavy's tenth at ${tenth}`);
    assert.equal(order.length, 80);
    assert.equal(scheduler.stats().trackedKeys, 0);
  });

  test('a person who sends more later still takes turns with the others, one per round', async () => {
    const scheduler = new TurnScheduler({ concurrency: 1, maxWaiting: 100 });
    const model = new SlowModel(scheduler);
    model.ask('first');
    for (let index = 0; index < 3; index += 1) model.ask('heavy');
    model.ask('ana');
    model.ask('ben');
    await settle();
    model.finish('first');
    for (const key of ['heavy', 'ana', 'ben', 'heavy', 'heavy']) {
      await settle();
      assert.equal(model.started.at(-1), key);
      model.finish(key);
    }
    await settle();
    assert.deepEqual(model.started, ['first', 'heavy', 'ana', 'ben', 'heavy', 'heavy']);
  });

  test('a full waiting list refuses with SchedulerFullError and queues nothing', async () => {
    const scheduler = new TurnScheduler({ concurrency: 1, maxWaiting: 3 });
    const model = new SlowModel(scheduler);
    for (const key of ['ana', 'ben', 'chen', 'dev']) model.ask(key);
    const before = scheduler.stats();
    assert.deepEqual(before, { running: 1, waiting: 3, waitingUsers: 3, trackedKeys: 4 });
    assert.throws(() => scheduler.enqueue('eli'), (error) => error instanceof SchedulerFullError && error.maxWaiting === 3);
    assert.throws(() => scheduler.enqueue('ben'), SchedulerFullError);
    assert.deepEqual(scheduler.stats(), before);
    await model.finishAll();
    assert.deepEqual(model.started, ['ana', 'ben', 'chen', 'dev']);
  });

  test('a turn that can start at once is never refused, even with a full waiting list', async () => {
    const scheduler = new TurnScheduler({ concurrency: 2, maxWaiting: 1 });
    const model = new SlowModel(scheduler);
    model.ask('ana');
    model.ask('ana'); // waits behind ana's own turn while the second slot is free
    assert.throws(() => scheduler.enqueue('ana'), SchedulerFullError);
    const { ticket } = model.ask('ben');
    assert.equal(ticket.position, 0);
    await settle();
    assert.deepEqual(model.started, ['ana', 'ben']);
    await model.finishAll();
  });

  test('maxWaiting 0 refuses whenever no slot is free', async () => {
    const scheduler = new TurnScheduler({ concurrency: 1, maxWaiting: 0 });
    const model = new SlowModel(scheduler);
    model.ask('ana');
    assert.throws(() => scheduler.enqueue('ben'), SchedulerFullError);
    await model.finishAll();
    assert.equal(model.ask('ben').ticket.position, 0);
    await model.finishAll();
  });

  test('an abort takes the ticket out of the line and everyone behind moves up', async () => {
    const scheduler = new TurnScheduler({ concurrency: 1, maxWaiting: 10, initialTurnMs: 1000 });
    const model = new SlowModel(scheduler);
    model.ask('ana');
    const ben = model.ask('ben');
    const controller = new AbortController();
    const chen = model.ask('chen', { signal: controller.signal });
    const dev = model.ask('dev');
    assert.deepEqual([ben.ticket.position, chen.ticket.position, dev.ticket.position], [1, 2, 3]);
    const reason = new Error('the person deleted the message');
    controller.abort(reason);
    await assert.rejects(chen.ticket.ready, (error) => error === reason);
    assert.deepEqual(scheduler.stats(), { running: 1, waiting: 2, waitingUsers: 2, trackedKeys: 3 });
    assert.equal(model.ask('eli').ticket.position, 3);
    await model.finishAll();
    assert.deepEqual(model.started, ['ana', 'ben', 'dev', 'eli']);
    assert.equal(scheduler.stats().trackedKeys, 0);
  });

  test("an abort of one of a person's turns keeps their others in order", async () => {
    const scheduler = new TurnScheduler({ concurrency: 1, maxWaiting: 10 });
    const model = new SlowModel(scheduler);
    const controllers = [0, 1, 2, 3].map(() => new AbortController());
    for (const controller of controllers) model.ask('ana', { signal: controller.signal });
    const order: number[] = [];
    // Turns 1 and 3 (the middle and the last) leave; 0 is running and 2 must still start.
    controllers[1]!.abort();
    controllers[3]!.abort();
    assert.equal(scheduler.stats().waiting, 1);
    await settle();
    model.finish('ana');
    await settle();
    order.push(model.started.length);
    model.finish('ana');
    await settle();
    assert.deepEqual(order, [2]);
    assert.deepEqual(scheduler.stats(), { running: 0, waiting: 0, waitingUsers: 0, trackedKeys: 0 });
  });

  test('an abort after the turn started changes nothing, and no listener stays on the signal', async () => {
    const scheduler = new TurnScheduler({ concurrency: 1, maxWaiting: 10 });
    const model = new SlowModel(scheduler);
    const controller = new AbortController();
    model.ask('ana');
    const ben = model.ask('ben', { signal: controller.signal });
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    await settle();
    model.finish('ana');
    await ben.done;
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    controller.abort();
    assert.deepEqual(scheduler.stats(), { running: 1, waiting: 0, waitingUsers: 0, trackedKeys: 1 });
    model.finish('ben');
    assert.equal(scheduler.stats().running, 0);
  });

  test('an already aborted signal gives a rejected ticket and queues nothing', async () => {
    const scheduler = new TurnScheduler({ concurrency: 1, maxWaiting: 10 });
    const reason = new Error('gone');
    const ticket = scheduler.enqueue('ana', { signal: AbortSignal.abort(reason) });
    await assert.rejects(ticket.ready, (error) => error === reason);
    assert.deepEqual(scheduler.stats(), { running: 0, waiting: 0, waitingUsers: 0, trackedKeys: 0 });
  });

  test('close rejects the waiting tickets, names each waiting person once, and lets running turns finish', async () => {
    const scheduler = new TurnScheduler({ concurrency: 2, maxWaiting: 10 });
    const model = new SlowModel(scheduler);
    const running = [model.ask('ana'), model.ask('ben')];
    const waiting = [model.ask('ana'), model.ask('chen'), model.ask('chen'), model.ask('dev')];
    await settle();
    assert.deepEqual(scheduler.close(), ['chen', 'dev', 'ana']);
    for (const turn of waiting) await assert.rejects(turn.ticket.ready, SchedulerClosedError);
    assert.throws(() => scheduler.enqueue('eli'), SchedulerClosedError);
    assert.deepEqual(scheduler.stats(), { running: 2, waiting: 0, waitingUsers: 0, trackedKeys: 2 });
    let idle = false;
    const whenIdle = scheduler.whenIdle().then(() => (idle = true));
    model.finish('ana');
    await settle();
    assert.equal(idle, false);
    model.finish('ben');
    await whenIdle;
    await Promise.all(running.map((turn) => turn.done));
    assert.deepEqual(model.started, ['ana', 'ben']);
    assert.deepEqual(scheduler.stats(), { running: 0, waiting: 0, waitingUsers: 0, trackedKeys: 0 });
    assert.deepEqual(scheduler.close(), []);
  });

  test('a ticket rejected while nobody awaits it yet is not an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const scheduler = new TurnScheduler({ concurrency: 1, maxWaiting: 10 });
      scheduler.enqueue('ana');
      const controller = new AbortController();
      const aborted = scheduler.enqueue('ben', { signal: controller.signal });
      const closed = scheduler.enqueue('chen');
      controller.abort();
      scheduler.close();
      // The caller is still busy (telling the person their place in line) for a few macrotasks.
      for (let tick = 0; tick < 3; tick += 1) await nextMacrotask();
      assert.deepEqual(unhandled, []);
      await assert.rejects(aborted.ready);
      await assert.rejects(closed.ready, SchedulerClosedError);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('releasing a slot twice frees it once', async () => {
    const scheduler = new TurnScheduler({ concurrency: 1, maxWaiting: 10 });
    const first = await scheduler.enqueue('ana').ready;
    const ben = scheduler.enqueue('ben');
    const chen = scheduler.enqueue('chen');
    first.release();
    const benSlot = await ben.ready;
    first.release();
    assert.deepEqual(scheduler.stats(), { running: 1, waiting: 1, waitingUsers: 1, trackedKeys: 2 });
    benSlot.release();
    (await chen.ready).release();
    assert.equal(scheduler.stats().running, 0);
  });

  test('positions: 0 with a free slot, then the place in the ring; estimates from the average turn', async () => {
    let clock = 0;
    const scheduler = new TurnScheduler({ concurrency: 2, maxWaiting: 100, now: () => clock });
    const positions = ['ana', 'ben', 'chen', 'dev', 'eli'].map((key) => scheduler.enqueue(key));
    assert.deepEqual(
      positions.map((ticket) => [ticket.position, ticket.estimatedWaitMs]),
      // Seeded at 10 s a turn; two slots, so the first two waiting start after one turn.
      [[0, 0], [0, 0], [1, 10_000], [2, 10_000], [3, 20_000]],
    );
    const ana = await positions[0]!.ready;
    const ben = await positions[1]!.ready;
    clock = 4000;
    ana.release(); // the first real turn replaces the seed: 4 s
    assert.equal(scheduler.enqueue('fay').estimatedWaitMs, 4000 * Math.ceil(3 / 2));
    clock = 9000;
    ben.release(); // 9 s: the average moves a fifth of the way, to 5 s
    assert.equal(scheduler.enqueue('gus').estimatedWaitMs, 5000 * Math.ceil(3 / 2));
    scheduler.close();
  });

  test("positions predict the order a burst of new people starts in", async () => {
    const scheduler = new TurnScheduler({ concurrency: 3, maxWaiting: 100 });
    const order: string[] = [];
    const byPosition = new Map<number, string>();
    const turns: Promise<void>[] = [];
    for (let index = 0; index < 20; index += 1) {
      const key = `user${index}`;
      const ticket = scheduler.enqueue(key);
      if (ticket.position > 0) byPosition.set(ticket.position, key);
      turns.push(
        ticket.ready.then(async (slot) => {
          order.push(key);
          await nextMacrotask();
          slot.release();
        }),
      );
    }
    await Promise.all(turns);
    const waited = order.slice(3);
    assert.deepEqual(waited, waited.map((_, index) => byPosition.get(index + 1)));
  });

  test("a person's later turn is placed behind everyone else's turns of the same round", () => {
    const scheduler = new TurnScheduler({ concurrency: 1, maxWaiting: 100 });
    scheduler.enqueue('ana');
    scheduler.enqueue('ben');
    scheduler.enqueue('chen');
    scheduler.enqueue('chen');
    // ana is running: her next turn comes after ben's and chen's first (and not after chen's second).
    assert.equal(scheduler.enqueue('ana').position, 3);
    // chen's third: behind ana's, ben's and chen's own first two rounds, and the others' third (none).
    assert.equal(scheduler.enqueue('chen').position, 5);
    scheduler.close();
  });

  test('the observer hears each wait and queue change, and a fault in it breaks nothing', async () => {
    const events: string[] = [];
    const observer: SchedulerObserver = {
      waited: (ms) => events.push(`waited ${ms}`),
      queueChanged: (waiting, running) => events.push(`queue ${waiting}/${running}`),
    };
    let clock = 0;
    const scheduler = new TurnScheduler({ concurrency: 1, maxWaiting: 10, observer, now: () => clock });
    const ana = scheduler.enqueue('ana');
    scheduler.enqueue('ben');
    clock = 250;
    (await ana.ready).release();
    assert.deepEqual(events, ['waited 0', 'queue 0/1', 'queue 1/1', 'waited 250', 'queue 0/1', 'queue 0/1']);
    const failing = new TurnScheduler({
      concurrency: 1,
      maxWaiting: 10,
      observer: {
        queueChanged: () => {
          throw new Error('metrics down');
        },
      },
    });
    const first = failing.enqueue('ana');
    const second = failing.enqueue('ben');
    (await first.ready).release();
    (await second.ready).release();
    assert.equal(failing.stats().running, 0);
  });

  test('forgets every person once nothing of theirs waits or runs', async () => {
    const scheduler = new TurnScheduler({ concurrency: 4, maxWaiting: 10_000 });
    const turns: Promise<void>[] = [];
    for (let index = 0; index < 2000; index += 1) {
      turns.push(scheduler.enqueue(`user${index % 700}`).ready.then((slot) => slot.release()));
    }
    assert.equal(scheduler.stats().trackedKeys, 700);
    await Promise.all(turns);
    assert.deepEqual(scheduler.stats(), { running: 0, waiting: 0, waitingUsers: 0, trackedKeys: 0 });
  });

  test('random arrivals, aborts and finishes keep every rule', async () => {
    // A fixed seed: a failure replays the same way.
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const concurrency = 3;
    const scheduler = new TurnScheduler({ concurrency, maxWaiting: 25 });
    const running = new Map<string, { slot: Slot; sequence: number }>();
    const lastStarted = new Map<string, number>();
    const waiting: Array<{ key: string; controller: AbortController }> = [];
    let sequence = 0;
    let refused = 0;
    for (let step = 0; step < 3000; step += 1) {
      const roll = random();
      if (roll < 0.5) {
        const key = `user${Math.floor(random() * 8)}`;
        const controller = new AbortController();
        const mine = (sequence += 1);
        try {
          const ticket = scheduler.enqueue(key, { signal: controller.signal });
          const entry = { key, controller };
          waiting.push(entry);
          ticket.ready.then(
            (slot) => {
              waiting.splice(waiting.indexOf(entry), 1);
              assert.ok(!running.has(key), `${key} has two turns running`);
              assert.ok((lastStarted.get(key) ?? 0) < mine, `${key} started out of order`);
              lastStarted.set(key, mine);
              running.set(key, { slot, sequence: mine });
            },
            () => waiting.splice(waiting.indexOf(entry), 1),
          );
        } catch (error) {
          assert.ok(error instanceof SchedulerFullError);
          refused += 1;
        }
      } else if (roll < 0.6 && waiting.length > 0) {
        waiting[Math.floor(random() * waiting.length)]!.controller.abort();
      } else if (running.size > 0) {
        const keys = [...running.keys()];
        const key = keys[Math.floor(random() * keys.length)]!;
        running.get(key)!.slot.release();
        running.delete(key);
      }
      await Promise.resolve();
      await Promise.resolve();
      const stats = scheduler.stats();
      assert.ok(stats.running <= concurrency);
      assert.ok(stats.waiting <= 25);
      assert.equal(stats.running, running.size);
      // Work-conserving: a free slot means nobody waiting could start.
      if (stats.running < concurrency) {
        for (const entry of waiting) assert.ok(running.has(entry.key), `${entry.key} waits beside a free slot`);
      }
    }
    assert.ok(refused > 0, 'the run should reach the waiting limit');
  });

  test('refuses impossible settings with a message naming them', () => {
    assert.throws(() => new TurnScheduler({ concurrency: 0, maxWaiting: 1 }), /concurrency/);
    assert.throws(() => new TurnScheduler({ concurrency: 1.5, maxWaiting: 1 }), /concurrency/);
    assert.throws(() => new TurnScheduler({ concurrency: 1, maxWaiting: -1 }), /maxWaiting/);
    assert.throws(() => new TurnScheduler({ concurrency: 1, maxWaiting: 1, initialTurnMs: Number.NaN }), /initialTurnMs/);
  });
});
