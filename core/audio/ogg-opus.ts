/**
 * Ogg/Opus, the voice-note format of Telegram, WhatsApp and Discord, through libopus compiled to
 * WebAssembly (ogg-opus-decoder).
 *
 * libopus decodes straight to 16 kHz: SILK, the speech layer, works at 16 kHz internally, and for
 * CELT the decoder drops the bands above 8 kHz before its inverse transform, so asking for 16 kHz is
 * both faster and cleaner than decoding at 48 kHz and resampling.
 */
import { OggOpusDecoder } from 'ogg-opus-decoder';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { SPEECH_SAMPLE_RATE } from '../models/speech-to-text.js';
import { AudioError } from './audio-error.js';
import type { PcmSink } from './pcm-sink.js';

/** Opus always runs at 48 kHz; granule positions count 48 kHz samples. */
const OPUS_RATE = 48000;
/** 16 KiB is 4 s of a 32 kbps note: small enough to stop soon after the limit, large enough to be cheap. */
const CHUNK_BYTES = 16 * 1024;
/** The largest Ogg page: 27-byte header, 255 lacing values, 255 × 255 bytes of data. */
const MAX_PAGE_BYTES = 27 + 255 + 255 * 255;
/**
 * The most audio one byte of an Ogg Opus file can hold: an Opus packet lasts at most 120 ms and
 * takes at least two bytes, its table-of-contents byte and its lacing value in the page header.
 */
const MAX_SECONDS_PER_BYTE = 0.12 / 2;

export interface OpusHead {
  readonly channels: number;
  /** Samples at 48 kHz the decoder discards at the start. */
  readonly preSkip: number;
  readonly serial: number;
}

/** The identification header in the first page; detectFormat has already seen its magic. */
export function readOpusHead(data: Uint8Array): OpusHead {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const body = 27 + (data[26] ?? 0);
  if (data.length < body + 19) throw new AudioError('corrupt', 'Opus header is cut short', { format: 'Ogg Opus' });
  const version = data[body + 8]!;
  const channels = data[body + 9]!;
  // Versions 0–15 are compatible; a higher one would be a different format.
  if (version > 15 || channels === 0) {
    throw new AudioError('corrupt', `Opus header has version ${version} and ${channels} channels`, { format: 'Ogg Opus' });
  }
  return { channels, preSkip: view.getUint16(body + 10, true), serial: view.getUint32(14, true) };
}

/**
 * The stream's length from the granule position of its last page, without decoding: a cheap way to
 * refuse an overlong note at once and to say how long it is. Undefined when no later page says, or
 * when it says more than the file's size can hold.
 */
export function oggOpusSeconds(data: Uint8Array, head: OpusHead): number | undefined {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const earliest = Math.max(0, data.length - 2 * MAX_PAGE_BYTES);
  for (let offset = data.length - 27; offset >= earliest; offset -= 1) {
    if (!isPageStart(data, offset) || data[offset + 4] !== 0 || view.getUint32(offset + 14, true) !== head.serial) continue;
    const granule = view.getBigInt64(offset + 6, true);
    // -1 marks a page on which no packet ends; 0 is a header page.
    if (granule <= 0n) continue;
    const samples = Number(granule) - head.preSkip;
    if (samples <= 0) return undefined;
    const seconds = samples / OPUS_RATE;
    // A length the file is too small to hold is damage, not a length: decoding measures the real one.
    return seconds <= data.length * MAX_SECONDS_PER_BYTE ? seconds : undefined;
  }
  return undefined;
}

/**
 * Where the last whole page ends. A note cut off mid-page must be fed only up to here: given a
 * partial page, the decoder's flush invents seconds of audio from the missing packets.
 */
export function completePagesLength(data: Uint8Array): number {
  let end = 0;
  for (let offset = 0; offset + 27 <= data.length; ) {
    if (!isPageStart(data, offset)) {
      // Damage between pages: the decoder skips to the next capture pattern, and so do we.
      const next = nextPageStart(data, offset + 1);
      if (next < 0) break;
      offset = next;
      continue;
    }
    const segments = data[offset + 26]!;
    let length = 27 + segments;
    if (offset + length > data.length) break;
    for (let index = 0; index < segments; index += 1) length += data[offset + 27 + index]!;
    if (offset + length > data.length) break;
    offset += length;
    end = offset;
  }
  return end;
}

function isPageStart(data: Uint8Array, offset: number): boolean {
  return data[offset] === 0x4f && data[offset + 1] === 0x67 && data[offset + 2] === 0x67 && data[offset + 3] === 0x53;
}

function nextPageStart(data: Uint8Array, from: number): number {
  for (let offset = from; offset + 4 <= data.length; offset += 1) if (isPageStart(data, offset)) return offset;
  return -1;
}

export async function decodeOggOpus(whole: Uint8Array, sink: PcmSink): Promise<{ channels: number; sourceSampleRate: number }> {
  const head = readOpusHead(whole);
  const data = whole.subarray(0, completePagesLength(whole));
  // `sampleRate` is a documented option that the package's type declarations leave out.
  const options = { sampleRate: SPEECH_SAMPLE_RATE, forceStereo: false };
  const decoder = new OggOpusDecoder(options);
  const restoreConsole = dropLibopusConsoleErrors();
  try {
    await decoder.ready;
    let errors = 0;
    for (let offset = 0; offset < data.length; offset += CHUNK_BYTES) {
      const end = Math.min(data.length, offset + CHUNK_BYTES);
      const decoded = await decoder.decode(data.subarray(offset, end));
      errors += decoded.errors.length;
      sink.push(decoded.channelData, decoded.sampleRate, end);
      // Decoding is synchronous work; let the bot's other chats get a turn between chunks.
      await yieldToEventLoop();
    }
    const rest = await decoder.flush();
    errors += rest.errors.length;
    sink.push(rest.channelData, rest.sampleRate, data.length);
    if (sink.seconds === 0) {
      throw new AudioError('corrupt', `Ogg Opus stream yielded no audio (${errors} decode errors)`, { format: 'Ogg Opus' });
    }
    return { channels: head.channels, sourceSampleRate: OPUS_RATE };
  } catch (error) {
    if (error instanceof AudioError) throw error;
    throw new AudioError('corrupt', 'Ogg Opus decoding failed', { format: 'Ogg Opus' }, { cause: error });
  } finally {
    restoreConsole();
    freeQuietly(decoder);
  }
}

let decodesInFlight = 0;
let originalConsoleError: typeof console.error | undefined;

/**
 * opus-decoder writes each bad packet to console.error ("libopus -4 OPUS_INVALID_PACKET"): lines in
 * the bot's log outside pino, and on a one-shot command's standard error next to the user message.
 * The errors also come back in the result, which is what is used. Decoding is asynchronous, so only
 * lines from libopus are dropped while any decode runs; everything else still reaches the console.
 */
function dropLibopusConsoleErrors(): () => void {
  if (decodesInFlight === 0) {
    const original = console.error;
    originalConsoleError = original;
    console.error = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('libopus ')) return;
      original(...args);
    };
  }
  decodesInFlight += 1;
  return () => {
    decodesInFlight -= 1;
    if (decodesInFlight === 0 && originalConsoleError) {
      console.error = originalConsoleError;
      originalConsoleError = undefined;
    }
  };
}

/** A failure to free must not hide the error that got us here. */
function freeQuietly(decoder: { free(): unknown }): void {
  try {
    void decoder.free();
  } catch {
    // The WebAssembly instance goes with the decoder object anyway.
  }
}
