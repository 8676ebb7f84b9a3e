/**
 * Where the streaming decoders put their output, a chunk at a time. Chunks are mixed down to mono as
 * they arrive and the running length is checked against the limit, so an endless note is refused
 * after at most one chunk past the limit instead of after filling memory.
 */
import { AudioError } from './audio-error.js';
import { downmixToMono } from './resample.js';

export class PcmSink {
  /** The note's whole length when its container says so (an Ogg file's last granule position). */
  knownSeconds: number | undefined;
  private readonly chunks: Float32Array[] = [];
  private length = 0;
  private rate = 0;

  constructor(
    private readonly maxSeconds: number,
    private readonly totalBytes: number,
  ) {}

  get sampleRate(): number {
    return this.rate;
  }

  get seconds(): number {
    return this.rate === 0 ? 0 : this.length / this.rate;
  }

  /** `bytesRead`: how much of the file has been fed to the decoder so far, for estimating its length. */
  push(channels: readonly Float32Array[], sampleRate: number, bytesRead: number): void {
    // The decoders hand over fresh arrays, so a single channel is kept as it is.
    const mono = channels.length === 1 ? channels[0]! : downmixToMono(channels);
    if (mono.length === 0) return;
    if (this.rate === 0) this.rate = sampleRate;
    if (sampleRate !== this.rate) throw new RangeError(`sample rate changed from ${this.rate} to ${sampleRate} Hz`);
    this.chunks.push(mono);
    this.length += mono.length;
    if (this.seconds > this.maxSeconds) {
      const estimate = (this.seconds * this.totalBytes) / Math.max(1, bytesRead);
      throw tooLong(this.knownSeconds ?? estimate, this.maxSeconds);
    }
  }

  samples(): Float32Array {
    const samples = new Float32Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      samples.set(chunk, offset);
      offset += chunk.length;
    }
    return samples;
  }
}

export function tooLong(seconds: number, maxSeconds: number): AudioError {
  return new AudioError('too-long', `the audio lasts about ${Math.round(seconds)} s, more than the ${maxSeconds} s allowed`, {
    seconds: Math.round(seconds),
    maxSeconds,
  });
}
