import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MediaError } from '../core/media/index.js';
import {
  classifyFile,
  delay,
  downloadWithRetry,
  KeyedQueue,
  parseRetryAfter,
  retryWithBackoff,
  Semaphore,
  type RetryOptions,
} from '../core/util/index.js';

/** A wait no test may sit through: reaching it means an abort or a Retry-After was ignored. */
const FOREVER_MS = 600_000;
/** Guards against a hang; no test measures time against it. */
const HANG_GUARD = { timeout: 20_000 };

class Retryable extends Error {
  constructor(readonly retryAfterMs?: number) {
    super('try again');
  }
}

const retryable: Pick<RetryOptions, 'shouldRetry' | 'retryAfterMs'> = {
  shouldRetry: (error) => error instanceof Retryable,
  retryAfterMs: (error) => (error instanceof Retryable ? error.retryAfterMs : undefined),
};

describe('retryWithBackoff', HANG_GUARD, () => {
  test('retries until the operation succeeds, waiting the backoff for each attempt', async () => {
    const waits: number[] = [];
    const result = await retryWithBackoff(
      async (attempt) => {
        if (attempt < 3) throw new Retryable();
        return `done on ${attempt}`;
      },
      { ...retryable, attempts: 5, backoffMs: (attempt) => attempt, onRetry: ({ waitMs }) => waits.push(waitMs) },
    );
    assert.equal(result, 'done on 3');
    assert.deepEqual(waits, [1, 2]);
  });

  test("a Retry-After replaces the backoff for that attempt only", async () => {
    const waits: number[] = [];
    const failures = [new Retryable(3), new Retryable()];
    const result = await retryWithBackoff(
      async () => {
        const failure = failures.shift();
        if (failure) throw failure;
        return 'ok';
      },
      // The backoff would never end: the first wait must come from the Retry-After.
      { ...retryable, attempts: 3, backoffMs: (attempt) => (attempt === 1 ? FOREVER_MS : 2), onRetry: ({ waitMs }) => waits.push(waitMs) },
    );
    assert.equal(result, 'ok');
    assert.deepEqual(waits, [3, 2]);
  });

  test('gives up after the last attempt and throws the last error unchanged', async () => {
    const thrown: Error[] = [];
    const rejection = retryWithBackoff(
      async () => {
        const error = new Retryable();
        thrown.push(error);
        throw error;
      },
      { ...retryable, attempts: 3, backoffMs: () => 0 },
    );
    await assert.rejects(rejection, (error) => error === thrown.at(-1));
    assert.equal(thrown.length, 3);
  });

  test('an error not worth retrying is thrown at once', async () => {
    let calls = 0;
    const refused = new Error('not found');
    await assert.rejects(
      retryWithBackoff(
        async () => {
          calls += 1;
          throw refused;
        },
        { ...retryable, attempts: 5, backoffMs: () => 0 },
      ),
      (error) => error === refused,
    );
    assert.equal(calls, 1);
  });

  test('an abort while waiting ends the wait and starts no further attempt', async () => {
    const controller = new AbortController();
    let calls = 0;
    await assert.rejects(
      retryWithBackoff(
        async () => {
          calls += 1;
          throw new Retryable();
        },
        { ...retryable, attempts: 5, backoffMs: () => FOREVER_MS, signal: controller.signal, onRetry: () => controller.abort() },
      ),
      Retryable,
    );
    assert.equal(calls, 1);
  });

  test('Retry-After headers in seconds or as a date; anything else is ignored', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('2', now), 2000);
    assert.equal(parseRetryAfter(' 0.5 ', now), 500);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
    for (const header of [null, undefined, '', 'soon', '-1']) assert.equal(parseRetryAfter(header, now), undefined, String(header));
  });
});

describe('delay', HANG_GUARD, () => {
  test('waits the time given', async () => {
    let finished = false;
    const waiting = delay(20).then(() => (finished = true));
    await Promise.resolve();
    assert.equal(finished, false);
    await waiting;
    assert.equal(finished, true);
  });

  test('returns at once for a signal that is already aborted, and early when it aborts', async () => {
    await delay(FOREVER_MS, AbortSignal.abort());
    const controller = new AbortController();
    const waiting = delay(FOREVER_MS, controller.signal);
    controller.abort();
    await waiting;
  });
});

