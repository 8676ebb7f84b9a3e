import { hearQuestion, languageName, messagesFor, readLocalFile, type Logger, type VoiceDependencies } from '../../core/index.js';

export interface TranscribeOnceOptions {
  readonly voice: VoiceDependencies;
  readonly audioPath: string;
  /** ISO 639-1 code to pin; detected from the audio when absent. */
  readonly language?: string;
  readonly output: NodeJS.WritableStream;
  readonly errors: NodeJS.WritableStream;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

/**
 * `transcribe note.ogg`: prints what the speech model heard, then its language, and returns the
 * exit code. Bad audio gets the same message a chat user would get, on standard error.
 */
export async function transcribeOnce(options: TranscribeOnceOptions): Promise<number> {
  const { voice, audioPath } = options;
  const heard = await hearQuestion(
    { fetch: () => readLocalFile(audioPath, voice.limits.maxBytes) },
    {
      voice,
      language: options.language,
      messages: messagesFor('en'),
      log: options.logger,
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  if (!heard.heard) {
    if (heard.aborted) {
      options.errors.write('Stopped.\n');
      return 130;
    }
    options.errors.write(`${heard.text}\n`);
    return 1;
  }
  const { text, language } = heard.transcript;
  options.output.write(`${text}\n`);
  options.output.write(`Language: ${languageName(language)} (${language})\n`);
  return 0;
}
