/**
 * The media fuzz, shared by the default suite (test/media-fuzz.test.ts, a few hundred cases) and
 * the soak run (test/media-fuzz.soak.ts, thousands): seeded mutations of real JPEG, PNG, WebP,
 * GIF, Ogg Opus and WAV files, each through the real preprocessImage or decodeAudio, and some
 * through the Assistant. Every case must end in a prepared image or decoded audio, or in a
 * MediaError or AudioError whose message, in the words the user hears, reads sensibly; never in
 * another error (a crash: "something went wrong") and never in a hang.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { AudioError, decodeAudio, type AudioLimits } from '../../core/audio/index.js';
import { en } from '../../core/i18n/en.js';
import { DEFAULT_IMAGE_LIMITS, MediaError, preprocessImage } from '../../core/media/index.js';
import { ScriptedSpeechModel } from '../../core/models/testing/scripted-speech-model.js';
import { ScriptedVisionModel } from '../../core/models/testing/scripted-vision-model.js';
import type { ReplyPart } from '../../core/turn.js';
import { imageOf, makeHarness } from './assistant-harness.js';
import { encodeOggOpus, encodeWav, voiceLike } from './audio.js';
import { mutate, Prng, type FuzzFormat } from './fuzz.js';

export interface MediaFuzzOptions {
  /** Mutated files per format through preprocessImage or decodeAudio. */
  readonly casesPerFormat: number;
  /** Of those, how many per format also go through the Assistant as a user's message. */
  readonly throughAssistantPerFormat: number;
  /** The first case's seed; case n uses seed + n, so one case replays on its own. */
  readonly seed: number;
}

/**
 * A case that takes this long has hung: normal cases take milliseconds. A guard against hangs,
 * not a speed requirement.
 */
const HANG_GUARD_MS = 20_000;

const AUDIO_LIMITS: AudioLimits = { maxBytes: 20 * 1024 * 1024, maxSeconds: 120 };

const IMAGE_FORMATS = ['jpeg', 'png', 'webp', 'gif'] as const;
const AUDIO_FORMATS = ['ogg', 'wav'] as const;

/** Small but real files of each format: a few kilobytes, so a case costs milliseconds. */
async function makeCorpus(): Promise<Record<FuzzFormat, Uint8Array[]>> {
  const photo = () =>
    sharp({ create: { width: 96, height: 64, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 30 } } });
  const withAlpha = sharp({ create: { width: 48, height: 32, channels: 4, background: { r: 10, g: 120, b: 200, alpha: 0.5 } } });
  const frames = await Promise.all(
    ['#ff0000', '#00ff00'].map((colour) => sharp({ create: { width: 40, height: 30, channels: 3, background: colour } }).png().toBuffer()),
  );
  const voice = voiceLike(1, 16000, 3);
  return {
    jpeg: [await photo().jpeg({ quality: 80 }).toBuffer(), await photo().jpeg({ progressive: true }).toBuffer()],
    png: [await photo().png().toBuffer(), await withAlpha.clone().png({ progressive: true }).toBuffer(), await photo().png({ palette: true }).toBuffer()],
    webp: [await photo().webp({ quality: 70 }).toBuffer(), await withAlpha.clone().webp({ lossless: true }).toBuffer()],
    gif: [await photo().gif().toBuffer(), await sharp(frames, { join: { animated: true } }).gif().toBuffer()],
    ogg: [encodeOggOpus(voice, 16000, { packetsPerPage: 10 })],
    wav: [encodeWav(voice, 16000), encodeWav([voice, voice], 16000, { bitsPerSample: 24, extraChunks: [{ id: 'LIST', data: new Uint8Array(9) }] })],
  };
}

