/**
 * The espeak-ng worker thread's side. espeak-ng's `synthesize` is synchronous wasm: measured 2-4 ms
 * per second of speech on an idle core, about 23 ms on a 2-core machine with a load of 8, at any
 * rate (the cost is per sample made). On the main thread a minute-long reply would hold up every
 * other user's turn for 0.15-1.4 s; in its own thread it costs the event loop only a message.
 *
 * Plain JavaScript evaluated in the worker, as storage/checkpointer.ts does, so it runs the same
 * under tsx, node or a bundle (a `.ts` worker file would need tsx's loader in the worker and a path
 * that survives bundling). It imports the package from the URL the main thread resolved.
 */

export interface EspeakReady {
  readonly ready: true;
  readonly sampleRate: number;
  /** Each language name espeak-ng lists, with the voice of the best priority for it. */
  readonly voices: readonly (readonly [string, string])[];
}

export interface EspeakWorkerFailure {
  readonly kind: 'unavailable' | 'failed';
  readonly message: string;
}

export type EspeakRequest =
  | { readonly id: number; readonly op: 'speak'; readonly text: string; readonly voice: string; readonly wordsPerMinute: number }
  | { readonly id: number; readonly op: 'phonemes'; readonly text: string; readonly voice: string };

export type EspeakReply =
  | { readonly id: number; readonly samples: Int16Array; readonly cancelled: boolean }
  | { readonly id: number; readonly ipa: string }
  | { readonly id: number; readonly error: EspeakWorkerFailure };

export interface EspeakWorkerData {
  /** File URL of the package's entry module. */
  readonly url: string;
  /** Int32Array over a SharedArrayBuffer; slot 0 holds the id of the request to stop. */
  readonly cancel: SharedArrayBuffer;
}

export const ESPEAK_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const cancel = new Int32Array(workerData.cancel);
const failure = (kind, error) => ({ kind, message: error instanceof Error ? error.message : String(error) });
let espeak;
let currentVoice;

const useVoice = (voice) => {
  if (voice === currentVoice) return;
  if (espeak.set_voice(voice) !== 0) throw new Error('espeak-ng has no voice named ' + voice + '.');
  currentVoice = voice;
};

const speak = (request) => {
  useVoice(request.voice);
  espeak.set_rate(request.wordsPerMinute);
  const chunks = [];
  let length = 0;
  let cancelled = false;
  // The callback comes every 100 ms of audio; returning true makes espeak-ng stop, so an
  // aborted reply frees the thread after one more chunk instead of at its end.
  espeak.synthesize(request.text, (samples) => {
    chunks.push(samples);
    length += samples.length;
    cancelled = Atomics.load(cancel, 0) === request.id;
    return cancelled;
  });
  // synthesize returns nothing useful; a failure shows only as no samples at all.
  if (length === 0 && !cancelled && request.text.trim()) throw new Error('espeak-ng made no sound.');
  const samples = new Int16Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    samples.set(chunk, offset);
    offset += chunk.length;
  }
  parentPort.postMessage({ id: request.id, samples, cancelled }, [samples.buffer]);
};

const phonemes = (request) => {
  useVoice(request.voice);
  const { code, ipa } = espeak.synthesize_ipa(request.text);
  if (code !== 0) throw new Error('espeak-ng could not make phonemes (code ' + code + ').');
  parentPort.postMessage({ id: request.id, ipa });
};

parentPort.on('message', (request) => {
  try {
    if (request.op === 'speak') speak(request);
    else phonemes(request);
  } catch (error) {
    // A failure inside the wasm can leave the voice half set; set it again next time.
    currentVoice = undefined;
    parentPort.postMessage({ id: request.id, error: failure('failed', error) });
  }
});

(async () => {
  let module;
  try {
    module = await import(workerData.url);
  } catch (error) {
    parentPort.postMessage({ ready: false, error: failure('unavailable', error) });
    return;
  }
  try {
    const instance = await module.default();
    espeak = new instance.eSpeakNGWorker();
    const best = new Map();
    for (const voice of espeak.list_voices()) {
      for (const { name, priority } of voice.languages) {
        const current = best.get(name);
        if (!current || priority < current.priority) best.set(name, { priority, identifier: voice.identifier });
      }
    }
    const voices = [...best].map(([name, { identifier }]) => [name, identifier]);
    parentPort.postMessage({ ready: true, sampleRate: espeak.get_samplerate(), voices });
  } catch (error) {
    parentPort.postMessage({ ready: false, error: failure('failed', error) });
  }
})();
`;
