/**
 * Audio made on the spot for tests and the bench: test signals, and real Ogg/Opus, WAV and MP3
 * files written with real encoders (libopus through opusscript, LAME through lamejs), so nothing
 * binary is committed.
 */
import { Mp3Encoder } from '@breezystack/lamejs';
import OpusScript from 'opusscript';
import { oggCrc32 } from '../../core/audio/ogg-writer.js';

export function sine(frequencyHz: number, seconds: number, sampleRate: number, amplitude = 0.5): Float32Array {
  const samples = new Float32Array(Math.round(seconds * sampleRate));
  const step = (2 * Math.PI * frequencyHz) / sampleRate;
  for (let index = 0; index < samples.length; index += 1) samples[index] = amplitude * Math.sin(step * index);
  return samples;
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Something that codecs treat like speech, without a recording: syllables of 120–300 ms at 3–5 a
 * second, each a gliding pitch of 120–220 Hz whose harmonics up to 3 kHz are shaped by two
 * formants, under a raised-cosine envelope, with short gaps and now and then a pause. The same
 * seed gives the same signal at any sample rate. Peaks at about 0.5.
 */
export function voiceLike(seconds: number, sampleRate: number, seed = 1): Float32Array {
  const next = random(seed);
  const samples = new Float32Array(Math.round(seconds * sampleRate));
  const topHz = Math.min(3000, 0.45 * sampleRate);
  let time = 0.05 + 0.1 * next();
  while (time < seconds) {
    const length = 0.12 + 0.18 * next();
    const startPitch = 120 + 100 * next();
    const endPitch = startPitch * (0.8 + 0.4 * next());
    const formant1 = 300 + 600 * next();
    const formant2 = 900 + 1600 * next();
    const loudness = 0.5 + 0.5 * next();
    const harmonics = Math.floor(topHz / Math.max(startPitch, endPitch));
    const weights = new Float64Array(harmonics + 1);
    const meanPitch = (startPitch + endPitch) / 2;
    for (let k = 1; k <= harmonics; k += 1) {
      const frequency = k * meanPitch;
      const resonance = (centre: number, width: number) => 1 / (1 + ((frequency - centre) / width) ** 2);
      weights[k] = (resonance(formant1, 120) + 0.6 * resonance(formant2, 200) + 0.05) / Math.sqrt(k);
    }
    const first = Math.round(time * sampleRate);
    const count = Math.min(Math.round(length * sampleRate), samples.length - first);
    let phase = 0;
    for (let offset = 0; offset < count; offset += 1) {
      const progress = offset / count;
      const pitch = startPitch + (endPitch - startPitch) * progress;
      phase += (2 * Math.PI * pitch) / sampleRate;
      // sin(kφ) for every k by the Chebyshev recurrence: one sin and one cos per sample.
      const twiceCos = 2 * Math.cos(phase);
      let previous = 0;
      let current = Math.sin(phase);
      let sum = 0;
      for (let k = 1; k <= harmonics; k += 1) {
        sum += weights[k]! * current;
        const following = twiceCos * current - previous;
        previous = current;
        current = following;
      }
      const envelope = Math.sin(Math.PI * progress) ** 2;
      samples[first + offset] = samples[first + offset]! + 0.4 * loudness * envelope * sum;
    }
    time += length + 0.03 + 0.12 * next() + (next() < 0.15 ? 0.3 : 0);
  }
  return samples;
}

// ---------------------------------------------------------------------------------------------
// Ogg/Opus

export interface OggOpusOptions {
  /** Bits per second; 32 kbps unless given. */
  readonly bitrate?: number;
  /** libopus application: 'voip' (the default, as voice-note apps use) or 'audio'. */
  readonly application?: 'voip' | 'audio';
  /** Opus packets (20 ms each) per Ogg page; 50, a page a second, unless given. */
  readonly packetsPerPage?: number;
  readonly serial?: number;
  /** Leave the end-of-stream flag off the last page, as a recorder that is still writing does. */
  readonly open?: boolean;
}

/** libopus delays its output by 2.5 ms plus 4 ms of look-ahead, 312 samples at 48 kHz, whatever the input rate. */
const OPUS_PRE_SKIP = 312;

/** Mono Ogg/Opus, 20 ms frames, with correct pre-skip, granule positions, lacing and CRCs. */
export function encodeOggOpus(
  pcm: Float32Array,
  sampleRate: 48000 | 24000 | 16000 | 12000 | 8000,
  options: OggOpusOptions = {},
): Uint8Array {
  const application = options.application === 'audio' ? OpusScript.Application.AUDIO : OpusScript.Application.VOIP;
  const encoder = new OpusScript(sampleRate, 1, application);
  const packets: Uint8Array[] = [];
  try {
    encoder.setBitrate(options.bitrate ?? 32000);
    const frameSize = sampleRate / 50;
    const lookahead = (OPUS_PRE_SKIP * sampleRate) / 48000;
    // Enough frames that the encoder's delay does not cut off the end.
    const frames = Math.ceil((pcm.length + lookahead) / frameSize);
    const frame = new Int16Array(frameSize);
    for (let index = 0; index < frames; index += 1) {
      for (let offset = 0; offset < frameSize; offset += 1) {
        const value = pcm[index * frameSize + offset] ?? 0;
        frame[offset] = Math.max(-32768, Math.min(32767, Math.round(value * 32767)));
      }
      // opusscript takes little-endian 16-bit PCM as bytes.
      packets.push(Uint8Array.from(encoder.encode(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), frameSize)));
    }
  } finally {
    encoder.delete();
  }
  const head = new Uint8Array(19);
  const headView = new DataView(head.buffer);
  head.set(new TextEncoder().encode('OpusHead'));
  head[8] = 1; // version
  head[9] = 1; // channels
  headView.setUint16(10, OPUS_PRE_SKIP, true);
  headView.setUint32(12, sampleRate, true); // the input rate, for information only
  headView.setInt16(16, 0, true); // output gain
  head[18] = 0; // channel mapping family: mono/stereo
  const vendor = new TextEncoder().encode('seed-assistant test encoder');
  const tags = new Uint8Array(8 + 4 + vendor.length + 4);
  tags.set(new TextEncoder().encode('OpusTags'));
  new DataView(tags.buffer).setUint32(8, vendor.length, true);
  tags.set(vendor, 12);

  const writer = new OggWriter(options.serial ?? 0x5eed);
  writer.page([head], 0n, { beginning: true });
  writer.page([tags], 0n);
  const perPage = options.packetsPerPage ?? 50;
  // Granule positions count 48 kHz samples including the pre-skip; the last one marks the true end.
  const endGranule = BigInt(OPUS_PRE_SKIP + Math.round((pcm.length * 48000) / sampleRate));
  for (let first = 0; first < packets.length; first += perPage) {
    const group = packets.slice(first, first + perPage);
    const last = first + perPage >= packets.length;
    const granule = last ? endGranule : BigInt((first + group.length) * 960);
    writer.page(group, granule, { end: last && !options.open });
  }
  return writer.bytes();
}