/** The user message for a refusal must be a sentence: no placeholders, no absurd numbers. */
function assertReadable(text: string, context: string): void {
  assert.ok(text.trim().length > 0, `${context}: empty message`);
  assert.doesNotMatch(text, /undefined|NaN|Infinity|null|\[object/, `${context}: "${text}"`);
  // "1601279867509 minutes": no real limit or length needs seven digits.
  assert.doesNotMatch(text, /\d{7,}/, `${context}: "${text}"`);
}

async function withinHangGuard<T>(work: Promise<T>, context: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${context}: no result after ${HANG_GUARD_MS} ms`)), HANG_GUARD_MS);
  });
  try {
    return await Promise.race([work, hang]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkImage(bytes: Uint8Array, context: string): Promise<void> {
  try {
    const prepared = await withinHangGuard(preprocessImage(bytes), context);
    assert.ok(prepared.width >= 1 && prepared.height >= 1, context);
    assert.ok(Math.max(prepared.width, prepared.height) <= DEFAULT_IMAGE_LIMITS.maxSide, context);
    assert.deepEqual([...prepared.data.subarray(0, 2)], [0xff, 0xd8], `${context}: the output is a JPEG`);
  } catch (error) {
    if (!(error instanceof MediaError)) throw new Error(`${context}: crashed with ${String(error)}`, { cause: error });
    assertReadable(en.imageProblem(error.kind, 1, 1, error.details ?? {}), context);
  }
}

async function checkAudio(bytes: Uint8Array, format: FuzzFormat, context: string): Promise<void> {
  const mediaType = format === 'ogg' ? 'audio/ogg' : 'audio/wav';
  try {
    const decoded = await withinHangGuard(decodeAudio(bytes, AUDIO_LIMITS, mediaType), context);
    assert.ok(decoded.durationSeconds <= AUDIO_LIMITS.maxSeconds + 5, `${context}: ${decoded.durationSeconds} s`);
    for (const sample of decoded.samples) {
      if (!(sample >= -1 && sample <= 1)) assert.fail(`${context}: sample ${sample} outside [-1, 1]`);
    }
  } catch (error) {
    if (!(error instanceof AudioError)) throw new Error(`${context}: crashed with ${String(error)}`, { cause: error });
    assertReadable(en.voiceProblem(error.kind, error.details), context);
  }
}

/** Through the real Assistant: an answer, or a problem the user can read; never "something went wrong". */
function checkReplies(parts: readonly ReplyPart[], context: string): void {
  assert.ok(parts.length > 0, `${context}: no reply at all`);
  for (const part of parts) {
    assert.notEqual(part.type === 'problem' ? part.reason : undefined, 'internal', `${context}: "${part.text}"`);
    assertReadable(part.text, context);
  }
  assert.ok(
    parts.some((part) => part.type === 'answer' || part.type === 'problem'),
    `${context}: neither an answer nor a problem: ${parts.map((part) => part.type).join(', ')}`,
  );
}

/** Defines the fuzz tests: one per format, and one per format through the Assistant. */
export function mediaFuzzSuite(options: MediaFuzzOptions): void {
  describe(`media fuzz, ${options.casesPerFormat} cases per format from seed ${options.seed}`, () => {
    let corpus: Record<FuzzFormat, Uint8Array[]>;
    before(async () => {
      corpus = await makeCorpus();
    });

    // Each case's seed, its format's originals and the mutations, for the failure message.
    const cases = function* (format: FuzzFormat, count: number) {
      for (let index = 0; index < count; index += 1) {
        const seed = options.seed + index;
        const rng = new Prng(seed);
        const original = rng.pick(corpus[format]);
        const { bytes, steps } = mutate(original, format, rng);
        yield { bytes, seed, context: `${format} seed ${seed} (${steps.join('; ')})` };
      }
    };
    // A whole format's cases as one test: the hang guard is per case; this is a backstop.
    const testTimeout = HANG_GUARD_MS * 3 + options.casesPerFormat * 2000;

    for (const format of IMAGE_FORMATS) {
      test(`mutated ${format.toUpperCase()} files are prepared or refused with a message`, { timeout: testTimeout }, async () => {
        for (const { bytes, context } of cases(format, options.casesPerFormat)) await checkImage(bytes, context);
      });
    }
    for (const format of AUDIO_FORMATS) {
      test(`mutated ${format.toUpperCase()} files are decoded or refused with a message`, { timeout: testTimeout }, async () => {
        for (const { bytes, context } of cases(format, options.casesPerFormat)) await checkAudio(bytes, format, context);
      });
    }

    test('mutated photos and voice notes sent to the Assistant get an answer or a message, never an error', { timeout: testTimeout }, async () => {
      const harness = makeHarness(new ScriptedVisionModel({ chunks: ['A grey square.'] }), {
        speech: new ScriptedSpeechModel({ text: 'What is this?' }),
      });
      try {
        for (const format of [...IMAGE_FORMATS, ...AUDIO_FORMATS]) {
          for (const { bytes, seed, context } of cases(format, options.throughAssistantPerFormat)) {
            const message = (IMAGE_FORMATS as readonly string[]).includes(format)
              ? { text: 'What is this?', images: [imageOf(bytes)] }
              : { audio: [{ fetch: async () => bytes, mediaType: format === 'ogg' ? 'audio/ogg' : 'audio/wav' }] };
            // Each case from its own user: one user's turns run in order, and a hang must not hide behind another.
            const parts = await withinHangGuard(harness.send({ ...message, userId: `${format}-${seed}` }), context);
            checkReplies(parts, context);
          }
        }
      } finally {
        harness.close();
      }
    });
  });
}
