export interface SynthesizeRequest {
  /** Plain text already normalised for speech (numbers, units and symbols written out). */
  readonly text: string;
  /** ISO 639-1 code of the text, e.g. `en`, `zh`. */
  readonly language: string;
  /** Words per minute; the voice's own default when absent. Screen-reader users often listen fast. */
  readonly wordsPerMinute?: number;
  readonly signal?: AbortSignal;
}

/**
 * Mono PCM, as the voice made it. Encoding (Ogg/Opus for voice notes) is the core's job, so every
 * backend gets the same container, duration and waveform.
 */
export interface SynthesizedSpeech {
  /** Samples from -1 to 1. */
  readonly samples: Float32Array;
  readonly sampleRate: number;
}

/**
 * Text to speech for voice replies, one interface for every voice (espeak-ng, a neural voice).
 * Failures are thrown as `ModelError` (`unavailable` when the engine is missing, `aborted`).
 */
export interface SpeechSynthesizer {
  /** For logs and the bench, e.g. `espeak-ng`, `piper:en_US-lessac-medium`. */
  readonly id: string;
  /** Whether this voice speaks the language (ISO 639-1); a caller may pick another voice for it. */
  speaks(language: string): boolean;
  synthesize(request: SynthesizeRequest): Promise<SynthesizedSpeech>;
  /** Loads what the first reply would otherwise wait for. */
  warmUp?(): Promise<void>;
}