/** Ogg's CRC-32, the product's own: tests that damage a page re-sign it with this. */
export const oggCrc = oggCrc32;

class OggWriter {
  private readonly pages: Uint8Array[] = [];
  private sequence = 0;

  constructor(private readonly serial: number) {}

  /** One page holding whole packets: each is laced as 255-byte segments and a shorter last one. */
  page(packets: readonly Uint8Array[], granule: bigint, flags: { beginning?: boolean; end?: boolean } = {}): void {
    const lacing: number[] = [];
    for (const packet of packets) {
      for (let left = packet.length; ; left -= 255) {
        lacing.push(Math.min(left, 255));
        if (left < 255) break;
      }
    }
    if (lacing.length > 255) throw new RangeError(`${packets.length} packets need ${lacing.length} lacing values, more than a page holds`);
    const bodyLength = packets.reduce((sum, packet) => sum + packet.length, 0);
    const page = new Uint8Array(27 + lacing.length + bodyLength);
    const view = new DataView(page.buffer);
    page.set([0x4f, 0x67, 0x67, 0x53]); // OggS
    page[4] = 0; // version
    page[5] = (flags.beginning ? 0x02 : 0) | (flags.end ? 0x04 : 0);
    view.setBigInt64(6, granule, true);
    view.setUint32(14, this.serial, true);
    view.setUint32(18, this.sequence, true);
    page[26] = lacing.length;
    page.set(lacing, 27);
    let offset = 27 + lacing.length;
    for (const packet of packets) {
      page.set(packet, offset);
      offset += packet.length;
    }
    view.setUint32(22, oggCrc(page), true);
    this.pages.push(page);
    this.sequence += 1;
  }

  bytes(): Uint8Array {
    return concat(this.pages);
  }
}

// ---------------------------------------------------------------------------------------------
// WAV

