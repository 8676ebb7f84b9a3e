/**
 * Sample-rate conversion for speech models, which want 16 kHz mono.
 *
 * A single windowed-sinc stage with a sharp edge just below the output's Nyquist frequency would
 * need several hundred taps per output sample at 48 kHz, far too slow in JavaScript for a long voice
 * note. So the work is split in two:
 *
 * 1. a polyphase rational stage (Kaiser-windowed sinc, one filter bank per ratio, cached) from the
 *    source rate to twice the target rate; its transition band may be wide because anything it lets
 *    through folds to above the final band edge, where stage 2 removes it;
 * 2. a sharp Kaiser-windowed FIR low-pass (passband to 95% of the lower Nyquist frequency, at
 *    least 70 dB down from the lower Nyquist frequency on) applied by FFT overlap-save convolution,
 *    which also halves the rate by folding the spectrum before the inverse transform.
 *
 * Both filters are symmetric and centred, so the output is time-aligned with the input: output
 * sample n sits at input time n * from / to.
 */
import FFT from 'fft.js';

/** Stop-band attenuation both stages are designed for; the combined response stays above 60 dB. */
const ATTENUATION_DB = 70;
/** Passband edge as a fraction of the lower Nyquist frequency (7.6 kHz for 16 kHz output). */
const PASSBAND_FRACTION = 0.95;
/** Polyphase banks with more phases than this (odd ratios like 44099:16000) round the phase. */
const MAX_PHASES = 4096;
/** Filter designs kept per cache; a WAV can claim any sample rate, so the caches must not grow unbounded. */
const MAX_CACHED_DESIGNS = 16;

export function downmixToMono(channels: readonly Float32Array[]): Float32Array {
  const [first, second] = channels;
  if (!first) return new Float32Array(0);
  if (!second) return first.slice();
  const length = Math.min(...channels.map((channel) => channel.length));
  const mono = new Float32Array(length);
  if (channels.length === 2) {
    for (let index = 0; index < length; index += 1) mono[index] = (first[index]! + second[index]!) * 0.5;
    return mono;
  }
  const scale = 1 / channels.length;
  for (let index = 0; index < length; index += 1) {
    let sum = 0;
    for (const channel of channels) sum += channel[index]!;
    mono[index] = sum * scale;
  }
  return mono;
}

/**
 * Kaiser-windowed-sinc resampling with a low-pass below the lower Nyquist frequency (passband to
 * 95% of it, 70 dB down from it on). Output length is round(input length × to / from), and output
 * sample n sits at input time n × from / to. Same rates: a copy.
 */
export function resample(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (!(Number.isInteger(fromRate) && fromRate > 0 && Number.isInteger(toRate) && toRate > 0)) {
    throw new RangeError(`sample rates must be positive integers, got ${fromRate} and ${toRate}`);
  }
  const outputLength = Math.round((samples.length * toRate) / fromRate);
  if (fromRate === toRate) return samples.slice();
  if (outputLength === 0) return new Float32Array(0);
  const intermediateRate = 2 * toRate;
  const sharp = sharpStage(fromRate, toRate);
  // Stage 2 reads intermediate samples up to its half-length past the last output it writes.
  const intermediateLength = 2 * outputLength + sharp.halfLength;
  const intermediate =
    fromRate === intermediateRate ? samples : polyphase(samples, polyphaseStage(fromRate, toRate), intermediateLength);
  return lowPassAndHalve(intermediate, sharp, outputLength);
}

// ---------------------------------------------------------------------------------------------
// Filter design

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const quarterSquare = (x * x) / 4;
  for (let k = 1; k < 64 && term > sum * 1e-17; k += 1) {
    term *= quarterSquare / (k * k);
    sum += term;
  }
  return sum;
}

/** Kaiser's empirical formulas: the window's β and the length (in samples) for a transition width. */
const KAISER_BETA = 0.1102 * (ATTENUATION_DB - 8.7);
function kaiserLength(sampleRate: number, transitionHz: number): number {
  return (ATTENUATION_DB - 7.95) / (2.285 * 2 * Math.PI * (transitionHz / sampleRate));
}

/** Windowed-sinc low-pass value `offset` samples from its centre; `cutoff` in cycles per sample. */
function kaiserSinc(offset: number, cutoff: number, halfWidth: number): number {
  const ratio = offset / halfWidth;
  if (ratio <= -1 || ratio >= 1) return 0;
  const x = 2 * cutoff * offset;
  const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
  return 2 * cutoff * sinc * (besselI0(KAISER_BETA * Math.sqrt(1 - ratio * ratio)) / besselI0(KAISER_BETA));
}

