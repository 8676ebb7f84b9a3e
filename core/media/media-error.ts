/**
 * Why a photo or file could not be used. The caller turns `kind` (and `details`) into a kind,
 * specific message in the user's language; `message` is English, for logs only, and never holds
 * image content or file paths (a file name like "biopsy-result.jpg" can be private).
 */
export type MediaErrorKind =
  | 'not-found'
  | 'not-a-file'
  | 'empty'
  | 'too-large'
  | 'too-many-pixels'
  | 'not-an-image'
  | 'unsupported-format'
  | 'corrupt'
  /** The platform did not hand the file over (a failed download, an expired link). */
  | 'download-failed';

/** Numbers the user message may quote, e.g. "the limit is 20 MB, your file is 31 MB". */
export interface MediaErrorDetails {
  readonly limitBytes?: number;
  readonly actualBytes?: number;
  readonly width?: number;
  readonly height?: number;
  readonly limitPixels?: number;
  /** Short lower-case format name when known: 'jpeg', 'heic', 'svg', 'pdf', ... */
  readonly format?: string;
}

export class MediaError extends Error {
  override readonly name = 'MediaError';
  readonly kind: MediaErrorKind;
  readonly details: MediaErrorDetails | undefined;

  constructor(kind: MediaErrorKind, message: string, details?: MediaErrorDetails, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
    this.details = details;
  }
}

export function isMediaError(error: unknown): error is MediaError {
  return error instanceof MediaError;
}
