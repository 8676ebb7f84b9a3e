/**
 * The one error the model installer raises. Its message is a single plain line meant for the person
 * running the command; `kind` lets the command line pick an exit code and the retry loop decide
 * whether another attempt may help.
 */
export type ModelInstallErrorKind =
  /** The preset or installed model named does not exist. */
  | 'unknown-model'
  /** The Hub refused access: a token (HF_TOKEN) is missing or not good enough. */
  | 'unauthorized'
  /** The repository, revision or file does not exist on the Hub. */
  | 'not-found'
  /** The connection failed, stalled or was cut; resuming later may work. */
  | 'network'
  /** The bytes received do not match the size or checksum the Hub lists. */
  | 'checksum'
  /** The caller stopped the operation. */
  | 'aborted'
  /** Anything else: a refused path, an answer the Hub should never give, a bad setting. */
  | 'invalid';

export class ModelInstallError extends Error {
  override readonly name = 'ModelInstallError';
  readonly isRetryable: boolean;
  /** How long the Hub asked us to wait before trying again (its Retry-After), when it did. */
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly kind: ModelInstallErrorKind,
    message: string,
    options: { isRetryable?: boolean; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.isRetryable = options.isRetryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isModelInstallError(error: unknown): error is ModelInstallError {
  return error instanceof ModelInstallError;
}
