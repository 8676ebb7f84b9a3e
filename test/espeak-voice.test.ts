import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import { ESPEAK_PACKAGE, loadEspeak, type EspeakEngine } from '../core/models/speech/espeak-engine.js';
import { ESPEAK_LANGUAGES, loadEspeakVoice, type EspeakVoice } from '../core/models/speech/espeak-voice.js';
import { isModelError, type ModelErrorKind } from '../core/models/model-error.js';
import type { SynthesizedSpeech } from '../core/models/speech-synthesizer.js';
import { runEntry } from './helpers/run-cli.js';

const ENGLISH = 'Your parcel has arrived. It is on the table by the front door.';
const CHINESE = '您的包裹已经到了，放在前门旁边的桌子上。';
/** Most of a minute of speech: long enough that stopping it early, or running it on the event loop, shows. */
const LONG_ENGLISH = Array.from({ length: 12 }, () => ENGLISH).join(' ');

/** The package is optional (GPL-3.0): without it only the tests of its absence run. */
const notInstalled = ((): string | false => {
  try {
    import.meta.resolve(ESPEAK_PACKAGE);
    return false;
  } catch {
    return `${ESPEAK_PACKAGE} is not installed`;
  }
})();

function seconds(speech: SynthesizedSpeech): number {
  return speech.samples.length / speech.sampleRate;
}

function rms(samples: Float32Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / samples.length);
}

function assertSpeech(speech: SynthesizedSpeech): void {
  assert.equal(speech.sampleRate, 22050);
  const length = seconds(speech);
  assert.ok(length > 1 && length < 8, `a sentence should take 1-8 s, took ${length.toFixed(2)} s`);
  assert.ok(rms(speech.samples) > 0.02, `audible, RMS ${rms(speech.samples).toFixed(4)}`);
  assert.ok(speech.samples.every((sample) => sample >= -1 && sample <= 1));
}

/** espeak-ng's output varies by a few samples between runs of the same text. */
function assertClose(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 0.02 * expected, `${actual.toFixed(3)} s, expected about ${expected.toFixed(3)} s`);
}

