import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type { Logger } from '../../log.js';
import { ModelError } from '../model-error.js';
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
  private readonly slots: Array<() => void> = [];
  private inFlight = 0;

  constructor(private readonly options: OpenAiModelOptions) {
    this.id = `openai:${options.model}`;
    this.capabilities = { maxImages: options.maxImages ?? 4 };
    // The SDK's own retries are off: it would also retry a stream that already produced text.
    this.client = new OpenAI({ baseURL: options.baseUrl, apiKey: options.apiKey ?? 'none', maxRetries: 0, timeout: options.timeoutMs });
  }

  /** One start-up log line: whether the server lists the model. A warning only; the host may come up later. */
  async checkServer(): Promise<void> {
    try {
      const names: string[] = [];
      for await (const model of this.client.models.list()) names.push(model.id);
      if (names.includes(this.options.model)) this.options.logger.info({ model: this.options.model }, 'the model server lists the configured model');
      else this.options.logger.warn({ model: this.options.model, served: names.slice(0, 10) }, 'the model server does not list VLM_MODEL');
    } catch (error) {
      this.options.logger.warn({ err: describe(error) }, 'the model server is not reachable yet');
    }
  }

  async *generate(request: GenerateRequest): AsyncGenerator<GenerateStreamPart> {
    await this.acquire();
    try {
      yield* this.generateWithRetries(request);
    } finally {
      this.release();
    }
  }

  private async *generateWithRetries(request: GenerateRequest): AsyncGenerator<GenerateStreamPart> {
    const messages = toOpenAiMessages(request.messages, this.capabilities.maxImages);
    const attempts = this.options.attempts ?? 4;
    for (let attempt = 1; ; attempt += 1) {
      let received = false;
      try {
        for await (const part of this.streamOnce(request, messages)) {
          received = true;
          yield part;
        }
        return;
      } catch (raw) {
        const error = toModelError(raw, request.signal);
        if (received || !error.isRetryable || attempt >= attempts || request.signal?.aborted) throw error;
        const wait = error.retryAfterMs ?? (this.options.backoffMs ?? defaultBackoff)(attempt);
        this.options.logger.info({ attempt, waitMs: wait, err: describe(raw) }, 'model server failed before the first token; retrying');
        await sleep(wait, request.signal);
      }
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

  private async acquire(): Promise<void> {
    if (this.inFlight < this.options.concurrency) {
      this.inFlight += 1;
      return;
    }
    await new Promise<void>((resolve) => this.slots.push(resolve));
  }

  private release(): void {
    const next = this.slots.shift();
    if (next) next();
    else this.inFlight -= 1;
  }
}

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
    const retryAfter = Number(error.headers?.get('retry-after'));
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    return new ModelError(retryable || status === 404 || status === 401 || status === 403 ? 'unavailable' : 'failed', `The model server answered ${status}.`, {
      isRetryable: retryable,
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
      cause: error,
    });
  }
  return new ModelError('failed', 'The model request failed.', { cause: error });
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function defaultBackoff(attempt: number): number {
  return Math.min(500 * 2 ** (attempt - 1), 8000);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
