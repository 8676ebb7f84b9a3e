export interface TranscribeRequest {
  /**
   * Mono PCM at 16 kHz, as `core/audio` decodes it. Decoding, limits and silence are checked once
   * in the core, so every backend hears the same audio and the user the same messages.
   */
  readonly samples: Float32Array;
  /** ISO 639-1 code the user pinned; detected from the audio when absent. */
  readonly language?: string;
  readonly signal?: AbortSignal;
}

export interface Transcript {
  readonly text: string;
  /** ISO 639-1 code, pinned or detected. */
  readonly language: string;
  readonly durationSeconds: number;
}

/** Speech to text. One module per backend implements it; failures are thrown as `ModelError`. */
export interface SpeechToText {
  readonly id: string;
  transcribe(request: TranscribeRequest): Promise<Transcript>;
  dispose?(): Promise<void>;
}

/** The sample rate every speech backend takes. */
export const SPEECH_SAMPLE_RATE = 16_000;
