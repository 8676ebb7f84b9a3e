import { ModelError } from '../model-error.js';
import { delay } from '../../util/index.js';
import { SPEECH_SAMPLE_RATE, type SpeechToText, type TranscribeRequest, type Transcript } from '../speech-to-text.js';

/** What the double answers: a fixed transcript, or one computed from the request. */
export type SpeechScript =
  | { readonly text: string; readonly language?: string; readonly failWith?: ModelError; readonly delayMs?: number }
  | ((request: TranscribeRequest) => { text: string; language?: string });

/**
 * A recording test double for the speech-to-text contract: it keeps every request (the decoded
 * samples included), so tests can check what the core decoded and which language it pinned.
 */
export class ScriptedSpeechModel implements SpeechToText {
  readonly id = 'scripted-speech';
  readonly requests: TranscribeRequest[] = [];

  constructor(private readonly script: SpeechScript = { text: 'What is in this photo?' }) {}

  async transcribe(request: TranscribeRequest): Promise<Transcript> {
    this.requests.push(request);
    const durationSeconds = request.samples.length / SPEECH_SAMPLE_RATE;
    if (typeof this.script === 'function') {
      const result = this.script(request);
      return { text: result.text, language: request.language ?? result.language ?? 'en', durationSeconds };
    }
    if (this.script.delayMs) await delay(this.script.delayMs, request.signal);
    if (request.signal?.aborted) throw new ModelError('aborted', 'Transcription was cancelled.');
    if (this.script.failWith) throw this.script.failWith;
    return { text: this.script.text, language: request.language ?? this.script.language ?? 'en', durationSeconds };
  }
}
