/**
 * The fair turn scheduler under load, against a model double that only sleeps:
 *
 * - 500 people each send one photo at the same moment; the model takes 1 s a turn and 8 turns run
 *   at once (about 63 s): the wait in line (median, p99), Jain's fairness index of the waits, and
 *   peak memory (RSS and heap, sampled as each turn starts).
 * - The same crowd, but one person sent 50 photos just before them (the model scaled to 100 ms a
 *   turn; only the order matters): how long everyone else waits, and where that person's turns land.
 * - The scheduler's own cost: many turns through an instant model, timing only `enqueue` and
 *   `release` (the target is under 0.2 ms a turn), and the whole cycle with the promise hand-off.
 *
 *   npx tsx bench/scheduler-bench.ts [LATENCY_MS]   prints the tables on their own; a smaller
 *                                                   latency scales the first case down
 */
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { TurnScheduler, type Ticket } from '../core/scheduling/turn-scheduler.js';

export interface SchedulerSection {
  readonly table: string[][];
  readonly notes: readonly string[];
}

const MIB = 1024 * 1024;

interface Crowd {
  readonly users: number;
  /** Photos the first person sends before everyone else sends one. */
  readonly heavyPhotos: number;
  readonly latencyMs: number;
  readonly concurrency: number;
}

interface CrowdResult {
  /** Each ordinary person's wait in line, ms. */
  readonly waits: number[];
  /** The heavy person's waits, in the order their turns started. */
  readonly heavyWaits: number[];
  /** Where each of the heavy person's turns started among all turns (0-based). */
  readonly heavyStarts: number[];
  /** The last ordinary person to start, among all turns (0-based). */
  readonly lastOtherStart: number;
  readonly seconds: number;
  readonly peakRssMiB: number;
  readonly peakHeapMiB: number;
  readonly baselineRssMiB: number;
  readonly baselineHeapMiB: number;
  /** The place-in-line guess the last person was given, against what they really waited. */
  readonly lastEstimateMs: number;
  readonly lastWaitMs: number;
}

async function crowd({ users, heavyPhotos, latencyMs, concurrency }: Crowd): Promise<CrowdResult> {
  const scheduler = new TurnScheduler({ concurrency, maxWaiting: users + heavyPhotos, initialTurnMs: latencyMs });
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  const waits: number[] = [];
  const heavyWaits: number[] = [];
  const heavyStarts: number[] = [];
  let lastOtherStart = -1;
  let started = 0;
  const begun = performance.now();
  const turn = async (key: string, ticket: Ticket, enqueuedAt: number): Promise<void> => {
    const slot = await ticket.ready;
    const waited = performance.now() - enqueuedAt;
    const memory = process.memoryUsage();
    peakRss = Math.max(peakRss, memory.rss);
    peakHeap = Math.max(peakHeap, memory.heapUsed);
    if (key === 'heavy') {
      heavyWaits.push(waited);
      heavyStarts.push(started);
    } else {
      waits.push(waited);
      lastOtherStart = started;
    }
    started += 1;
    // The model double: a photo answered after `latencyMs`, nothing else.
    await sleep(latencyMs);
    slot.release();
  };
  const turns: Promise<void>[] = [];
  const ask = (key: string): Ticket => {
    const enqueuedAt = performance.now();
    const ticket = scheduler.enqueue(key);
    turns.push(turn(key, ticket, enqueuedAt));
    return ticket;
  };
  for (let photo = 0; photo < heavyPhotos; photo += 1) ask('heavy');
  let last: Ticket | undefined;
  for (let user = 0; user < users; user += 1) last = ask(`user${user}`);
  await Promise.all(turns);
  return {
    waits,
    heavyWaits,
    heavyStarts,
    lastOtherStart,
    seconds: (performance.now() - begun) / 1000,
    peakRssMiB: peakRss / MIB,
    peakHeapMiB: peakHeap / MIB,
    baselineRssMiB: baseline.rss / MIB,
    baselineHeapMiB: baseline.heapUsed / MIB,
    lastEstimateMs: last?.estimatedWaitMs ?? 0,
    lastWaitMs: waits.at(-1) ?? 0,
  };
}

interface Overhead {
  readonly turns: number;
  readonly keys: number;
  /** Time inside enqueue + release, per turn, ms. */
  readonly perTurnMs: number[];
  /** Wall time of the whole run (enqueue, promise hand-off, release) divided by the turns, ms. */
  readonly cycleMs: number;
}

/**
 * An instant model: each slot is released as soon as its turn starts. Turns arrive in bursts
 * of `burst` across `keys` people, so the line holds a few hundred turns and the ring is busy,
 * as under load; only the calls into the scheduler are timed.
 */
