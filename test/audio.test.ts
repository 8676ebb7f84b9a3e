import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AudioError,
  decodeAudio,
  downmixToMono,
  isAudioError,
  isSilent,
  measureLoudness,
  resample,
  type AudioErrorKind,
  type AudioLimits,
  type DecodedAudio,
} from '../core/audio/index.js';
import { SPEECH_SAMPLE_RATE } from '../core/models/index.js';
import { concat, encodeMp3, encodeOggOpus, encodeWav, oggCrc, random, sine, voiceLike, type WavOptions } from './helpers/audio.js';

// Every file is encoded here with real encoders; nothing binary is committed.

const LIMITS: AudioLimits = { maxBytes: 20 * 1024 * 1024, maxSeconds: 600 };
/** Each decode must finish well within this, whatever the bytes: a hang fails the test. */
const DECODE_TIMEOUT_MS = 5000;

function rms(samples: Float32Array, from = 0, to = samples.length): number {
  let sum = 0;
  for (let index = from; index < to; index += 1) sum += samples[index]! ** 2;
  return Math.sqrt(sum / Math.max(1, to - from));
}

function db(ratio: number): number {
  return 20 * Math.log10(ratio);
}

/** RMS of a resampled tone relative to its input, leaving out 50 ms at each end where filters settle. */
function toneGainDb(frequency: number, fromRate: number, toRate = SPEECH_SAMPLE_RATE): number {
  const output = resample(sine(frequency, 0.5, fromRate), fromRate, toRate);
  const margin = Math.round(0.05 * toRate);
  return db(rms(output, margin, output.length - margin) / (0.5 / Math.SQRT2));
}

/**
 * Normalised cross-correlation of `actual` against `reference` at the lag (within ±maxLag
 * samples) where they agree best.
 */
function bestCorrelation(reference: Float32Array, actual: Float32Array, maxLag: number): { correlation: number; lag: number } {
  let best = { correlation: -1, lag: 0 };
  for (let lag = -maxLag; lag <= maxLag; lag += 1) {
    let cross = 0;
    let referenceEnergy = 0;
    let actualEnergy = 0;
    const from = Math.max(0, -lag);
    const to = Math.min(reference.length, actual.length - lag);
    for (let index = from; index < to; index += 1) {
      const a = reference[index]!;
      const b = actual[index + lag]!;
      cross += a * b;
      referenceEnergy += a * a;
      actualEnergy += b * b;
    }
    const correlation = cross / Math.sqrt(referenceEnergy * actualEnergy || 1);
    if (correlation > best.correlation) best = { correlation, lag };
  }
  return best;
}

/** The decoded note against the source resampled to 16 kHz: length within 30 ms, best lag within ±20 ms. */
function assertMatches(decoded: DecodedAudio, source: Float32Array, sourceRate: number, minCorrelation: number): void {
  const reference = resample(source, sourceRate, SPEECH_SAMPLE_RATE);
  const referenceSeconds = source.length / sourceRate;
  assert.equal(decoded.sampleRate, 16000);
  assert.ok(
    Math.abs(decoded.durationSeconds - referenceSeconds) <= 0.03,
    `decoded ${decoded.durationSeconds.toFixed(3)} s, source ${referenceSeconds.toFixed(3)} s`,
  );
  const { correlation, lag } = bestCorrelation(reference, decoded.samples, 0.02 * SPEECH_SAMPLE_RATE);
  assert.ok(correlation > minCorrelation, `correlation ${correlation.toFixed(4)} at lag ${lag} samples, wanted > ${minCorrelation}`);
}

