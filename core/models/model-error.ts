/**
 * One error type for every model backend, so the core can tell the user something useful and the
 * single retry helper knows whether another attempt may help.
 */
export type ModelErrorKind =
  /** The backend is not installed, not configured or not reachable. */
  | 'unavailable'
  /** The server answers but does not have the model the settings name: a setting to fix, not a retry. */
  | 'unknown-model'
  /** The request asked for something the model cannot take (e.g. an image for a text-only model). */
  | 'unsupported-input'
  /** The prompt did not fit the model's context. */
  | 'context-length'
  /** The caller aborted the request. */
  | 'aborted'
  /** The model took longer than allowed and was stopped. */
  | 'timeout'
  /** Anything else that went wrong while the model ran. */
  | 'failed';

export interface ModelErrorOptions {
  readonly isRetryable?: boolean;
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

export class ModelError extends Error {
  override readonly name = 'ModelError';
  readonly isRetryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    options: ModelErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.isRetryable = options.isRetryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isModelError(error: unknown): error is ModelError {
  return error instanceof ModelError;
}