async function overhead(turns: number, keys: number, burst: number): Promise<Overhead> {
  const scheduler = new TurnScheduler({ concurrency: 8, maxWaiting: burst });
  const perTurnMs = new Float64Array(turns);
  const begun = performance.now();
  for (let first = 0; first < turns; first += burst) {
    const pending: Promise<void>[] = [];
    for (let index = first; index < Math.min(turns, first + burst); index += 1) {
      const before = performance.now();
      const ticket = scheduler.enqueue(`user${index % keys}`);
      perTurnMs[index] = performance.now() - before;
      pending.push(
        ticket.ready.then((slot) => {
          const releasing = performance.now();
          slot.release();
          perTurnMs[index]! += performance.now() - releasing;
        }),
      );
    }
    await Promise.all(pending);
  }
  return { turns, keys, perTurnMs: [...perTurnMs], cycleMs: (performance.now() - begun) / turns };
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

/** (Σx)² / (n·Σx²): 1 when everyone waits alike, 1/n when one person does all the waiting. */
export function jainIndex(values: readonly number[]): number {
  const sum = values.reduce((total, value) => total + value, 0);
  const squares = values.reduce((total, value) => total + value * value, 0);
  return squares === 0 ? 1 : (sum * sum) / (values.length * squares);
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);

/** Runs the three measurements; `latencyMs` is the first case's model latency (1 s as configured). */
export async function measureScheduler(latencyMs = 1000): Promise<SchedulerSection[]> {
  // Warm-up: the JIT compiles the hot paths before anything is timed.
  await overhead(20_000, 1000, 500);
  const load = () => loadavg().map((value) => value.toFixed(1)).join(', ');
  const loadBefore = load();

  const burst = await crowd({ users: 500, heavyPhotos: 0, latencyMs, concurrency: 8 });
  const heavy = await crowd({ users: 499, heavyPhotos: 50, latencyMs: Math.min(latencyMs, 100), concurrency: 8 });
  const cost = await overhead(200_000, 1000, 500);
  const loadAfter = load();

  const sortedBurst = [...burst.waits].sort((a, b) => a - b);
  const sortedOthers = [...heavy.waits].sort((a, b) => a - b);
  // Each person's mean wait: the heavy person counts once, like everyone else.
  const heavyMean = heavy.heavyWaits.reduce((total, value) => total + value, 0) / heavy.heavyWaits.length;
  const crowdTable = [
    ['scheduler, model double, 8 turns at once', 'turns', 'wait median s', 'wait p99 s', 'wait max s', "Jain's index", 'run s', 'peak RSS MiB', 'peak heap MiB'],
    [
      `500 people, one photo each at once, ${latencyMs} ms a turn`,
      String(burst.waits.length),
      seconds(percentile(sortedBurst, 0.5)),
      seconds(percentile(sortedBurst, 0.99)),
      seconds(sortedBurst.at(-1)!),
      jainIndex(burst.waits).toFixed(3),
      burst.seconds.toFixed(1),
      `${burst.peakRssMiB.toFixed(0)} (+${(burst.peakRssMiB - burst.baselineRssMiB).toFixed(1)})`,
      `${burst.peakHeapMiB.toFixed(0)} (+${(burst.peakHeapMiB - burst.baselineHeapMiB).toFixed(1)})`,
    ],
    [
      `499 people's photos after one person's 50, ${Math.min(latencyMs, 100)} ms a turn (waits of the 499)`,
      String(heavy.waits.length + heavy.heavyWaits.length),
      seconds(percentile(sortedOthers, 0.5)),
      seconds(percentile(sortedOthers, 0.99)),
      seconds(sortedOthers.at(-1)!),
      jainIndex([...heavy.waits, heavyMean]).toFixed(3),
      heavy.seconds.toFixed(1),
      `${heavy.peakRssMiB.toFixed(0)} (+${(heavy.peakRssMiB - heavy.baselineRssMiB).toFixed(1)})`,
      `${heavy.peakHeapMiB.toFixed(0)} (+${(heavy.peakHeapMiB - heavy.baselineHeapMiB).toFixed(1)})`,
    ],
  ];
  const tenth = heavy.heavyStarts[9]!;
  const crowdNotes = [
    `Load average: ${loadBefore} before, ${loadAfter} after.`,
    "Jain's index is of each person's wait (the person with 50 photos counts once, with their mean wait). With one " +
      'photo each, someone has to be last: waits spread evenly from 0 to the whole run score 0.75 under any order.',
    `With 50 photos first: their turns started at places ${heavy.heavyStarts.slice(0, 3).map((start) => start + 1).join(', ')}, … ` +
      `(10th at place ${tenth + 1}); the last of the 499 others started at place ${heavy.lastOtherStart + 1}, ` +
      `${heavy.lastOtherStart < tenth ? 'before' : 'AFTER'} that person's 10th.`,
    `Place-in-line guess for the 500th person (the average turn seeded at the model's ${latencyMs} ms): ` +
      `${seconds(burst.lastEstimateMs)} s; they waited ${seconds(burst.lastWaitMs)} s.`,
  ];

  const sortedCost = [...cost.perTurnMs].sort((a, b) => a - b);
  const mean = cost.perTurnMs.reduce((total, value) => total + value, 0) / cost.turns;
  const costTable = [
    ['scheduler overhead, instant model', 'turns', 'mean ms', 'median ms', 'p99 ms', 'max ms'],
    [
      `enqueue + release, ${cost.keys} people, bursts of 500, 8 at once`,
      String(cost.turns),
      mean.toFixed(4),
      percentile(sortedCost, 0.5).toFixed(4),
      percentile(sortedCost, 0.99).toFixed(4),
      sortedCost.at(-1)!.toFixed(3),
    ],
    ['  whole cycle with the promise hand-off (wall time / turns)', String(cost.turns), cost.cycleMs.toFixed(4), '', '', ''],
  ];
  const costNotes = [`Target: under 0.2 ms a turn. The max includes garbage collection pauses that land inside a call.`];
  return [
    { table: crowdTable, notes: crowdNotes },
    { table: costTable, notes: costNotes },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const latencyMs = process.argv[2] === undefined ? 1000 : Number(process.argv[2]);
  for (const section of await measureScheduler(latencyMs)) {
    console.log('');
    const [header = [], ...body] = section.table;
    const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column]!.length)));
    const line = (cells: readonly string[]) =>
      cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
    console.log(line(header));
    console.log(widths.map((width) => '-'.repeat(width)).join('  '));
    for (const cells of body) console.log(line(cells));
    for (const note of section.notes) console.log(note);
  }
}