async function rejectsWith(promise: Promise<unknown>, kind: ModelErrorKind): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isModelError(error), `expected a ModelError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    return error;
  }
  assert.fail(`expected ModelError('${kind}')`);
}

function missingPackage(): Error {
  return Object.assign(new Error(`Cannot find package '${ESPEAK_PACKAGE}' imported from /app/core/models/speech/espeak-engine.ts`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
}

describe('espeak-ng voice', { skip: notInstalled }, () => {
  let voice: EspeakVoice;
  before(async () => {
    voice = loadEspeakVoice();
    await voice.warmUp();
  });

  it('speaks an English sentence', async () => {
    assertSpeech(await voice.synthesize({ text: ENGLISH, language: 'en' }));
  });

  it('speaks a Chinese sentence', async () => {
    assertSpeech(await voice.synthesize({ text: CHINESE, language: 'zh' }));
  });

  it('takes region subtags and any case', async () => {
    assert.ok(voice.speaks('zh-TW'));
    assert.ok(voice.speaks('EN'));
    assertSpeech(await voice.synthesize({ text: ENGLISH, language: 'en-GB' }));
  });

  it('speaks faster when asked, within espeak-ng range', async () => {
    const normal = seconds(await voice.synthesize({ text: ENGLISH, language: 'en' }));
    const fast = seconds(await voice.synthesize({ text: ENGLISH, language: 'en', wordsPerMinute: 350 }));
    assert.ok(fast < normal * 0.7, `350 wpm took ${fast.toFixed(2)} s, 175 wpm ${normal.toFixed(2)} s`);
    // Out of range, the nearest rate in 80..450; not a number, the default.
    const tooFast = await voice.synthesize({ text: ENGLISH, language: 'en', wordsPerMinute: 5000 });
    const fastest = await voice.synthesize({ text: ENGLISH, language: 'en', wordsPerMinute: 450 });
    assertClose(seconds(tooFast), seconds(fastest));
    const tooSlow = await voice.synthesize({ text: 'Yes.', language: 'en', wordsPerMinute: 1 });
    const slowest = await voice.synthesize({ text: 'Yes.', language: 'en', wordsPerMinute: 80 });
    assertClose(seconds(tooSlow), seconds(slowest));
    const notANumber = await voice.synthesize({ text: ENGLISH, language: 'en', wordsPerMinute: Number.NaN });
    assertClose(seconds(notANumber), normal);
  });

  it('trims silence at the ends', async () => {
    const plain = await voice.synthesize({ text: 'Milk.', language: 'en' });
    const padded = await voice.synthesize({ text: '\n\n...  Milk.  ...\n\n', language: 'en' });
    assert.ok(Math.abs(plain.samples[0]!) < 0.01, 'starts quiet, not cut mid-sound');
    assert.ok(seconds(padded) < seconds(plain) + 0.3, `padded ${seconds(padded).toFixed(2)} s, plain ${seconds(plain).toFixed(2)} s`);
  });

  it('does not speak a language espeak-ng has no voice for', async () => {
    assert.equal(voice.speaks('xx'), false);
    assert.equal(voice.speaks('tlh'), false);
    await rejectsWith(voice.synthesize({ text: ENGLISH, language: 'xx' }), 'unsupported-input');
  });

  it('says which languages it speaks before loading, as the engine does after', async () => {
    const unloaded = loadEspeakVoice({ importer: async () => assert.fail('should not load') });
    const engine = await voice.engine();
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    const differences: string[] = [];
    for (const first of letters) {
      for (const second of letters) {
        const code = first + second;
        if (unloaded.speaks(code) !== (engine.voiceFor(code) !== undefined)) differences.push(code);
      }
    }
    assert.deepEqual(differences, [], `ESPEAK_LANGUAGES (${ESPEAK_LANGUAGES.size}) differs from the engine`);
  });

  it('refuses empty text', async () => {
    await rejectsWith(voice.synthesize({ text: '', language: 'en' }), 'unsupported-input');
    await rejectsWith(voice.synthesize({ text: ' \n\t ', language: 'en' }), 'unsupported-input');
  });

  it('stops when aborted, and the next reply still comes', async () => {
    await rejectsWith(voice.synthesize({ text: ENGLISH, language: 'en', signal: AbortSignal.abort() }), 'aborted');

    // Timed as the best of three, so a moment's load on a shared machine does not decide it.
    let whole = Infinity;
    let waited = Infinity;
    for (let round = 0; round < 3; round++) {
      let started = performance.now();
      await voice.synthesize({ text: LONG_ENGLISH, language: 'en' });
      whole = Math.min(whole, performance.now() - started);

      started = performance.now();
      const controller = new AbortController();
      const long = voice.synthesize({ text: LONG_ENGLISH, language: 'en', signal: controller.signal });
      // Queued behind the long one, and aborted before its turn.
      const queuedController = new AbortController();
      const queued = voice.synthesize({ text: ENGLISH, language: 'en', signal: queuedController.signal });
      const next = voice.synthesize({ text: ENGLISH, language: 'en' });
      queuedController.abort();
      setTimeout(() => controller.abort(), 10);
      await rejectsWith(queued, 'aborted');
      await rejectsWith(long, 'aborted');
      assertSpeech(await next);
      waited = Math.min(waited, performance.now() - started);
    }
    // The worker stops within a chunk of the abort, so the next reply does not wait for the whole long one.
    assert.ok(waited < whole * 0.6, `the next reply came after ${Math.round(waited)} ms; the long one takes ${Math.round(whole)} ms`);
  });

  it('keeps the event loop free while it speaks', async () => {
    let longestGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 5);
    const started = performance.now();
    try {
      const speech = await voice.synthesize({ text: LONG_ENGLISH, language: 'en' });
      assert.ok(seconds(speech) > 30);
    } finally {
      clearInterval(timer);
    }
    // On the event loop the gap would be the whole synthesis; relative, so a slow machine passes too.
    const elapsed = performance.now() - started;
    assert.ok(longestGap < elapsed / 2, `the event loop waited ${Math.round(longestGap)} ms of ${Math.round(elapsed)} ms`);
  });

  it('makes phonemes for neural voices through the same worker', async () => {
    const engine: EspeakEngine = await voice.engine();
    const clauses = await engine.phonemes('Hello, world.', engine.voiceFor('en')!);
    assert.equal(clauses.length, 2);
    assert.match(clauses[0]!, /həlˈoʊ/);
  });
});

describe('missing espeak-ng turns voice replies off cleanly', () => {
  it('reports a package that cannot be found as unavailable, naming it', async () => {
    let calls = 0;
    const voice = loadEspeakVoice({
      importer: async () => {
        calls += 1;
        throw missingPackage();
      },
    });
    assert.equal(voice.speaks('en'), true, 'not known to be missing before the first try');
    const error = await rejectsWith(voice.warmUp(), 'unavailable');
    assert.match(error.message, /@echogarden\/espeak-ng-emscripten/);
    await rejectsWith(voice.synthesize({ text: ENGLISH, language: 'en' }), 'unavailable');
    assert.equal(voice.speaks('en'), false);
    assert.equal(calls, 1, 'a missing package is looked for once');
  });

  it('reports a package the worker cannot import as unavailable', async () => {
    const nowhere = pathToFileURL('/nonexistent/espeak-ng.js');
    const error = await rejectsWith(loadEspeak(async () => nowhere), 'unavailable');
    assert.match(error.message, /@echogarden\/espeak-ng-emscripten/);
  });

  it('in a process where the package cannot be resolved', async () => {
    const result = await runEntry('test/fixtures/without-espeak.ts', ['missing']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { kind?: string; message?: string; speaksEnglish?: boolean };
    assert.equal(report.kind, 'unavailable', report.message);
    assert.match(report.message ?? '', /@echogarden\/espeak-ng-emscripten/);
    assert.equal(report.speaksEnglish, false);
  });

  it('and where it is installed, the idle worker lets the process end', { skip: notInstalled }, async () => {
    const started = performance.now();
    const result = await runEntry('test/fixtures/without-espeak.ts', []);
    // Code 13 would mean the process ended while awaiting the worker (an unsettled top-level await).
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { seconds?: number; message?: string };
    assert.ok((report.seconds ?? 0) > 0.5, report.message);
    assert.ok(performance.now() - started < 30_000);
  });
});
