/**
 * RIFF/WAVE reading: the header first, so a long recording can be refused before a single sample is
 * converted, then the samples straight to mono.
 */
import { AudioError } from './audio-error.js';

export interface WavInfo {
  readonly sampleRate: number;
  readonly channels: number;
  /** 'int' for PCM (8-bit unsigned, 16/24/32-bit signed), 'float' for IEEE 32/64-bit. */
  readonly encoding: 'int' | 'float';
  readonly bitsPerSample: 8 | 16 | 24 | 32 | 64;
  /** Byte offset of the first sample frame. */
  readonly dataOffset: number;
  /** Whole frames present in the file (a truncated file has fewer than its header says). */
  readonly frames: number;
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Sizes that streaming writers leave in place of the real length, which they did not know yet. */
const UNKNOWN_SIZES = new Set([0, 0xffffffff]);

const COMPRESSED_NAMES: Readonly<Record<number, string>> = {
  0x0002: 'ADPCM WAV',
  0x0006: 'A-law WAV',
  0x0007: 'μ-law WAV',
  0x0011: 'ADPCM WAV',
  0x0031: 'GSM WAV',
  0x0055: 'MP3 in WAV',
};

export function parseWavHeader(data: Uint8Array): WavInfo {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let format: Omit<WavInfo, 'dataOffset' | 'frames'> | undefined;
  let offset = 12;
  while (offset + 8 <= data.length) {
    const id = String.fromCharCode(data[offset]!, data[offset + 1]!, data[offset + 2]!, data[offset + 3]!);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      format = readFormat(view, body, Math.min(size, data.length - body));
    } else if (id === 'data') {
      if (!format) throw new AudioError('corrupt', 'WAV data chunk before its format chunk');
      const available = data.length - body;
      const bytes = UNKNOWN_SIZES.has(size) ? available : Math.min(size, available);
      const frameBytes = (format.bitsPerSample / 8) * format.channels;
      return { ...format, dataOffset: body, frames: Math.floor(bytes / frameBytes) };
    }
    // Chunks are padded to an even length; some writers forget, which the bounds check tolerates.
    offset = body + size + (size & 1);
  }
  throw new AudioError('corrupt', format ? 'WAV file has no data chunk' : 'WAV file has no format chunk');
}

function readFormat(view: DataView, offset: number, size: number): Omit<WavInfo, 'dataOffset' | 'frames'> {
  if (size < 16) throw new AudioError('corrupt', 'WAV format chunk is too short');
  let tag = view.getUint16(offset, true);
  const channels = view.getUint16(offset + 2, true);
  const sampleRate = view.getUint32(offset + 4, true);
  const bitsPerSample = view.getUint16(offset + 14, true);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    // The real format is the first two bytes of the sub-format GUID.
    if (size < 26) throw new AudioError('corrupt', 'WAV extensible format chunk is too short');
    tag = view.getUint16(offset + 24, true);
  }
  if (tag !== WAVE_FORMAT_PCM && tag !== WAVE_FORMAT_IEEE_FLOAT) {
    throw new AudioError('unsupported-format', `WAV sample format 0x${tag.toString(16)} is not PCM or float`, {
      format: COMPRESSED_NAMES[tag] ?? 'compressed WAV',
    });
  }
  if (channels === 0 || sampleRate < 1000 || sampleRate > 768_000) {
    throw new AudioError('corrupt', `WAV header has ${channels} channels at ${sampleRate} Hz`);
  }
  const encoding = tag === WAVE_FORMAT_PCM ? 'int' : 'float';
  const valid = encoding === 'int' ? [8, 16, 24, 32] : [32, 64];
  if (!valid.includes(bitsPerSample)) {
    throw new AudioError('unsupported-format', `WAV with ${bitsPerSample}-bit ${encoding} samples`, { format: `${bitsPerSample}-bit WAV` });
  }
  return { sampleRate, channels, encoding, bitsPerSample: bitsPerSample as WavInfo['bitsPerSample'] };
}

/** All frames, each the average of its channels, in [-1, 1). */
export function readWavMono(data: Uint8Array, info: WavInfo): Float32Array {
  const { channels, frames, bitsPerSample, encoding } = info;
  const bytes = data.subarray(info.dataOffset, info.dataOffset + frames * channels * (bitsPerSample / 8));
  const mono = new Float32Array(frames);
  // One loop per sample format, without a per-sample function call: the loops are hot enough to
  // be optimised within the first file, and a call per sample would be three times slower.
  if (encoding === 'float') addFloats(bytes, bitsPerSample === 64 ? 8 : 4, channels, mono);
  else if (bitsPerSample === 8) addUnsigned8(bytes, channels, mono);
  else addSigned(bytes, bitsPerSample / 8, channels, mono);
  return mono;
}

function addUnsigned8(bytes: Uint8Array, channels: number, mono: Float32Array): void {
  const scale = 1 / (128 * channels);
  for (let frame = 0, index = 0; frame < mono.length; frame += 1) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel += 1, index += 1) sum += bytes[index]! - 128;
    mono[frame] = sum * scale;
  }
}

/** Little-endian two's complement of 2, 3 or 4 bytes, read byte by byte (no alignment needed). */
function addSigned(bytes: Uint8Array, width: number, channels: number, mono: Float32Array): void {
  const scale = 1 / (2 ** (8 * width - 1) * channels);
  // Shifting the top byte into bit 31 and back sign-extends it.
  const shift = 32 - 8 * width;
  for (let frame = 0, at = 0; frame < mono.length; frame += 1) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel += 1, at += width) {
      let value = bytes[at]! | (bytes[at + 1]! << 8);
      if (width > 2) value |= bytes[at + 2]! << 16;
      if (width > 3) value |= bytes[at + 3]! << 24;
      sum += (value << shift) >> shift;
    }
    mono[frame] = sum * scale;
  }
}

function addFloats(bytes: Uint8Array, width: 4 | 8, channels: number, mono: Float32Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const scale = 1 / channels;
  for (let frame = 0, at = 0; frame < mono.length; frame += 1) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel += 1, at += width) {
      sum += width === 8 ? view.getFloat64(at, true) : view.getFloat32(at, true);
    }
    mono[frame] = sum * scale;
  }
}
