/**
 * A voice note's bytes to what a speech model wants: 16 kHz mono samples in [-1, 1]. Limits are
 * enforced before and during decoding, never after, so an oversized or endless file costs little.
 */
import { SPEECH_SAMPLE_RATE } from '../models/speech-to-text.js';
import { AudioError } from './audio-error.js';
import { claimsSupportedFormat, detectFormat, nameForMediaType, type AudioFormat } from './detect-format.js';
import { decodeMp3 } from './mp3.js';
import { decodeOggOpus, oggOpusSeconds, readOpusHead } from './ogg-opus.js';
import { PcmSink, tooLong } from './pcm-sink.js';
import { resample } from './resample.js';
import { parseWavHeader, readWavMono } from './wav.js';

export interface AudioLimits {
  readonly maxBytes: number;
  readonly maxSeconds: number;
}

export interface DecodedAudio {
  /** mono, 16 kHz, clamped to [-1, 1] */
  readonly samples: Float32Array;
  readonly sampleRate: typeof SPEECH_SAMPLE_RATE;
  /** of the decoded audio */
  readonly durationSeconds: number;
  readonly format: AudioFormat;
  /** The source's rate; for Opus always 48000, the rate Opus works at whatever it was recorded at. */
  readonly sourceSampleRate: number;
  /** of the source */
  readonly channels: number;
}

const FORMAT_NAMES: Readonly<Record<AudioFormat, string>> = { 'ogg-opus': 'Ogg Opus', wav: 'WAV', mp3: 'MP3' };

/**
 * Throws AudioError for anything it cannot use. `mediaType` is only a hint: the bytes decide the
 * format, and the hint only names a file whose bytes we do not recognise.
 */
export async function decodeAudio(data: Uint8Array, limits: AudioLimits, mediaType?: string): Promise<DecodedAudio> {
  if (data.length === 0) throw new AudioError('empty', 'the audio file is empty');
  if (data.length > limits.maxBytes) {
    throw new AudioError('too-large', `the audio file is ${data.length} bytes, more than the ${limits.maxBytes} allowed`, {
      bytes: data.length,
      maxBytes: limits.maxBytes,
    });
  }
  const detected = detectFormat(data);
  if (!detected.supported) {
    if (detected.damaged) throw new AudioError('corrupt', `damaged ${detected.name ?? 'audio'} file`, detected.name ? { format: detected.name } : {});
    // Bytes that match nothing, labelled as a format we read, are a damaged file rather than a
    // different kind of file (a voice note cut off or mangled on the way).
    if (detected.name === undefined && claimsSupportedFormat(mediaType)) {
      throw new AudioError('corrupt', `bytes do not match the declared ${mediaType}`);
    }
    const name = detected.name ?? nameForMediaType(mediaType);
    throw new AudioError('unsupported-format', `not a format we decode${name ? `: ${name}` : ''}`, name ? { format: name } : {});
  }
  const { format } = detected;
  const decoded = await decodeFormat(format, data, limits);
  const samples = decoded.sampleRate === SPEECH_SAMPLE_RATE ? decoded.samples : resample(decoded.samples, decoded.sampleRate, SPEECH_SAMPLE_RATE);
  clamp(samples);
  return {
    samples,
    sampleRate: SPEECH_SAMPLE_RATE,
    durationSeconds: samples.length / SPEECH_SAMPLE_RATE,
    format,
    sourceSampleRate: decoded.sourceSampleRate,
    channels: decoded.channels,
  };
}

interface FormatOutput {
  readonly samples: Float32Array;
  readonly sampleRate: number;
  readonly sourceSampleRate: number;
  readonly channels: number;
}

async function decodeFormat(format: AudioFormat, data: Uint8Array, limits: AudioLimits): Promise<FormatOutput> {
  if (format === 'wav') {
    const info = parseWavHeader(data);
    const seconds = info.frames / info.sampleRate;
    if (seconds > limits.maxSeconds) throw tooLong(seconds, limits.maxSeconds);
    if (info.frames === 0) throw new AudioError('corrupt', 'WAV file holds no samples', { format: FORMAT_NAMES.wav });
    return { samples: readWavMono(data, info), sampleRate: info.sampleRate, sourceSampleRate: info.sampleRate, channels: info.channels };
  }
  const sink = new PcmSink(limits.maxSeconds, data.length);
  if (format === 'ogg-opus') {
    sink.knownSeconds = oggOpusSeconds(data, readOpusHead(data));
    if (sink.knownSeconds !== undefined && sink.knownSeconds > limits.maxSeconds) throw tooLong(sink.knownSeconds, limits.maxSeconds);
  }
  const source = format === 'ogg-opus' ? await decodeOggOpus(data, sink) : await decodeMp3(data, sink);
  return { samples: sink.samples(), sampleRate: sink.sampleRate, ...source };
}

/** Into [-1, 1], with NaN (a damaged float WAV) as silence. */
function clamp(samples: Float32Array): void {
  for (let index = 0; index < samples.length; index += 1) {
    const value = samples[index]!;
    if (value > 1) samples[index] = 1;
    else if (value < -1) samples[index] = -1;
    else if (Number.isNaN(value)) samples[index] = 0;
  }
}
