import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type { Logger } from '../../log.js';
import { exponentialBackoff, parseRetryAfter, retryWithBackoff, Semaphore } from '../../util/index.js';
import { isModelError, ModelError } from '../model-error.js';
import type { GenerateRequest, GenerateStreamPart, VisionLanguageCapabilities, VisionLanguageModel } from '../vision-language-model.js';
import { toOpenAiMessages } from './openai-messages.js';

export interface OpenAiModelOptions {
  /** e.g. `http://gpu-host:8000/v1`. */
  readonly baseUrl: string;
  readonly apiKey?: string;
  /** The served model's name. */
  readonly model: string;
  /** Longest wait for the first chunk, and between two chunks. */
  readonly timeoutMs: number;
  /** Requests in flight at once; more wait their turn. */
  readonly concurrency: number;
  readonly maxImages?: number;
  readonly attempts?: number;
  readonly backoffMs?: (attempt: number) => number;
  readonly logger: Logger;
}

/**
 * A vision-language model served over the OpenAI chat-completions API (vLLM, Ollama, llama.cpp).
 * This module is the one owner of retries for it: connection errors, 429 and 5xx are retried with
 * backoff only before the first token, so the user never hears part of an answer twice.
 */
export class OpenAiVisionModel implements VisionLanguageModel {
  readonly id: string;
  readonly capabilities: VisionLanguageCapabilities;
  private readonly client: OpenAI;
  private readonly slots: Semaphore;

  constructor(private readonly options: OpenAiModelOptions) {
    this.id = `openai:${options.model}`;
    this.capabilities = { maxImages: options.maxImages ?? 4 };
    this.slots = new Semaphore(options.concurrency);
    // The SDK's own retries are off: it would also retry a stream that already produced text.
    this.client = new OpenAI({ baseURL: options.baseUrl, apiKey: options.apiKey ?? 'none', maxRetries: 0, timeout: options.timeoutMs });
  }

  /** One start-up log line: whether the server lists the model. A warning only; the host may come up later. */
  async checkServer(): Promise<void> {
    try {
      const names: string[] = [];
      for await (const model of this.client.models.list()) names.push(model.id);
      if (names.includes(this.options.model)) this.options.logger.info({ model: this.options.model }, 'the model server lists the configured model');
      else this.options.logger.warn({ model: this.options.model, served: names.slice(0, 10) }, 'the model server does not list the configured model');
    } catch (error) {
      this.options.logger.warn({ err: describe(error) }, 'the model server is not reachable yet');
    }
  }

  async *generate(request: GenerateRequest): AsyncGenerator<GenerateStreamPart> {
    const release = await this.slots.acquire();
    try {
      yield* await this.startWithRetries(request);
    } finally {
      release();
    }
  }

  /** Only opening the stream is retried, up to its first part: after that the user has heard text. */
  private async startWithRetries(request: GenerateRequest): Promise<AsyncGenerator<GenerateStreamPart>> {
    const messages = toOpenAiMessages(request.messages, this.capabilities.maxImages);
    const { signal } = request;
    try {
      return await retryWithBackoff(() => startStream(this.streamOnce(request, messages), signal), {
        attempts: this.options.attempts ?? 4,
        backoffMs: this.options.backoffMs ?? exponentialBackoff,
        shouldRetry: (error) => isModelError(error) && error.isRetryable,
        retryAfterMs: (error) => (isModelError(error) ? error.retryAfterMs : undefined),
        signal,
        onRetry: ({ attempt, waitMs, error }) =>
          this.options.logger.info({ attempt, waitMs, err: describe(causeOf(error)) }, 'model server failed before the first token; retrying'),
      });
    } catch (error) {
      // Cancelled while waiting to retry: the last failure is not what the caller needs to hear.
      if (signal?.aborted && !(isModelError(error) && error.kind === 'aborted')) {
        throw new ModelError('aborted', 'The request was cancelled.', { cause: error });
      }
      throw error;
    }
  }

