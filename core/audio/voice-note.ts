/**
 * Spoken replies as voice notes: mono Ogg/Opus, the format Telegram and Discord play inline, encoded
 * in-process by libopus compiled to WebAssembly (opusscript), so no system binary is needed.
 */
import { randomInt } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import OpusScript from 'opusscript';
import { OggWriter } from './ogg-writer.js';
import { resample } from './resample.js';

export interface EncodedVoiceNote {
  /** A complete Ogg/Opus file. */
  readonly data: Uint8Array;
  /** Of the audio given, exactly; the file's granule positions agree to within a sample. */
  readonly durationSeconds: number;
  /** 1 to 256 loudness values 0..255 spread evenly over the note, for the platforms that draw one. */
  readonly waveform: Uint8Array;
}

export interface VoiceNoteOptions {
  /** Bits per second, 6000 to 510000; DEFAULT_VOICE_BITRATE unless given. */
  readonly bitrate?: number;
  readonly signal?: AbortSignal;
}

/**
 * At 24 kbps libopus codes espeak-ng's 22 kHz speech as hybrid super-wideband, up to 12 kHz, which
 * is all that such a voice holds; about 3 KB a second, so a minute's reply is under 200 KB.
 */
export const DEFAULT_VOICE_BITRATE = 24000;
/** Opus accepts only these input rates; it always works, and counts granules, at 48 kHz. */
const OPUS_INPUT_RATES = [8000, 12000, 16000, 24000, 48000] as const;
type OpusInputRate = (typeof OPUS_INPUT_RATES)[number];
const OPUS_RATE = 48000;
/** 20 ms: Opus's usual frame, the one voice-note apps send. */
const FRAMES_PER_SECOND = 50;
/** 48 kHz samples per 20 ms frame. */
const GRANULES_PER_FRAME = OPUS_RATE / FRAMES_PER_SECOND;
/** A page a second, like common encoders: small overhead, and a cut-off download loses little. */
const FRAMES_PER_PAGE = 50;
/** A second of audio per turn of the event loop: about 16 ms of work on a small server's core. */
const FRAMES_PER_YIELD = 50;
/**
 * libopus's delay in VOIP and audio modes: 2.5 ms plus 4 ms of look-ahead, the same at every
 * input rate. Used only where the encoder cannot be asked.
 */
const DEFAULT_PRE_SKIP = 312;
const OPUS_SET_BITRATE = 4002;
const OPUS_GET_LOOKAHEAD = 4027;
const OPUS_SET_SIGNAL = 4024;
const OPUS_SIGNAL_VOICE = 3001;
const VENDOR = 'seed-assistant voice notes (libopus via opusscript)';
/** Context each resampled slice gets on both sides at least. */
const MIN_SLICE_MARGIN_SECONDS = 0.05;
const MAX_WAVEFORM_POINTS = 256;
/** Windows shorter than this make a waveform of single pitch periods rather than syllables. */
const MIN_WAVEFORM_WINDOW_SECONDS = 0.02;
/** The waveform spans this range of RMS levels: quiet speech around -40 dBFS still shows. */
const WAVEFORM_FLOOR_DBFS = -60;

/**
 * Throws the signal's reason when aborted, RangeError for a bad rate or bitrate, and Error for
 * empty audio. Samples beyond [-1, 1] are clipped.
 */