describe('Semaphore', HANG_GUARD, () => {
  test('holders beyond the permits wait, and get their turn in the order they asked', async () => {
    const semaphore = new Semaphore(2);
    const order: string[] = [];
    const first = await semaphore.acquire();
    const second = await semaphore.acquire();
    const waiters = ['third', 'fourth', 'fifth'].map((name) => semaphore.acquire().then((release) => (order.push(name), release)));
    await Promise.resolve();
    assert.deepEqual(order, []);
    assert.equal(semaphore.waiting, 3);

    second();
    const third = await waiters[0]!;
    first();
    const fourth = await waiters[1]!;
    assert.deepEqual(order, ['third', 'fourth']);
    third();
    fourth();
    (await waiters[2]!)();
    assert.deepEqual(order, ['third', 'fourth', 'fifth']);
  });

  test('releasing twice frees only one permit', async () => {
    const semaphore = new Semaphore(1);
    const release = await semaphore.acquire();
    release();
    release();
    const held = await semaphore.acquire();
    let acquired = false;
    const next = semaphore.acquire().then((releaseNext) => ((acquired = true), releaseNext));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(acquired, false, 'a second release must not have let two holders in');
    held();
    (await next)();
  });

  test('needs at least one permit', () => {
    assert.throws(() => new Semaphore(0), RangeError);
  });
});

describe('KeyedQueue', HANG_GUARD, () => {
  test('one at a time per key, keys side by side, and idle keys are forgotten', async () => {
    const queue = new KeyedQueue();
    const alice = await queue.acquire('alice');
    const bob = await queue.acquire('bob');
    let aliceAgain = false;
    const next = queue.acquire('alice').then((release) => ((aliceAgain = true), release));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(aliceAgain, false);
    alice();
    (await next)();
    bob();
    assert.equal(queue.activeKeys, 0);
  });
});

describe('classifyFile', () => {
  test('by name: one list for every platform, formats the core cannot use included', () => {
    const cases: Array<[string, string]> = [
      ['IMG_0412.HEIC', 'image'],
      ['scan.tiff', 'image'],
      ['drawing.svg', 'image'],
      ['photo.jpeg', 'image'],
      ['note.OGG', 'audio'],
      ['recording.amr', 'audio'],
      ['memo.m4a', 'audio'],
      ['voice.webm', 'audio'],
      ['report.pdf', 'other'],
      ['archive.jpg.zip', 'other'],
      ['/home/me/v1.2/README', 'other'],
      ['', 'other'],
    ];
    for (const [name, kind] of cases) assert.equal(classifyFile({ name }), kind, name);
    assert.equal(classifyFile({}), 'other');
  });

  test('a declared image/, audio/ or video/ type decides; a generic one leaves it to the name', () => {
    assert.equal(classifyFile({ name: 'upload.bin', mediaType: 'image/png' }), 'image');
    assert.equal(classifyFile({ name: 'photo.jpg', mediaType: 'audio/ogg; codecs=opus' }), 'audio');
    assert.equal(classifyFile({ name: 'clip.webm', mediaType: 'video/webm' }), 'other');
    assert.equal(classifyFile({ name: 'photo.jpg', mediaType: 'application/octet-stream' }), 'image');
    assert.equal(classifyFile({ mediaType: 'Application/Ogg' }), 'audio');
    assert.equal(classifyFile({ mediaType: 'application/pdf' }), 'other');
  });
});

describe('downloadWithRetry', HANG_GUARD, () => {
  const bytes = new Uint8Array([1, 2, 3, 4]);
  /** A source that answers each try with the next of the given answers (the last repeats), or throws it. */
  function scripted(...answers: Array<() => Response | Error>): { source: () => Promise<Response>; calls: () => number } {
    let calls = 0;
    return {
      source: async () => {
        const answer = answers[Math.min(calls, answers.length - 1)]!();
        calls += 1;
        if (answer instanceof Error) throw answer;
        return answer;
      },
      calls: () => calls,
    };
  }

  test('a failed try is retried once, then the bytes arrive', async () => {
    const server = scripted(() => new TypeError('fetch failed'), () => new Response(bytes));
    assert.deepEqual(await downloadWithRetry(server.source, { limitBytes: 100 }), bytes);
    assert.equal(server.calls(), 2);
  });

  test('two failed tries end in download-failed', async () => {
    const server = scripted(() => new Response('gone', { status: 404 }));
    await assert.rejects(downloadWithRetry(server.source, { limitBytes: 100 }), (error) => error instanceof MediaError && error.kind === 'download-failed');
    assert.equal(server.calls(), 2);
  });

  test('too large: refused before any request when the size is known, and not retried when the server says so', async () => {
    const unused = scripted(() => new Response(bytes));
    await assert.rejects(
      downloadWithRetry(unused.source, { limitBytes: 3, sizeBytes: 4 }),
      (error) => error instanceof MediaError && error.kind === 'too-large' && error.details?.actualBytes === 4 && error.details.limitBytes === 3,
    );
    assert.equal(unused.calls(), 0);

    const declared = scripted(() => new Response(bytes, { headers: { 'content-length': '4' } }));
    await assert.rejects(downloadWithRetry(declared.source, { limitBytes: 3 }), (error) => error instanceof MediaError && error.kind === 'too-large');
    assert.equal(declared.calls(), 1);

    const undeclared = scripted(() => new Response(new Blob([bytes]).stream()));
    await assert.rejects(downloadWithRetry(undeclared.source, { limitBytes: 3 }), (error) => error instanceof MediaError && error.kind === 'too-large');
  });
});
