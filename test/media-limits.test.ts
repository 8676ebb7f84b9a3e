import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../bots/config/index.js';
import { DecodeGate, DEFAULT_IMAGE_LIMITS } from '../core/media/index.js';
import { downloadsInFlight, downloadWithRetry, MAX_CONCURRENT_DOWNLOADS } from '../core/util/index.js';

// What bounds the memory of a burst of media, observed through counters and promises the test
// settles itself, never through timing. The figures themselves are in bench/memory-bench.ts.

const NO_FILE = '/nonexistent/.env';

/** Lets every promise that can settle now settle, and the callbacks they schedule run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A piece of work the test finishes when it chooses, recording that it started. */
function controlledWork(started: string[], name: string): { work: () => Promise<string>; finish: () => void } {
  let finish = () => {};
  const done = new Promise<string>((resolve) => (finish = () => resolve(name)));
  return {
    work: () => {
      started.push(name);
      return done;
    },
    finish: () => finish(),
  };
}

test('the decode gate runs at most its concurrency at once, in arrival order', async () => {
  const gate = new DecodeGate(2, 100);
  const started: string[] = [];
  const works = ['a', 'b', 'c', 'd'].map((name) => controlledWork(started, name));
  const results = works.map((work) => gate.run(0, work.work));
  await settle();
  assert.deepEqual(started, ['a', 'b']);
  works[1]!.finish();
  await settle();
  assert.deepEqual(started, ['a', 'b', 'c']);
  for (const work of works) work.finish();
  assert.deepEqual(await Promise.all(results), ['a', 'b', 'c', 'd']);
  assert.deepEqual(gate.running, { now: 0, most: 2 });
});

test('the decode gate keeps reserved bytes within its budget, and nobody overtakes a waiting large decode', async () => {
  const gate = new DecodeGate(3, 100);
  const started: string[] = [];
  const large1 = controlledWork(started, 'large 1');
  const large2 = controlledWork(started, 'large 2');
  const small = controlledWork(started, 'small');
  const results = [gate.run(60, large1.work), gate.run(60, large2.work), gate.run(10, small.work)];
  await settle();
  // 40 bytes are free, enough for the small one, but it came after the second large one.
  assert.deepEqual(started, ['large 1']);
  assert.deepEqual(gate.reservedBytes, { now: 60, most: 60 });
  large1.finish();
  await settle();
  assert.deepEqual(started, ['large 1', 'large 2', 'small']);
  assert.equal(gate.reservedBytes.now, 70);
  large2.finish();
  small.finish();
  await Promise.all(results);
  assert.deepEqual(gate.reservedBytes, { now: 0, most: 70 });
  // More than the whole budget is capped at it rather than waiting forever.
  assert.equal(await gate.run(1000, async () => gate.reservedBytes.now), 100);
});

test('a failed decode gives its slot and its bytes back', async () => {
  const gate = new DecodeGate(1, 100);
  await assert.rejects(gate.run(100, async () => Promise.reject(new Error('damaged'))), /damaged/);
  assert.deepEqual([gate.running.now, gate.reservedBytes.now], [0, 0]);
  assert.equal(await gate.run(100, async () => 'next'), 'next');
});

test('at most four downloads run at once in the whole process; the others wait their turn', async () => {
  assert.equal(MAX_CONCURRENT_DOWNLOADS, 4);
  const requests: Array<() => void> = [];
  const source = () =>
    new Promise<Response>((resolve) => requests.push(() => resolve(new Response(new Uint8Array([1, 2, 3])))));
  const downloads = Array.from({ length: 10 }, () => downloadWithRetry(source, { limitBytes: 100 }));
  await settle();
  assert.equal(requests.length, 4);
  assert.equal(downloadsInFlight().now, 4);
  for (let answered = 0; answered < 10; answered += 1) {
    requests[answered]!();
    await downloads[answered];
    await settle();
  }
  assert.equal(requests.length, 10);
  assert.deepEqual(downloadsInFlight(), { now: 0, most: 4 });
  for (const bytes of await Promise.all(downloads)) assert.deepEqual([...bytes], [1, 2, 3]);
});

test('a download cancelled while it waits for its turn never starts', async () => {
  const requests: Array<() => void> = [];
  const blocking = () => new Promise<Response>((resolve) => requests.push(() => resolve(new Response('x'))));
  const first = Array.from({ length: MAX_CONCURRENT_DOWNLOADS }, () => downloadWithRetry(blocking, { limitBytes: 100 }));
  const controller = new AbortController();
  let started = false;
  const waiting = downloadWithRetry(
    async () => {
      started = true;
      return new Response('y');
    },
    { limitBytes: 100, signal: controller.signal },
  );
  await settle();
  controller.abort();
  for (const release of requests) release();
  await Promise.all(first);
  await assert.rejects(waiting, (error: unknown) => (error as { kind?: string }).kind === 'download-failed');
  assert.equal(started, false);
});

test('IMAGE_MAX_PIXELS and AUDIO_MAX_BYTES have upper bounds, so the bomb guards cannot be switched off', () => {
  for (const name of ['IMAGE_MAX_PIXELS', 'AUDIO_MAX_BYTES']) {
    assert.throws(() => loadConfig({ environment: { [name]: '1000000000000' }, envFile: NO_FILE }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, new RegExp(`${name} is "1000000000000"; expected a number of at most`));
      return true;
    });
  }
  const config = loadConfig({ environment: { IMAGE_MAX_PIXELS: '200000000', AUDIO_MAX_BYTES: '104857600' }, envFile: NO_FILE });
  assert.deepEqual([config.IMAGE_MAX_PIXELS, config.AUDIO_MAX_BYTES], [200_000_000, 104_857_600]);
  // The bots' default is the core's.
  assert.equal(loadConfig({ environment: {}, envFile: NO_FILE }).IMAGE_MAX_PIXELS, DEFAULT_IMAGE_LIMITS.maxInputPixels);
});