export async function encodeVoiceNote(samples: Float32Array, sampleRate: number, options: VoiceNoteOptions = {}): Promise<EncodedVoiceNote> {
  const { signal } = options;
  signal?.throwIfAborted();
  if (!(Number.isInteger(sampleRate) && sampleRate > 0)) throw new RangeError(`sample rate must be a positive integer, got ${sampleRate}`);
  if (samples.length === 0) throw new Error('cannot make a voice note of no audio: the samples are empty');
  const bitrate = options.bitrate ?? DEFAULT_VOICE_BITRATE;
  if (!(Number.isInteger(bitrate) && bitrate >= 6000 && bitrate <= 510000)) throw new RangeError(`bitrate must be 6000 to 510000 bits per second, got ${bitrate}`);

  const inputRate = opusInputRate(sampleRate);
  const input = inputRate === sampleRate ? samples : await resampleInSlices(samples, sampleRate, inputRate, signal);

  const encoder = new OpusScript(inputRate, 1, OpusScript.Application.VOIP);
  const packets: Uint8Array[] = [];
  let lookahead: number;
  try {
    encoder.encoderCTL(OPUS_SET_BITRATE, bitrate);
    encoder.encoderCTL(OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE);
    lookahead = encoderLookahead(encoder, inputRate);
    const frameSize = inputRate / FRAMES_PER_SECOND;
    // The encoder's output lags its input by the look-ahead: enough frames that it all comes out.
    const frames = Math.ceil((input.length + lookahead) / frameSize);
    const frame = new Int16Array(frameSize);
    // opusscript takes little-endian 16-bit PCM as bytes.
    const frameBytes = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    for (let index = 0; index < frames; index += 1) {
      const start = index * frameSize;
      for (let offset = 0; offset < frameSize; offset += 1) frame[offset] = toInt16(input[start + offset] ?? 0);
      packets.push(encoder.encode(frameBytes, frameSize));
      if ((index + 1) % FRAMES_PER_YIELD === 0) {
        // Encoding is synchronous work; let the bot's other chats get a turn between seconds.
        await yieldToEventLoop();
        signal?.throwIfAborted();
      }
    }
  } finally {
    encoder.delete();
  }

  const scale = OPUS_RATE / inputRate;
  const preSkip = lookahead * scale;
  // The last page's granule position marks the true end, so players drop the padding after it.
  const endGranule = BigInt(preSkip + input.length * scale);
  const writer = new OggWriter(randomInt(0, 2 ** 32), { packetsPerPage: FRAMES_PER_PAGE });
  writer.writeHeader(opusHead(preSkip, sampleRate));
  writer.writeHeader(opusTags());
  packets.forEach((packet, index) => {
    const granule = BigInt((index + 1) * GRANULES_PER_FRAME);
    writer.writePacket(packet, granule < endGranule ? granule : endGranule);
  });
  return { data: writer.finish(), durationSeconds: samples.length / sampleRate, waveform: voiceWaveform(samples, sampleRate) };
}

/**
 * Loudness over time, one value per equal slice of the note: each slice's RMS level in dBFS, mapped
 * linearly from WAVEFORM_FLOOR_DBFS (0) to full scale (255). A decibel scale matches how loud
 * things sound, so syllables, soft endings and pauses all stay visible.
 */
export function voiceWaveform(samples: Float32Array, sampleRate: number): Uint8Array {
  const minWindow = Math.max(1, Math.round(MIN_WAVEFORM_WINDOW_SECONDS * sampleRate));
  const points = Math.max(1, Math.min(MAX_WAVEFORM_POINTS, Math.floor(samples.length / minWindow)));
  const waveform = new Uint8Array(points);
  for (let point = 0; point < points; point += 1) {
    const start = Math.floor((point * samples.length) / points);
    const end = Math.floor(((point + 1) * samples.length) / points);
    let squares = 0;
    for (let index = start; index < end; index += 1) squares += samples[index]! * samples[index]!;
    const rms = end > start ? Math.sqrt(squares / (end - start)) : 0;
    const dbfs = rms > 0 ? 20 * Math.log10(rms) : -Infinity;
    const level = (dbfs - WAVEFORM_FLOOR_DBFS) / -WAVEFORM_FLOOR_DBFS;
    waveform[point] = Math.round(255 * Math.max(0, Math.min(1, level)));
  }
  return waveform;
}

/**
 * `resample`, a second at a time with the event loop free in between: in one go it would hold the
 * loop for about 150 ms per minute of speech. Slices start at input samples that fall exactly on
 * output samples, and each is resampled with enough of its neighbours around it that the filters
 * never reach past them, so the result is the one-shot result up to rounding.
 */