export interface WavOptions {
  /** 16 unless given; 8, 16, 24 and 32 are integer PCM, unless `float`. */
  readonly bitsPerSample?: 8 | 16 | 24 | 32 | 64;
  /** IEEE float samples (32 or 64 bits). */
  readonly float?: boolean;
  /** Write WAVE_FORMAT_EXTENSIBLE instead of the plain format tag. */
  readonly extensible?: boolean;
  /** Chunks to put between 'fmt ' and 'data', e.g. LIST or odd-sized ones to test padding. */
  readonly extraChunks?: ReadonlyArray<{ readonly id: string; readonly data: Uint8Array }>;
  /** What to write as the data chunk's size: streaming writers leave 0 or 0xFFFFFFFF. */
  readonly dataSize?: number;
}

/** A WAV file of one or more channels (a single array is mono). */
export function encodeWav(audio: Float32Array | readonly Float32Array[], sampleRate: number, options: WavOptions = {}): Uint8Array {
  const channels = audio instanceof Float32Array ? [audio] : audio;
  const frames = Math.min(...channels.map((channel) => channel.length));
  const bits = options.bitsPerSample ?? (options.float ? 32 : 16);
  const bytesPerSample = bits / 8;
  const blockAlign = bytesPerSample * channels.length;
  const dataBytes = frames * blockAlign;
  const formatTag = options.float ? 3 : 1;
  const fmt = new Uint8Array(options.extensible ? 40 : 16);
  const fmtView = new DataView(fmt.buffer);
  fmtView.setUint16(0, options.extensible ? 0xfffe : formatTag, true);
  fmtView.setUint16(2, channels.length, true);
  fmtView.setUint32(4, sampleRate, true);
  fmtView.setUint32(8, sampleRate * blockAlign, true);
  fmtView.setUint16(12, blockAlign, true);
  fmtView.setUint16(14, bits, true);
  if (options.extensible) {
    fmtView.setUint16(16, 22, true); // extension size
    fmtView.setUint16(18, bits, true); // valid bits
    fmtView.setUint32(20, channels.length === 1 ? 0x4 : 0x3, true); // speaker mask
    // Sub-format GUID 0000000X-0000-0010-8000-00AA00389B71
    fmt.set([formatTag, 0, 0, 0, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 24);
  }
  const samples = new Uint8Array(dataBytes);
  const view = new DataView(samples.buffer);
  for (let frame = 0; frame < frames; frame += 1) {
    for (let channel = 0; channel < channels.length; channel += 1) {
      const value = Math.max(-1, Math.min(1, channels[channel]![frame]!));
      const at = frame * blockAlign + channel * bytesPerSample;
      if (options.float) {
        if (bits === 64) view.setFloat64(at, value, true);
        else view.setFloat32(at, value, true);
      } else if (bits === 8) {
        view.setUint8(at, Math.max(0, Math.min(255, Math.round(value * 127 + 128))));
      } else if (bits === 16) {
        view.setInt16(at, Math.round(value * 32767), true);
      } else if (bits === 24) {
        const integer = Math.round(value * 8388607);
        view.setUint8(at, integer & 0xff);
        view.setUint8(at + 1, (integer >> 8) & 0xff);
        view.setInt8(at + 2, integer >> 16);
      } else {
        view.setInt32(at, Math.round(value * 2147483647), true);
      }
    }
  }
  const chunks = [
    chunk('fmt ', fmt),
    ...(options.extraChunks ?? []).map((extra) => chunk(extra.id, extra.data)),
    chunk('data', samples, options.dataSize),
  ];
  const body = concat(chunks);
  const header = new Uint8Array(12);
  header.set(new TextEncoder().encode('RIFF'));
  new DataView(header.buffer).setUint32(4, 4 + body.length, true);
  header.set(new TextEncoder().encode('WAVE'), 8);
  return concat([header, body]);
}

function chunk(id: string, data: Uint8Array, declaredSize = data.length): Uint8Array {
  const bytes = new Uint8Array(8 + data.length + (data.length & 1));
  bytes.set(new TextEncoder().encode(id));
  new DataView(bytes.buffer).setUint32(4, declaredSize, true);
  bytes.set(data, 8);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// MP3

/** Constant-bitrate MP3 of one or two channels (a single array is mono). */
export function encodeMp3(audio: Float32Array | readonly Float32Array[], sampleRate: number, kbps = 64): Uint8Array {
  const channels = audio instanceof Float32Array ? [audio] : audio;
  if (channels.length < 1 || channels.length > 2) throw new RangeError('MP3 carries one or two channels');
  const frames = Math.min(...channels.map((channel) => channel.length));
  const encoder = new Mp3Encoder(channels.length, sampleRate, kbps);
  const toInt16 = (channel: Float32Array, start: number, end: number) => {
    const block = new Int16Array(end - start);
    for (let index = start; index < end; index += 1) block[index - start] = Math.max(-32768, Math.min(32767, Math.round(channel[index]! * 32767)));
    return block;
  };
  const parts: Uint8Array[] = [];
  const block = 1152;
  for (let start = 0; start < frames; start += block) {
    const end = Math.min(frames, start + block);
    const left = toInt16(channels[0]!, start, end);
    const encoded = channels.length === 2 ? encoder.encodeBuffer(left, toInt16(channels[1]!, start, end)) : encoder.encodeBuffer(left);
    if (encoded.length > 0) parts.push(Uint8Array.from(encoded));
  }
  parts.push(Uint8Array.from(encoder.flush()));
  const stream = concat(parts);
  return concat([lameInfoFrame(stream, frames), stream]);
}

/** LAME's encoder delay, which decoders add their own 529 samples to. */
const LAME_ENCODER_DELAY = 576;

/**
 * The "Info" frame LAME puts first in a CBR file (lamejs leaves it out): its encoder delay and
 * padding let a gapless decoder cut the ~25 ms of silence the encoder adds at the start and the
 * end, as it would for a real file.
 */
function lameInfoFrame(stream: Uint8Array, samples: number): Uint8Array {
  const header = stream.subarray(0, 4);
  const frames = mpegFrameOffsets(stream);
  const mpeg1 = (header[1]! & 0x18) === 0x18;
  const mono = header[3]! >> 6 === 3;
  const samplesPerFrame = mpeg1 ? 1152 : 576;
  const length = frameLength(header, 0);
  const frame = new Uint8Array(length);
  frame.set(header);
  frame[2] = frame[2]! & ~0x02; // no padding byte
  let at = 4 + (mpeg1 ? (mono ? 17 : 32) : mono ? 9 : 17); // after the (silent) side information
  const view = new DataView(frame.buffer);
  frame.set(new TextEncoder().encode('Info'), at);
  view.setUint32(at + 4, 0x0f, false); // frames, bytes, table of contents and quality follow
  view.setUint32(at + 8, frames.length, false);
  view.setUint32(at + 12, stream.length + length, false);
  for (let index = 0; index < 100; index += 1) frame[at + 16 + index] = Math.floor((index * 256) / 100);
  view.setUint32(at + 116, 100, false);
  at += 120;
  if (at + 36 > length) throw new RangeError('bitrate too low for an Info frame');
  frame.set(new TextEncoder().encode('LAME3.100'), at);
  const padding = frames.length * samplesPerFrame - LAME_ENCODER_DELAY - samples;
  // 12 bits of delay, then 12 bits of padding.
  frame[at + 21] = LAME_ENCODER_DELAY >> 4;
  frame[at + 22] = ((LAME_ENCODER_DELAY & 0x0f) << 4) | ((padding >> 8) & 0x0f);
  frame[at + 23] = padding & 0xff;
  view.setUint16(at + 34, crc16(frame.subarray(0, at + 34)), false);
  return frame;
}

function mpegFrameOffsets(stream: Uint8Array): number[] {
  const offsets: number[] = [];
  for (let offset = 0; offset + 4 <= stream.length; ) {
    if (stream[offset] !== 0xff || (stream[offset + 1]! & 0xe0) !== 0xe0) throw new Error(`no MPEG frame at byte ${offset}`);
    offsets.push(offset);
    offset += frameLength(stream, offset);
  }
  return offsets;
}

const MPEG1_LAYER3_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_LAYER3_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const SAMPLE_RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

function frameLength(bytes: Uint8Array, offset: number): number {
  const version = (bytes[offset + 1]! >> 3) & 0x03;
  const kbps = (version === 3 ? MPEG1_LAYER3_KBPS : MPEG2_LAYER3_KBPS)[bytes[offset + 2]! >> 4]!;
  const sampleRate = SAMPLE_RATES[version]![(bytes[offset + 2]! >> 2) & 0x03]!;
  const padding = (bytes[offset + 2]! >> 1) & 0x01;
  return Math.floor(((version === 3 ? 144 : 72) * kbps * 1000) / sampleRate) + padding;
}

/** The CRC-16 (polynomial 0x8005, reflected) that guards LAME's tag. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}
