/**
 * MPEG audio (MP3, and Layers I and II) through mpg123 compiled to WebAssembly (mpg123-decoder),
 * with gapless playback on: a LAME or Xing header's encoder delay and padding are cut.
 */
import { MPEGDecoder } from 'mpg123-decoder';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { AudioError } from './audio-error.js';
import { isMpegAudioFrame } from './detect-format.js';
import type { PcmSink } from './pcm-sink.js';

const CHUNK_BYTES = 64 * 1024;
/** mpg123 resynchronises after damage; this many decode errors per good frame means it is all noise. */
const MAX_ERRORS_PER_FRAME = 0.25;

export async function decodeMp3(data: Uint8Array, sink: PcmSink): Promise<{ channels: number; sourceSampleRate: number }> {
  const decoder = new MPEGDecoder();
  try {
    await decoder.ready;
    let errors = 0;
    let samples = 0;
    for (let offset = 0; offset < data.length; offset += CHUNK_BYTES) {
      const end = Math.min(data.length, offset + CHUNK_BYTES);
      const decoded = withoutConsoleErrors(() => decoder.decode(data.subarray(offset, end)));
      errors += decoded.errors.length;
      if (decoded.samplesDecoded > 0) {
        // A file that changes sample rate midway is two files glued together: keep the first.
        if (sink.sampleRate !== 0 && decoded.sampleRate !== sink.sampleRate) break;
        samples += decoded.samplesDecoded;
        sink.push(decoded.channelData, decoded.sampleRate, end);
      }
      await yieldToEventLoop();
    }
    // Random bytes after an MPEG frame header still hold the odd accidental frame that decodes
    // to noise; real files, even damaged ones, have few errors for the frames they yield.
    const frames = samples / 1152;
    if (samples === 0 || errors > MAX_ERRORS_PER_FRAME * frames) {
      throw new AudioError('corrupt', `MP3 yielded ${samples} samples with ${errors} decode errors`, { format: 'MP3' });
    }
    return { channels: firstFrameChannels(data), sourceSampleRate: sink.sampleRate };
  } catch (error) {
    if (error instanceof AudioError) throw error;
    throw new AudioError('corrupt', 'MP3 decoding failed', { format: 'MP3' }, { cause: error });
  } finally {
    try {
      decoder.free();
    } catch {
      // The WebAssembly instance goes with the decoder object anyway.
    }
  }
}

/**
 * mpg123-decoder writes every decode error to console.error; on a damaged or hostile file that is
 * hundreds of lines in the bot's log. The errors also come back in the result, which is what we
 * use. The call is synchronous, so nothing else can log while console.error is muted.
 */
function withoutConsoleErrors<T>(work: () => T): T {
  const original = console.error;
  console.error = () => undefined;
  try {
    return work();
  } finally {
    console.error = original;
  }
}

/** mpg123 always hands back two channels; the first frame header says how many the file has. */
function firstFrameChannels(data: Uint8Array): number {
  let offset = 0;
  if (data[0] === 0x49 && data[1] === 0x44 && data[2] === 0x33) {
    offset = 10 + (((data[6]! & 0x7f) << 21) | ((data[7]! & 0x7f) << 14) | ((data[8]! & 0x7f) << 7) | (data[9]! & 0x7f));
  }
  for (const limit = Math.min(data.length, offset + 64 * 1024); offset < limit; offset += 1) {
    if (isMpegAudioFrame(data, offset)) return data[offset + 3]! >> 6 === 3 ? 1 : 2;
  }
  return 2;
}
