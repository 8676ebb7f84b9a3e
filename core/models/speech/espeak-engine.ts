/**
 * espeak-ng compiled to WebAssembly (`@echogarden/espeak-ng-emscripten`): the voice itself, and
 * the phonemes neural voices (Piper) are trained on. It is GPL-3.0, so it is an optional
 * dependency, imported only when a voice is wanted; without it `loadEspeak` throws `unavailable`
 * and the caller turns voice replies off.
 *
 * It runs in a worker thread (see espeak-worker.ts for why), one request at a time.
 */
import { Worker } from 'node:worker_threads';
import { ModelError } from '../model-error.js';
import { ESPEAK_WORKER_SOURCE, type EspeakReady, type EspeakReply, type EspeakRequest, type EspeakWorkerData, type EspeakWorkerFailure } from './espeak-worker.js';

export const ESPEAK_PACKAGE = '@echogarden/espeak-ng-emscripten';

/** The voice people expect for a language where espeak-ng has several (its `zh` is not a voice name). */
const PREFERRED_VOICES: Readonly<Record<string, string>> = { en: 'en-us', zh: 'cmn' };

export interface EspeakEngine {
  readonly sampleRate: number;
  /** The espeak-ng voice for an ISO 639-1 code, or undefined when no voice speaks it. */
  voiceFor(language: string): string | undefined;
  /** 16-bit mono samples at `sampleRate`. */
  speak(text: string, voice: string, wordsPerMinute: number, signal?: AbortSignal): Promise<Int16Array>;
  /** IPA phonemes of each clause, as Piper voices take them (no separators). */
  phonemes(text: string, voice: string, signal?: AbortSignal): Promise<string[]>;
}

/**
 * Where the package's entry module is, as a URL the worker imports. Tests replace it to show what
 * happens when the package is missing (throw) or cannot be loaded (a URL of nothing).
 */
export type EspeakImporter = () => Promise<string | URL>;

// import.meta.resolve rather than require.resolve: it goes through the ESM resolver and its hooks,
// which is what decides whether `import()` of the package would work.
const locatePackage: EspeakImporter = async () => import.meta.resolve(ESPEAK_PACKAGE);

export async function loadEspeak(importer: EspeakImporter = locatePackage): Promise<EspeakEngine> {
  let url: string;
  try {
    url = String(await importer());
  } catch (error) {
    throw notInstalled(error);
  }
  const thread = new EspeakThread(url);
  const ready = await thread.ready;
  return new WorkerEspeak(url, thread, ready);
}

function notInstalled(cause: unknown): ModelError {
  return new ModelError('unavailable', `espeak-ng is not installed (npm package ${ESPEAK_PACKAGE}).`, { cause });
}

function aborted(): ModelError {
  return new ModelError('aborted', 'The speech was stopped.');
}

function fromWorker(failure: EspeakWorkerFailure): ModelError {
  if (failure.kind === 'unavailable') return notInstalled(new Error(failure.message));
  return new ModelError('failed', failure.message);
}

/** One worker and the request it is working on (at most one: the engine queues the rest). */
class EspeakThread {
  readonly ready: Promise<EspeakReady>;
  /** Set when the worker has exited; the engine starts another for the next request. */
  exited = false;
  private readonly worker: Worker;
  private readonly cancelSlot = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  private crash: Error | undefined;
  private pending: { id: number; resolve: (reply: EspeakReply) => void; reject: (error: Error) => void } | undefined;

  constructor(url: string) {
    const workerData: EspeakWorkerData = { url, cancel: this.cancelSlot.buffer as SharedArrayBuffer };
    this.worker = new Worker(ESPEAK_WORKER_SOURCE, { eval: true, workerData });
    // Kept referenced only while it works (start-up, a request), so an idle voice never keeps the
    // process alive, and a script awaiting a reply does not exit half way.
    this.ready = new Promise<EspeakReady>((resolve, reject) => {
      const onStart = (message: EspeakReady | { ready: false; error: EspeakWorkerFailure }) => {
        this.worker.off('message', onStart);
        if (message.ready) {
          this.worker.on('message', (reply: EspeakReply) => this.settle(reply));
          this.worker.unref();
          resolve(message);
        } else {
          void this.worker.terminate();
          reject(fromWorker(message.error));
        }
      };
      this.worker.on('message', onStart);
      this.worker.once('exit', (code) => {
        this.exited = true;
        const error = new ModelError('failed', `espeak-ng's thread stopped (exit code ${code}).`, { cause: this.crash });
        reject(error);
        this.pending?.reject(error);
        this.pending = undefined;
      });
    });
    // An uncaught error inside the worker ends it; 'exit' follows and tells whoever waits.
    this.worker.on('error', (error) => (this.crash = error));
  }

