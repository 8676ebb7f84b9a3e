/**
 * How loud a note is, to tell "nothing was said" apart from speech before spending a speech model
 * on it: on silence, speech models tend to invent words ("Thank you for watching").
 */

export interface Loudness {
  /** Loudest sample; digital silence reads as SILENCE_FLOOR_DBFS. */
  readonly peakDbfs: number;
  /** Over the whole note. */
  readonly rmsDbfs: number;
  /** seconds of 30 ms frames louder than the speech threshold */
  readonly activeSeconds: number;
}

/**
 * A 30 ms frame counts as active above this RMS level. Speech recorded on a phone sits around
 * -35 to -15 dBFS and a quiet room's noise floor around -65 to -55 dBFS; -50 keeps a soft-spoken
 * or distant voice while leaving 10 dB of margin over a quiet room's hiss.
 */
export const SPEECH_THRESHOLD_DBFS = -50;
/** Less active audio than this (a syllable or two) is treated as nothing said. */
export const MIN_ACTIVE_SECONDS = 0.3;
export const SILENCE_FLOOR_DBFS = -120;

const FRAME_SECONDS = 0.03;

export function measureLoudness(samples: Float32Array, sampleRate: number): Loudness {
  let peak = 0;
  let squares = 0;
  for (const sample of samples) {
    const magnitude = Math.abs(sample);
    if (magnitude > peak) peak = magnitude;
    squares += sample * sample;
  }
  const frameLength = Math.max(1, Math.round(FRAME_SECONDS * sampleRate));
  const threshold = 10 ** (SPEECH_THRESHOLD_DBFS / 20);
  let activeFrames = 0;
  for (let start = 0; start + frameLength <= samples.length; start += frameLength) {
    // The frame's mean is taken out so a microphone's DC offset does not pass for sound.
    let sum = 0;
    let sumOfSquares = 0;
    for (let index = start; index < start + frameLength; index += 1) {
      sum += samples[index]!;
      sumOfSquares += samples[index]! * samples[index]!;
    }
    const mean = sum / frameLength;
    const variance = Math.max(0, sumOfSquares / frameLength - mean * mean);
    if (Math.sqrt(variance) > threshold) activeFrames += 1;
  }
  return {
    peakDbfs: toDbfs(peak),
    rmsDbfs: toDbfs(samples.length === 0 ? 0 : Math.sqrt(squares / samples.length)),
    activeSeconds: (activeFrames * frameLength) / sampleRate,
  };
}

/** True when there is nothing a speech model could hear: under 0.3 s of frames above -50 dBFS RMS. */
export function isSilent(loudness: Loudness): boolean {
  return loudness.activeSeconds < MIN_ACTIVE_SECONDS;
}

function toDbfs(amplitude: number): number {
  return amplitude > 0 ? Math.max(SILENCE_FLOOR_DBFS, 20 * Math.log10(amplitude)) : SILENCE_FLOOR_DBFS;
}