function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  if (cache.size >= MAX_CACHED_DESIGNS) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

function greatestCommonDivisor(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

// ---------------------------------------------------------------------------------------------
// Stage 1: polyphase rational resampling to twice the target rate

interface PolyphaseStage {
  /** Up and down factors of the reduced ratio. */
  readonly up: number;
  readonly down: number;
  readonly phases: number;
  /** Taps either side of the output position, in input samples. */
  readonly halfTaps: number;
  /** phases × (2·halfTaps) coefficients; phase p holds those for an output p/phases past an input sample. */
  readonly bank: Float32Array;
}

const polyphaseCache = new Map<string, PolyphaseStage>();

function polyphaseStage(fromRate: number, toRate: number): PolyphaseStage {
  const key = `${fromRate}:${toRate}`;
  const cached = polyphaseCache.get(key);
  if (cached) return cached;
  const intermediateRate = 2 * toRate;
  const divisor = greatestCommonDivisor(intermediateRate, fromRate);
  const up = intermediateRate / divisor;
  const down = fromRate / divisor;
  const bandEdge = Math.min(fromRate, toRate) / 2;
  const passEdge = PASSBAND_FRACTION * bandEdge;
  // Whatever passes below this folds, at the intermediate rate, to above the band edge.
  const stopEdge = Math.min(intermediateRate - bandEdge, (fromRate * up) / 2);
  const halfTaps = Math.max(2, Math.ceil(kaiserLength(fromRate, stopEdge - passEdge) / 2));
  const cutoff = (passEdge + stopEdge) / 2 / fromRate;
  const phases = Math.min(up, MAX_PHASES);
  const taps = 2 * halfTaps;
  const coefficients = new Float64Array(phases * taps);
  let sum = 0;
  for (let phase = 0; phase < phases; phase += 1) {
    for (let tap = 0; tap < taps; tap += 1) {
      // Tap `tap` reads input sample floor(t) - halfTaps + 1 + tap, which lies this far before t.
      const value = kaiserSinc(phase / phases + halfTaps - 1 - tap, cutoff, halfTaps);
      coefficients[phase * taps + tap] = value;
      sum += value;
    }
  }
  // One gain for the whole bank, not one per phase: when upsampling, the passband reaches past
  // the source's Nyquist frequency (stage 2 removes the images there), so a phase's own sum is
  // not its gain at 0 Hz, and evening them out would modulate the signal.
  const bank = new Float32Array(phases * taps);
  for (let index = 0; index < bank.length; index += 1) bank[index] = (coefficients[index]! * phases) / sum;
  return remember(polyphaseCache, key, { up, down, phases, halfTaps, bank });
}

function polyphase(input: Float32Array, stage: PolyphaseStage, outputLength: number): Float32Array {
  const { up, down, phases, halfTaps, bank } = stage;
  const taps = 2 * halfTaps;
  const output = new Float32Array(outputLength);
  const wholeStep = Math.floor(down / up);
  const fractionStep = down % up;
  const inputLength = input.length;
  let whole = 0;
  let fraction = 0;
  for (let index = 0; index < outputLength; index += 1) {
    let phase = phases === up ? fraction : Math.round((fraction * phases) / up);
    let base = whole - halfTaps + 1;
    if (phase === phases) {
      phase = 0;
      base += 1;
    }
    const offset = phase * taps;
    let sum = 0;
    if (base >= 0 && base + taps <= inputLength) {
      // Two running sums (taps is even) let the CPU overlap the multiply-adds: about twice as fast.
      let other = 0;
      for (let tap = 0; tap < taps; tap += 2) {
        sum += input[base + tap]! * bank[offset + tap]!;
        other += input[base + tap + 1]! * bank[offset + tap + 1]!;
      }
      sum += other;
    } else {
      const first = Math.max(0, -base);
      const last = Math.min(taps, inputLength - base);
      for (let tap = first; tap < last; tap += 1) sum += input[base + tap]! * bank[offset + tap]!;
    }
    output[index] = sum;
    whole += wholeStep;
    fraction += fractionStep;
    if (fraction >= up) {
      fraction -= up;
      whole += 1;
    }
  }
  return output;
}

// ---------------------------------------------------------------------------------------------
// Stage 2: sharp low-pass and decimation by two, by FFT overlap-save

/** fft.js instances (twiddle and bit-reversal tables) per transform size, shared by all stages. */
const fftCache = new Map<number, FFT>();

function fftOf(size: number): FFT {
  let fft = fftCache.get(size);
  if (!fft) {
    fft = new FFT(size);
    fftCache.set(size, fft);
  }
  return fft;
}

interface SharpStage {
  /** The FIR has 2·halfLength + 1 taps. */
  readonly halfLength: number;
  /** Block length of the overlap-save convolution, a power of two. */
  readonly size: number;
  /** Real forward transform of `size` samples. */
  readonly fft: FFT;
  /** Complex inverse transform of `size / 2` points, for the decimated block. */
  readonly halfFft: FFT;
  /** The FIR's spectrum, bins 0..size/2 interleaved re/im, halved so that folding needs no extra scaling. */
  readonly response: Float64Array;
}

const sharpCache = new Map<string, SharpStage>();

function sharpStage(fromRate: number, toRate: number): SharpStage {
  const bandEdge = Math.min(fromRate, toRate) / 2;
  const key = `${bandEdge}:${toRate}`;
  const cached = sharpCache.get(key);
  if (cached) return cached;
  const rate = 2 * toRate;
  const passEdge = PASSBAND_FRACTION * bandEdge;
  const halfLength = Math.ceil(kaiserLength(rate, bandEdge - passEdge) / 2);
  const cutoff = (passEdge + bandEdge) / 2 / rate;
  let size = 1024;
  while (size < 16 * halfLength) size *= 2;
  const fft = fftOf(size);
  const kernel = new Float64Array(size);
  let sum = 0;
  for (let tap = -halfLength; tap <= halfLength; tap += 1) {
    kernel[tap + halfLength] = kaiserSinc(tap, cutoff, halfLength + 1);
    sum += kernel[tap + halfLength]!;
  }
  for (let tap = 0; tap <= 2 * halfLength; tap += 1) kernel[tap]! /= sum;
  // realTransform fills bins 0..size/2 but uses the whole complex array as scratch.
  const spectrum = new Float64Array(2 * size);
  fft.realTransform(spectrum, kernel);
  const response = new Float64Array(size + 2);
  for (let index = 0; index < response.length; index += 1) response[index] = spectrum[index]! * 0.5;
  return remember(sharpCache, key, { halfLength, size, fft, halfFft: fftOf(size / 2), response });
}

function lowPassAndHalve(input: Float32Array, stage: SharpStage, outputLength: number): Float32Array {
  const { halfLength, size, fft, halfFft, response } = stage;
  const half = size / 2;
  const quarter = size / 4;
  const hop = size - 2 * halfLength;
  const block = new Float64Array(size);
  // Interleaved re/im: the block's spectrum (bins 0..half filled), the folded half-rate spectrum
  // and the half-rate block it transforms back to (real parts at even indices).
  const spectrum = new Float64Array(2 * size);
  const folded = new Float64Array(size);
  const halved = new Float64Array(size);
  const output = new Float32Array(outputLength);
  // A block starting at input sample `start` yields, after circular convolution, valid full-rate
  // outputs from index 2·halfLength on, centred halfLength earlier; even ones are kept.
  for (let start = -halfLength; ; start += hop) {
    const firstOutput = (start + halfLength) / 2;
    if (firstOutput >= outputLength) break;
    const from = Math.max(0, -start);
    const to = Math.min(size, input.length - start);
    if (from > 0 || to < size) block.fill(0);
    for (let index = from; index < to; index += 1) block[index] = input[start + index]!;
    fft.realTransform(spectrum, block);
    // Decimating by two adds each bin to its mirror about a quarter of the block rate; the
    // result is Hermitian, so bins 0..quarter determine it and completeSpectrum mirrors the rest.
    for (let bin = 0; bin <= quarter; bin += 1) {
      const re = 2 * bin;
      const im = re + 1;
      const mirrorRe = 2 * (half - bin);
      const mirrorIm = mirrorRe + 1;
      const productRe = spectrum[re]! * response[re]! - spectrum[im]! * response[im]!;
      const productIm = spectrum[re]! * response[im]! + spectrum[im]! * response[re]!;
      const mirrorProductRe = spectrum[mirrorRe]! * response[mirrorRe]! - spectrum[mirrorIm]! * response[mirrorIm]!;
      const mirrorProductIm = spectrum[mirrorRe]! * response[mirrorIm]! + spectrum[mirrorIm]! * response[mirrorRe]!;
      folded[re] = productRe + mirrorProductRe;
      folded[im] = productIm - mirrorProductIm;
    }
    halfFft.completeSpectrum(folded);
    halfFft.inverseTransform(halved, folded);
    const count = Math.min(half - halfLength, outputLength - firstOutput);
    for (let index = 0; index < count; index += 1) output[firstOutput + index] = halved[2 * (halfLength + index)]!;
  }
  return output;
}