  private async *streamOnce(request: GenerateRequest, messages: ReturnType<typeof toOpenAiMessages>): AsyncGenerator<GenerateStreamPart> {
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    request.signal?.addEventListener('abort', abort, { once: true });
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        controller.abort();
      }, this.options.timeoutMs);
    };
    arm();
    try {
      const stream = await this.client.chat.completions.create(
        { model: this.options.model, messages, stream: true, max_tokens: request.maxOutputTokens, ...(request.temperature === undefined ? {} : { temperature: request.temperature }) },
        { signal: controller.signal },
      );
      let reason: string | null | undefined;
      let outputTokens = 0;
      for await (const chunk of stream) {
        arm();
        const choice = chunk.choices[0];
        const text = choice?.delta?.content;
        if (text) {
          outputTokens += 1;
          yield { type: 'text-delta', text };
        }
        reason = choice?.finish_reason ?? reason;
      }
      // The SDK ends a stream quietly when it is aborted or cut; only a finish reason means complete.
      if (stalled) throw new ModelError('timeout', `No data from the model server for ${this.options.timeoutMs} ms.`);
      if (request.signal?.aborted) throw new ModelError('aborted', 'The request was cancelled.');
      if (!reason) throw new ModelError('unavailable', 'The model server ended the stream early.', { isRetryable: true });
      yield { type: 'finish', reason: reason === 'length' ? 'length' : 'stop', usage: { outputTokens } };
    } catch (error) {
      if (stalled) throw new ModelError('timeout', `No data from the model server for ${this.options.timeoutMs} ms.`, { cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', abort);
    }
  }
}

/**
 * Waits for a stream's first part, so that everything up to it can be retried, and hands back a
 * stream that replays it and continues. Every failure comes out as a ModelError.
 */
async function startStream(stream: AsyncGenerator<GenerateStreamPart>, signal: AbortSignal | undefined): Promise<AsyncGenerator<GenerateStreamPart>> {
  let first: IteratorResult<GenerateStreamPart>;
  try {
    first = await stream.next();
  } catch (error) {
    throw toModelError(error, signal);
  }
  return (async function* continued(): AsyncGenerator<GenerateStreamPart> {
    try {
      if (first.done) return;
      yield first.value;
      yield* stream;
    } catch (error) {
      throw toModelError(error, signal);
    } finally {
      // A consumer that stops early must still close the request and its stall timer.
      await stream.return(undefined);
    }
  })();
}

const UNKNOWN_MODEL = /model_not_found|\bmodel\b.*\b(does not exist|not found|unknown|no such)\b/is;

function toModelError(error: unknown, signal: AbortSignal | undefined): ModelError {
  if (error instanceof ModelError) return error;
  if (error instanceof APIUserAbortError || signal?.aborted) return new ModelError('aborted', 'The request was cancelled.', { cause: error });
  if (error instanceof APIConnectionError) {
    return new ModelError('unavailable', 'The model server is not reachable.', { isRetryable: true, cause: error });
  }
  if (error instanceof APIError) {
    const status = error.status ?? 0;
    if (status === 400 && /context|too long|maximum.*tokens/i.test(error.message)) {
      return new ModelError('context-length', 'The prompt does not fit the model.', { cause: error });
    }
    // vLLM, Ollama and OpenAI answer 404 naming the model; a 404 without it is a wrong path in VLM_BASE_URL.
    if (status === 404 && UNKNOWN_MODEL.test(error.message)) {
      return new ModelError('unknown-model', `The model server does not have the configured model: ${error.message}`, { cause: error });
    }
    const retryAfterMs = parseRetryAfter(error.headers?.get('retry-after'));
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    return new ModelError(retryable || status === 404 || status === 401 || status === 403 ? 'unavailable' : 'failed', `The model server answered ${status}.`, {
      isRetryable: retryable,
      ...(retryAfterMs ? { retryAfterMs } : {}),
      cause: error,
    });
  }
  return new ModelError('failed', 'The model request failed.', { cause: error });
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The SDK's error behind a ModelError says more in the log (a refused connection, a status). */
function causeOf(error: unknown): unknown {
  return isModelError(error) && error.cause !== undefined ? error.cause : error;
}
