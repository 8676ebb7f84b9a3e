export interface SynthesizeRequest {
  readonly text: string;
  /** ISO 639-1 code of the text. */
  readonly language: string;
  readonly signal?: AbortSignal;
}

export interface SynthesizedSpeech {
  readonly audio: Uint8Array;
  /** e.g. `audio/ogg` (Opus) so platforms can send it as a voice note. */
  readonly mediaType: string;
  readonly durationSeconds: number;
}

/** Text to speech for voice replies. Failures are thrown as `ModelError`. */
export interface SpeechSynthesizer {
  readonly id: string;
  synthesize(request: SynthesizeRequest): Promise<SynthesizedSpeech>;
}