async function decodeWithin(data: Uint8Array, limits = LIMITS, mediaType?: string): Promise<DecodedAudio> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`decoding took over ${DECODE_TIMEOUT_MS} ms`)), DECODE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([decodeAudio(data, limits, mediaType), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function rejectsWith(promise: Promise<unknown>, kind: AudioErrorKind): Promise<AudioError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(isAudioError(caught), `expected an AudioError, got ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  return caught;
}

function randomBytes(length: number, seed: number): Uint8Array {
  const next = random(seed);
  return Uint8Array.from({ length }, () => Math.floor(next() * 256));
}

function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (character) => character.charCodeAt(0));
}

/** Where each Ogg page starts. */
function oggPages(data: Uint8Array): number[] {
  const starts: number[] = [];
  for (let offset = 0; offset + 27 <= data.length; ) {
    starts.push(offset);
    const segments = data[offset + 26]!;
    let length = 27 + segments;
    for (let index = 0; index < segments; index += 1) length += data[offset + 27 + index]!;
    offset += length;
  }
  return starts;
}

/** A copy of an Ogg file whose last page states another granule position, its CRC made right. */
function withLastGranule(file: Uint8Array, granule: bigint): Uint8Array {
  const data = file.slice();
  const last = oggPages(data).at(-1)!;
  const view = new DataView(data.buffer);
  view.setBigInt64(last + 6, granule, true);
  view.setUint32(last + 22, 0, true);
  view.setUint32(last + 22, oggCrc(data.subarray(last)), true);
  return data;
}

const VOICE_48K = voiceLike(4, 48000, 1);
const OGG_NOTE = encodeOggOpus(VOICE_48K, 48000, { bitrate: 32000 });

/** A 5 s note in each format at 16 kHz, for the refusal tests; encoded once, on first use (LAME in JavaScript is slow). */
const FIVE_SECONDS = voiceLike(5, 16000, 7);
const fiveSecondFiles = (() => {
  let files: { ogg: Uint8Array; wav: Uint8Array; mp3: Uint8Array } | undefined;
  return () => (files ??= { ogg: encodeOggOpus(FIVE_SECONDS, 16000), wav: encodeWav(FIVE_SECONDS, 16000), mp3: encodeMp3(FIVE_SECONDS, 16000, 64) });
})();

describe('resample', () => {
  for (const rate of [48000, 44100, 32000, 24000, 22050]) {
    test(`${rate} Hz to 16 kHz: passband flat to 7 kHz, 6 kHz within 1 dB, 11 kHz down at least 50 dB`, () => {
      for (const frequency of [100, 1000, 3000, 5000, 7000]) {
        const gain = toneGainDb(frequency, rate);
        assert.ok(Math.abs(gain) < 0.1, `${frequency} Hz: ${gain.toFixed(3)} dB`);
      }
      const passed = toneGainDb(6000, rate);
      assert.ok(Math.abs(passed) < 1, `6 kHz: ${passed.toFixed(2)} dB`);
      const stopped = toneGainDb(11000, rate);
      assert.ok(stopped < -50, `11 kHz: ${stopped.toFixed(1)} dB`);
    });
  }

  test('stop band is at least 60 dB down from 8.2 kHz up, where aliases would land in the speech band', () => {
    for (const rate of [48000, 44100]) {
      for (const frequency of [8200, 9000, 12000, 16000, 20000]) {
        const gain = toneGainDb(frequency, rate);
        assert.ok(gain < -60, `${rate} Hz source, ${frequency} Hz: ${gain.toFixed(1)} dB`);
      }
    }
  });

  test('upsampling 8 kHz keeps a 1 kHz tone at its frequency and amplitude', () => {
    const output = resample(sine(1000, 1, 8000), 8000, 16000);
    assert.equal(output.length, 16000);
    let crossings = 0;
    for (let index = 801; index < 15200; index += 1) {
      if (output[index - 1]! < 0 !== output[index]! < 0) crossings += 1;
    }
    // 0.9 s of a 1 kHz tone crosses zero 1800 times.
    assert.ok(Math.abs(crossings - 1800) <= 2, `${crossings} zero crossings`);
    const gain = db(rms(output, 800, 15200) / (0.5 / Math.SQRT2));
    assert.ok(Math.abs(gain) < 0.1, `${gain.toFixed(3)} dB`);
  });

  test('upsampling removes images: a 3.5 kHz tone at 8 kHz leaves nothing at its 4.5 kHz image', () => {
    const output = resample(sine(3500, 0.5, 8000), 8000, 16000);
    // Sampled at 8 kHz, sin(3500 Hz) equals -sin(4500 Hz): the image is in phase with this probe.
    const probe = sine(4500, 0.5, 16000, 1);
    let dot = 0;
    for (let index = 800; index < 7200; index += 1) dot += output[index]! * probe[index]!;
    const imageAmplitude = Math.abs((2 * dot) / 6400);
    assert.ok(db(imageAmplitude / 0.5) < -60, `image at ${db(imageAmplitude / 0.5).toFixed(1)} dB`);
  });

  test('output length is round(input × to / from) and 16 kHz is copied untouched', () => {
    for (const [length, rate] of [
      [1, 48000],
      [2, 48000],
      [1001, 44100],
      [44101, 44100],
      [7, 8000],
      [12345, 22050],
      [999, 11025],
    ] as const) {
      assert.equal(resample(new Float32Array(length), rate, 16000).length, Math.round((length * 16000) / rate), `${length} at ${rate}`);
    }
    assert.equal(resample(new Float32Array(0), 48000, 16000).length, 0);
    const input = sine(440, 0.1, 16000);
    const copy = resample(input, 16000, 16000);
    assert.notEqual(copy, input);
    assert.deepEqual(copy, input);
  });

  test('output is time-aligned: a click in the middle stays in the middle', () => {
    for (const rate of [48000, 44100, 8000]) {
      const input = new Float32Array(rate);
      input[rate / 2] = 1;
      const output = resample(input, rate, 16000);
      let peak = 0;
      for (let index = 1; index < output.length; index += 1) if (Math.abs(output[index]!) > Math.abs(output[peak]!)) peak = index;
      assert.equal(peak, 8000, `${rate} Hz`);
    }
  });

  test('downmixToMono averages the channels', () => {
    const mono = downmixToMono([Float32Array.of(1, 0.5, -1), Float32Array.of(0, 0.5, 1), Float32Array.of(0.5, 0.5, 0)]);
    assert.deepEqual([...mono].map((value) => Math.round(value * 1000) / 1000), [0.5, 0.5, 0]);
    assert.deepEqual(downmixToMono([]), new Float32Array(0));
  });
});

describe('decodeAudio', () => {
  test('Ogg/Opus voice note at 32 kbps decodes to 16 kHz mono matching the source', async () => {
    const decoded = await decodeWithin(OGG_NOTE);
    assert.equal(decoded.format, 'ogg-opus');
    assert.equal(decoded.channels, 1);
    assert.equal(decoded.sourceSampleRate, 48000);
    assertMatches(decoded, VOICE_48K, 48000, 0.9);
  });

  test('Ogg/Opus encoded at 16 kHz and at 8 kHz decodes too', async () => {
    for (const rate of [16000, 8000] as const) {
      const voice = voiceLike(2, rate, 2);
      assertMatches(await decodeWithin(encodeOggOpus(voice, rate, { bitrate: 24000 })), voice, rate, 0.9);
    }
  });

  test('the declared media type does not override the bytes', async () => {
    const decoded = await decodeWithin(OGG_NOTE, LIMITS, 'audio/mpeg');
    assert.equal(decoded.format, 'ogg-opus');
    assert.ok(decoded.durationSeconds > 3.9);
  });

  test('16-bit 44.1 kHz stereo WAV decodes to the mixed-down source', async () => {
    const left = voiceLike(3, 44100, 3);
    const right = voiceLike(3, 44100, 4);
    const decoded = await decodeWithin(encodeWav([left, right], 44100), LIMITS, 'audio/wav');
    assert.equal(decoded.format, 'wav');
    assert.equal(decoded.channels, 2);
    assert.equal(decoded.sourceSampleRate, 44100);
    assertMatches(decoded, downmixToMono([left, right]), 44100, 0.999);
  });

  test('WAV sample formats, extensible headers, odd chunks and streamed sizes all decode', async () => {
    const voice = voiceLike(1, 48000, 5);
    const cases: Array<[string, WavOptions, number]> = [
      ['8-bit', { bitsPerSample: 8 }, 0.99],
      ['24-bit', { bitsPerSample: 24 }, 0.999],
      ['32-bit int', { bitsPerSample: 32 }, 0.999],
      ['32-bit float', { float: true }, 0.999],
      ['64-bit float', { float: true, bitsPerSample: 64 }, 0.999],
      ['extensible 24-bit', { bitsPerSample: 24, extensible: true }, 0.999],
      ['extensible float', { float: true, extensible: true }, 0.999],
      ['odd-sized chunk before data', { extraChunks: [{ id: 'LIST', data: bytesOf('INFOISFT\x05\x00\x00\x00test\x00') }] }, 0.999],
      ['data size 0 (streamed)', { dataSize: 0 }, 0.999],
      ['data size 0xFFFFFFFF (streamed)', { dataSize: 0xffffffff }, 0.999],
    ];
    for (const [name, options, minCorrelation] of cases) {
      const decoded = await decodeWithin(encodeWav(voice, 48000, options));
      assert.equal(decoded.channels, 1, name);
      assert.doesNotThrow(() => assertMatches(decoded, voice, 48000, minCorrelation), name);
    }
    // A Buffer from Node's pool can start at any offset: nothing may assume alignment.
    const float = encodeWav(voice, 48000, { float: true });
    const shifted = new Uint8Array(new ArrayBuffer(float.length + 3), 3);
    shifted.set(float);
    assertMatches(await decodeWithin(shifted), voice, 48000, 0.999);
    const three = await decodeWithin(encodeWav([voice, voice, voice], 48000));
    assert.equal(three.channels, 3);
    assertMatches(three, voice, 48000, 0.999);
  });

  test('MP3 decodes to 16 kHz mono matching the source', async () => {
    const voice = voiceLike(2, 44100, 6);
    const decoded = await decodeWithin(encodeMp3(voice, 44100, 64), LIMITS, 'audio/mpeg');
    assert.equal(decoded.format, 'mp3');
    assert.equal(decoded.channels, 1);
    assert.equal(decoded.sourceSampleRate, 44100);
    assertMatches(decoded, voice, 44100, 0.9);
  });

  test('samples stay within [-1, 1] even when the source clips', async () => {
    const loud = sine(440, 0.5, 16000, 1);
    const floats = encodeWav(loud.map((value) => value * 2), 16000, { float: true });
    // encodeWav clamps; write the over-range floats by hand.
    const view = new DataView(floats.buffer, floats.byteOffset);
    for (let index = 0; index < loud.length; index += 1) view.setFloat32(44 + index * 4, loud[index]! * 2, true);
    view.setFloat32(44, Number.NaN, true);
    const decoded = await decodeWithin(floats);
    assert.ok(decoded.samples.every((value) => value >= -1 && value <= 1));
    assert.ok(Math.max(...decoded.samples) === 1);
  });
});

describe('decodeAudio refusals', () => {
  test('0 bytes is empty', async () => {
    await rejectsWith(decodeAudio(new Uint8Array(0), LIMITS), 'empty');
  });

  test('over maxBytes is too-large, before looking at the bytes', async () => {
    const error = await rejectsWith(decodeAudio(randomBytes(2000, 1), { maxBytes: 1000, maxSeconds: 60 }), 'too-large');
    assert.deepEqual(error.details, { bytes: 2000, maxBytes: 1000 });
  });

  test('a 5 s note with a 2 s limit is too-long, with its real length, in every format', async () => {
    const limits = { maxBytes: LIMITS.maxBytes, maxSeconds: 2 };
    const { ogg, wav, mp3 } = fiveSecondFiles();
    for (const data of [ogg, wav, mp3]) {
      const error = await rejectsWith(decodeWithin(data, limits), 'too-long');
      assert.equal(error.details.seconds, 5);
      assert.equal(error.details.maxSeconds, 2);
    }
  });

  test('an Ogg note is refused from its last granule position alone, before decoding it', async () => {
    // The last page now says the 4 s note runs for 10 minutes, which its 11 kB could hold.
    const data = withLastGranule(OGG_NOTE, BigInt(312 + 600 * 48000));
    const error = await rejectsWith(decodeWithin(data, { maxBytes: LIMITS.maxBytes, maxSeconds: 120 }), 'too-long');
    assert.deepEqual(error.details, { seconds: 600, maxSeconds: 120 });
  });

  test('an Ogg note whose last page claims more than its size can hold is measured by decoding it', async () => {
    // 30 million years, or an hour: either needs far more than 11 kB, even of the shortest packets.
    for (const granule of [2n ** 62n, BigInt(312 + 3600 * 48000)]) {
      const data = withLastGranule(OGG_NOTE, granule);
      const decoded = await decodeWithin(data, { maxBytes: LIMITS.maxBytes, maxSeconds: 120 });
      assert.ok(Math.abs(decoded.durationSeconds - 4) <= 0.03, `decoded ${decoded.durationSeconds} s`);
      // Over the limit, the length the user hears is the one decoding measured, not the claim.
      const error = await rejectsWith(decodeWithin(data, { maxBytes: LIMITS.maxBytes, maxSeconds: 2 }), 'too-long');
      assert.ok(Math.abs(Number(error.details.seconds) - 4) <= 1, `refused as ${error.details.seconds} s`);
    }
  });

  test('an Ogg note whose granule positions lie is still stopped once decoding passes the limit', async () => {
    const data = encodeOggOpus(voiceLike(5, 48000, 8), 48000).slice();
    const view = new DataView(data.buffer);
    for (const start of oggPages(data)) {
      view.setBigInt64(start + 6, 1n, true);
      view.setUint32(start + 22, 0, true);
      view.setUint32(start + 22, oggCrc(data.subarray(start, oggPages(data).find((next) => next > start) ?? data.length)), true);
    }
    const error = await rejectsWith(decodeWithin(data, { maxBytes: LIMITS.maxBytes, maxSeconds: 2 }), 'too-long');
    assert.equal(error.details.maxSeconds, 2);
    assert.ok(Math.abs(Number(error.details.seconds) - 5) <= 1, `estimated ${error.details.seconds} s`);
  });

  test('formats we do not read are unsupported-format, named where recognised', async () => {
    const oggVorbis = OGG_NOTE.slice(0, 64);
    oggVorbis.set(bytesOf('\x01vorbis'), 27 + oggVorbis[26]!);
    const cases: Array<[string, Uint8Array, string | undefined]> = [
      ['PNG', concat([Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), randomBytes(200, 2)]), 'image'],
      ['FLAC', concat([bytesOf('fLaC'), randomBytes(200, 3)]), 'FLAC'],
      ['M4A', concat([Uint8Array.of(0, 0, 0, 0x20), bytesOf('ftypM4A \x00\x00\x00\x00M4A isom'), randomBytes(200, 4)]), 'M4A'],
      ['MP4', concat([Uint8Array.of(0, 0, 0, 0x18), bytesOf('ftypisom\x00\x00\x02\x00isom'), randomBytes(200, 5)]), 'MP4'],
      ['WebM', concat([Uint8Array.of(0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84), bytesOf('webm'), randomBytes(100, 6)]), 'WebM'],
      ['AMR', bytesOf('#!AMR\n' + 'x'.repeat(100)), 'AMR'],
      ['ADTS AAC', concat([Uint8Array.of(0xff, 0xf1, 0x50, 0x80), randomBytes(200, 7)]), 'AAC'],
      ['AAC behind an ID3 tag', concat([bytesOf('ID3\x04\x00\x00\x00\x00\x00\x0a'), new Uint8Array(10), Uint8Array.of(0xff, 0xf1, 0x50, 0x80), randomBytes(200, 8)]), 'AAC'],
      ['Ogg Vorbis', oggVorbis, 'Ogg Vorbis'],
      ['plain text', new TextEncoder().encode('Hello, can you hear me? Это текст, не звук.\n'), 'text'],
    ];
    for (const [name, data, format] of cases) {
      const error = await rejectsWith(decodeWithin(data), 'unsupported-format');
      assert.equal(error.details.format, format, name);
    }
    const unknownBytes = Uint8Array.of(0x00, 0x01, 0x02, 0x03, 0x04, 0x9c, 0x88);
    const unknown = await rejectsWith(decodeWithin(unknownBytes), 'unsupported-format');
    assert.equal(unknown.details.format, undefined);
    // When the bytes say nothing, the declared type may still name the format.
    const declared = await rejectsWith(decodeWithin(unknownBytes, LIMITS, 'audio/aac'), 'unsupported-format');
    assert.equal(declared.details.format, 'AAC');
  });

  test('random bytes after a valid start are corrupt, never another error and never a hang', async () => {
    const opusHeadPage = OGG_NOTE.subarray(0, oggPages(OGG_NOTE)[1]);
    const cases: Array<[string, Uint8Array]> = [
      ['OggS', concat([bytesOf('OggS'), randomBytes(4000, 10)])],
      ['Ogg Opus header page', concat([opusHeadPage, randomBytes(20000, 11)])],
      ['RIFF....WAVE', concat([bytesOf('RIFF\x00\x10\x00\x00WAVE'), randomBytes(4000, 12)])],
      ['WAV header without data', encodeWav(new Float32Array(0), 16000).subarray(0, 36)],
      ['MPEG frame sync', concat([Uint8Array.of(0xff, 0xfb, 0x90, 0x64), randomBytes(100_000, 13)])],
      ['ID3 tag', concat([bytesOf('ID3\x03\x00\x00\x00\x00\x00\x0a'), new Uint8Array(10), randomBytes(50_000, 14)])],
      ['Ogg Opus headers only', OGG_NOTE.subarray(0, oggPages(OGG_NOTE)[2])],
    ];
    for (const [name, data] of cases) {
      const error = await rejectsWith(decodeWithin(data), 'corrupt');
      assert.ok(error.message.length > 0, name);
    }
    // Unrecognisable bytes that claim to be a voice note were damaged on the way.
    await rejectsWith(decodeWithin(randomBytes(3000, 15), LIMITS, 'audio/ogg'), 'corrupt');
  });

  test('a file cut in half decodes its first half (or is corrupt), never hangs', async () => {
    const { ogg, wav, mp3 } = fiveSecondFiles();
    for (const [name, whole] of [
      ['Ogg', ogg],
      ['WAV', wav],
      ['MP3', mp3],
    ] as const) {
      try {
        const decoded = await decodeWithin(whole.subarray(0, Math.floor(whole.length / 2)));
        // Up to the cut, less at most the Ogg page (1 s) it fell in, and nothing invented after it.
        assert.ok(decoded.durationSeconds > 1.4 && decoded.durationSeconds < 2.6, `${name}: ${decoded.durationSeconds} s`);
      } catch (error) {
        assert.ok(isAudioError(error) && error.kind === 'corrupt', `${name}: ${String(error)}`);
      }
    }
  });

  test('damaged files either decode or fail with an AudioError, and the decoders print nothing of their own', async () => {
    const originalError = console.error;
    const printed: string[] = [];
    console.error = (...args: unknown[]) => printed.push(args.map(String).join(' '));
    try {
      const { ogg, wav, mp3 } = fiveSecondFiles();
      const files = [ogg, wav, mp3];
      const next = random(12);
      for (let round = 0; round < 40; round += 1) {
        const file = files[round % files.length]!.slice();
        for (let flip = 0; flip < 1 + Math.floor(next() * 20); flip += 1) {
          file[Math.floor(next() * file.length)] = Math.floor(next() * 256);
        }
        try {
          const decoded = await decodeWithin(file);
          assert.ok(decoded.samples.every((value) => value >= -1 && value <= 1));
        } catch (error) {
          assert.ok(isAudioError(error), `round ${round}: ${String(error)}`);
        }
      }
      // Someone else's error during a decode still gets through.
      const decoding = decodeWithin(ogg.slice().fill(0x42, 200));
      console.error('an unrelated error');
      await decoding.catch(() => undefined);
    } finally {
      console.error = originalError;
    }
    assert.deepEqual(printed, ['an unrelated error']);
  });
});

describe('loudness', () => {
  test('silence and -60 dBFS noise are silent; a voice note is not', async () => {
    const silence = new Float32Array(3 * 16000);
    assert.ok(isSilent(measureLoudness(silence, 16000)));
    assert.equal(measureLoudness(silence, 16000).peakDbfs, -120);

    const next = random(20);
    // Uniform noise in [-a, a] has an RMS of a/√3; a = 0.001·√3 gives -60 dBFS.
    const noise = Float32Array.from({ length: 3 * 16000 }, () => (next() * 2 - 1) * 0.001 * Math.sqrt(3));
    const noiseLoudness = measureLoudness(noise, 16000);
    assert.ok(Math.abs(noiseLoudness.rmsDbfs + 60) < 0.5, `noise at ${noiseLoudness.rmsDbfs.toFixed(2)} dBFS`);
    assert.ok(isSilent(noiseLoudness), `noise active for ${noiseLoudness.activeSeconds} s`);

    const offset = new Float32Array(3 * 16000).fill(0.2);
    assert.ok(isSilent(measureLoudness(offset, 16000)), 'a DC offset is not sound');

    const decoded = await decodeWithin(OGG_NOTE);
    const voice = measureLoudness(decoded.samples, decoded.sampleRate);
    assert.ok(!isSilent(voice), `voice active for ${voice.activeSeconds} s`);
    assert.ok(voice.activeSeconds > 1.5 && voice.activeSeconds <= 4, `voice active for ${voice.activeSeconds} s`);
  });

  test('a quiet voice is heard, a few clicks are not', () => {
    const quiet = voiceLike(3, 16000, 21).map((value) => value * 0.1); // about -40 dBFS RMS while speaking
    const loudness = measureLoudness(quiet, 16000);
    assert.ok(!isSilent(loudness), `quiet voice at ${loudness.rmsDbfs.toFixed(1)} dBFS active for ${loudness.activeSeconds} s`);
    const clicks = new Float32Array(3 * 16000);
    for (let index = 0; index < clicks.length; index += 16000) clicks.fill(0.5, index, index + 160);
    assert.ok(isSilent(measureLoudness(clicks, 16000)));
  });

  test('a sine of amplitude 0.5 reads -6 dBFS peak and -9 dBFS RMS', () => {
    const loudness = measureLoudness(sine(1000, 1, 16000, 0.5), 16000);
    assert.ok(Math.abs(loudness.peakDbfs + 6.02) < 0.05, String(loudness.peakDbfs));
    assert.ok(Math.abs(loudness.rmsDbfs + 9.03) < 0.05, String(loudness.rmsDbfs));
    assert.ok(Math.abs(loudness.activeSeconds - 0.99) < 0.02, String(loudness.activeSeconds));
  });
});