export async function resampleInSlices(samples: Float32Array, fromRate: number, toRate: number, signal?: AbortSignal): Promise<Float32Array> {
  const divisor = greatestCommonDivisor(fromRate, toRate);
  // Every `unitIn` input samples are exactly `unitOut` output samples.
  const unitIn = fromRate / divisor;
  const unitOut = toRate / divisor;
  const sliceLength = Math.max(1, Math.round(fromRate / unitIn)) * unitIn;
  const marginSeconds = Math.max(MIN_SLICE_MARGIN_SECONDS, 2 * filterReachSeconds(Math.min(fromRate, toRate) / 2));
  const margin = Math.ceil((marginSeconds * fromRate) / unitIn) * unitIn;
  if (samples.length <= sliceLength) return resample(samples, fromRate, toRate);
  const output = new Float32Array(Math.round((samples.length * toRate) / fromRate));
  for (let start = 0; start < samples.length; start += sliceLength) {
    const end = Math.min(samples.length, start + sliceLength);
    const from = Math.max(0, start - margin);
    const part = resample(samples.subarray(from, Math.min(samples.length, end + margin)), fromRate, toRate);
    const first = (start / unitIn) * unitOut;
    const last = end === samples.length ? output.length : (end / unitIn) * unitOut;
    const skip = ((start - from) / unitIn) * unitOut;
    output.set(part.subarray(skip, skip + last - first), first);
    await yieldToEventLoop();
    signal?.throwIfAborted();
  }
  return output;
}

/**
 * How far either side `resample`'s sharp stage reads, from Kaiser's formula for its design (70 dB,
 * transition 5% of the band edge): 43 ms at a 1 kHz band edge, 4 ms at 11 kHz. Its first stage
 * reads only a few source samples more. If that design changes, the test comparing slices with
 * one-shot resampling says whether this still covers it.
 */
function filterReachSeconds(bandEdgeHz: number): number {
  return (70 - 7.95) / (2.285 * 2 * Math.PI * 0.05 * bandEdgeHz) / 2;
}

function greatestCommonDivisor(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The lowest rate Opus takes that keeps everything the source holds, 48 kHz at most. */
function opusInputRate(sampleRate: number): OpusInputRate {
  return OPUS_INPUT_RATES.find((rate) => rate >= sampleRate) ?? OPUS_RATE;
}

/**
 * OPUS_GET_LOOKAHEAD writes through a pointer into the WebAssembly heap, which opusscript's API
 * does not offer; its input buffer is such memory and is free before the first encode. If that
 * internal ever changes, libopus's documented delay is used instead.
 */
function encoderLookahead(encoder: OpusScript, inputRate: OpusInputRate): number {
  const fallback = (DEFAULT_PRE_SKIP * inputRate) / OPUS_RATE;
  const scratch = (encoder as unknown as { inPCM?: unknown }).inPCM;
  if (!(scratch instanceof Uint16Array) || scratch.length < 2) return fallback;
  const view = new DataView(scratch.buffer, scratch.byteOffset, 4);
  view.setInt32(0, -1, true);
  try {
    encoder.encoderCTL(OPUS_GET_LOOKAHEAD, scratch.byteOffset);
  } catch {
    return fallback;
  }
  const lookahead = view.getInt32(0, true);
  // Anything outside (0, one frame] is not a look-ahead this encoder could have.
  return lookahead > 0 && lookahead <= inputRate / FRAMES_PER_SECOND ? lookahead : fallback;
}

function toInt16(value: number): number {
  // NaN (a damaged source) becomes silence rather than a click.
  if (Number.isNaN(value)) return 0;
  return Math.round(Math.max(-1, Math.min(1, value)) * 32767);
}

/** RFC 7845 §5.1 identification header. */
function opusHead(preSkip: number, sourceRate: number): Uint8Array {
  const head = new Uint8Array(19);
  const view = new DataView(head.buffer);
  head.set(new TextEncoder().encode('OpusHead'));
  head[8] = 1; // version
  head[9] = 1; // channels
  view.setUint16(10, preSkip, true);
  // For information only: players may resample to it; anything up to 2^32 − 1 is allowed.
  view.setUint32(12, sourceRate, true);
  view.setInt16(16, 0, true); // output gain
  head[18] = 0; // channel mapping family 0: mono or stereo, no mapping table
  return head;
}

/** RFC 7845 §5.2 comment header: the vendor string and no user comments. */
function opusTags(): Uint8Array {
  const vendor = new TextEncoder().encode(VENDOR);
  const tags = new Uint8Array(8 + 4 + vendor.length + 4);
  const view = new DataView(tags.buffer);
  tags.set(new TextEncoder().encode('OpusTags'));
  view.setUint32(8, vendor.length, true);
  tags.set(vendor, 12);
  view.setUint32(12 + vendor.length, 0, true);
  return tags;
}