  send(request: EspeakRequest): Promise<EspeakReply> {
    if (this.exited) return Promise.reject(new ModelError('failed', "espeak-ng's thread has stopped."));
    return new Promise((resolve, reject) => {
      this.pending = { id: request.id, resolve, reject };
      this.worker.ref();
      this.worker.postMessage(request);
    });
  }

  /** Asks the worker to stop making the samples of request `id` (it checks every 100 ms of audio). */
  cancel(id: number): void {
    Atomics.store(this.cancelSlot, 0, id);
  }

  private settle(reply: EspeakReply): void {
    if (this.pending?.id !== reply.id) return;
    const { resolve } = this.pending;
    this.pending = undefined;
    this.worker.unref();
    resolve(reply);
  }
}

/** A request before the engine numbers it (Omit over each member of the union). */
type RequestBody = EspeakRequest extends infer R ? (R extends EspeakRequest ? Omit<R, 'id'> : never) : never;

class WorkerEspeak implements EspeakEngine {
  readonly sampleRate: number;
  private readonly voices: ReadonlyMap<string, string>;
  private nextId = 0;
  /** Settles when the request before the newest is done: requests go to the worker one at a time. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly url: string,
    private thread: EspeakThread,
    ready: EspeakReady,
  ) {
    this.sampleRate = ready.sampleRate;
    this.voices = new Map(ready.voices);
  }

  voiceFor(language: string): string | undefined {
    const code = language.toLowerCase();
    const primary = code.split(/[-_]/)[0] ?? code;
    return PREFERRED_VOICES[code] ?? this.voices.get(code) ?? PREFERRED_VOICES[primary] ?? this.voices.get(primary);
  }

  async speak(text: string, voice: string, wordsPerMinute: number, signal?: AbortSignal): Promise<Int16Array> {
    const reply = await this.request({ op: 'speak', text, voice, wordsPerMinute }, signal);
    if (!('samples' in reply)) throw new ModelError('failed', 'espeak-ng answered a speech request with something else.');
    return reply.samples;
  }

  async phonemes(text: string, voice: string, signal?: AbortSignal): Promise<string[]> {
    const reply = await this.request({ op: 'phonemes', text, voice }, signal);
    if (!('ipa' in reply)) throw new ModelError('failed', 'espeak-ng answered a phoneme request with something else.');
    return reply.ipa
      .split('\n')
      .map((clause) => clause.replaceAll('_', '').trim())
      .filter(Boolean);
  }

  private request(body: RequestBody, signal: AbortSignal | undefined): Promise<EspeakReply> {
    if (signal?.aborted) return Promise.reject(aborted());
    return new Promise<EspeakReply>((resolve, reject) => {
      let inFlight: { id: number; thread: EspeakThread } | undefined;
      // Rejects at once; the queue still waits for the worker to stop (one chunk) before the next.
      const onAbort = () => {
        if (inFlight) inFlight.thread.cancel(inFlight.id);
        reject(aborted());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue = this.queue.then(async () => {
        if (signal?.aborted) return;
        try {
          const thread = await this.liveThread();
          inFlight = { id: ++this.nextId, thread };
          const reply = await thread.send({ ...body, id: inFlight.id } as EspeakRequest);
          if ('error' in reply) reject(fromWorker(reply.error));
          else resolve(reply);
        } catch (error) {
          reject(error);
        } finally {
          signal?.removeEventListener('abort', onAbort);
        }
      });
    });
  }

  /** The worker, started again if it died (a wasm abort should not end voice replies for good). */
  private async liveThread(): Promise<EspeakThread> {
    if (this.thread.exited) this.thread = new EspeakThread(this.url);
    await this.thread.ready;
    return this.thread;
  }
}
