/**
 * Why a voice note could not be turned into samples. The caller turns `kind` and `details` into a
 * kind, specific message in the user's language; `message` is English, for logs only, and never
 * holds audio content.
 */
export type AudioErrorKind = 'empty' | 'too-large' | 'unsupported-format' | 'corrupt' | 'too-long';

export class AudioError extends Error {
  override readonly name = 'AudioError';
  readonly kind: AudioErrorKind;
  /**
   * Facts for the user message: `{ seconds, maxSeconds }` for too-long, `{ bytes, maxBytes }` for
   * too-large, `{ format }` for unsupported-format (a short human name like 'AAC', 'FLAC', 'video'
   * when recognised; absent when the bytes mean nothing to us).
   */
  readonly details: Readonly<Record<string, string | number>>;

  constructor(kind: AudioErrorKind, message: string, details: Readonly<Record<string, string | number>> = {}, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
    this.details = Object.freeze({ ...details });
  }
}

export function isAudioError(error: unknown): error is AudioError {
  return error instanceof AudioError;
}
