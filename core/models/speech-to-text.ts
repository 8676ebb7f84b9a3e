export interface TranscribeRequest {
  /** Encoded audio exactly as received (e.g. OGG/Opus voice notes). */
  readonly audio: Uint8Array;
  readonly mediaType: string;
  /** ISO 639-1 code the user pinned; auto-detect when absent. */
  readonly language?: string;
  readonly signal?: AbortSignal;
}

export interface Transcript {
  readonly text: string;
  /** ISO 639-1 code, pinned or detected. */
  readonly language: string;
  readonly durationSeconds: number;
}

/** Speech to text. Failures are thrown as `ModelError`. */
export interface SpeechToText {
  readonly id: string;
  transcribe(request: TranscribeRequest): Promise<Transcript>;
}
