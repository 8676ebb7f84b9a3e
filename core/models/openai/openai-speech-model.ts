import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, toFile } from 'openai';
import { silentLogger, type Logger } from '../../log.js';
import { exponentialBackoff, parseRetryAfter, retryWithBackoff } from '../../util/index.js';
import { isModelError, ModelError } from '../model-error.js';
import { SPEECH_SAMPLE_RATE, type SpeechToText, type TranscribeRequest, type Transcript } from '../speech-to-text.js';
import { guessLanguage, languageCode } from './openai-speech-languages.js';
import { encodePcm16Wav } from './openai-speech-wav.js';

export interface OpenAiSpeechOptions {
  /** e.g. `http://gpu-host:8001/v1`; requests go to `${baseUrl}/audio/transcriptions`. */
  readonly baseUrl: string;
  readonly apiKey?: string;
  /** The served model's name, e.g. `openai/whisper-large-v3-turbo`. */
  readonly model: string;
  /** Longest wait for one request's answer, upload included; a request past it is stopped, not retried. */
  readonly timeoutMs: number;
  /** Further tries after a connection error, 429 or 5xx; 3 unless told. */
  readonly maxRetries?: number;
  readonly backoffMs?: (attempt: number) => number;
  readonly logger?: Logger;
}

type ResponseFormat = 'verbose_json' | 'json';

/**
 * Whisper served over the OpenAI transcriptions API (vLLM, faster-whisper servers, whisper.cpp's
 * server). The core has already decoded, measured and checked the note, so this module only sends
 * the samples and reads the answer; it is the one owner of retries for it.
 */
export class OpenAiSpeechModel implements SpeechToText {
  readonly id: string;
  private readonly client: OpenAI;
  private readonly logger: Logger;
  /** verbose_json carries the detected language; cleared for good once the server refuses it. */
  private verbose = true;

  constructor(private readonly options: OpenAiSpeechOptions) {
    this.id = `openai:${options.model}`;
    this.logger = options.logger ?? silentLogger();
    // The SDK's own retries are off: this module owns them, so a cancelled turn stops between tries and each is logged.
    this.client = new OpenAI({ baseURL: options.baseUrl, apiKey: options.apiKey ?? 'none', maxRetries: 0, timeout: options.timeoutMs });
  }

  /** One start-up log line: whether the server lists the model. A warning only; the host may come up later. */
  async checkServer(): Promise<void> {
    try {
      const names: string[] = [];
      for await (const model of this.client.models.list()) names.push(model.id);
      if (names.includes(this.options.model)) this.logger.info({ model: this.options.model }, 'the speech server lists the configured model');
      else this.logger.warn({ model: this.options.model, served: names.slice(0, 10) }, 'the speech server does not list the configured model');
    } catch (error) {
      // whisper.cpp's server has no model list; only transcribing tells whether it works.
      if (error instanceof APIError && error.status === 404) this.logger.info('the speech server does not list its models; the model name is not checked');
      else this.logger.warn({ err: describe(error) }, 'the speech server is not reachable yet');
    }
  }

  async transcribe(request: TranscribeRequest): Promise<Transcript> {
    const { signal } = request;
    if (signal?.aborted) throw new ModelError('aborted', 'Transcription was cancelled before it started.');
    const file = await toFile(encodePcm16Wav(request.samples, SPEECH_SAMPLE_RATE), 'voice.wav', { type: 'audio/wav' });
    try {
      return await retryWithBackoff(() => this.transcribeOnce(request, file), {
        attempts: (this.options.maxRetries ?? 3) + 1,
        backoffMs: this.options.backoffMs ?? exponentialBackoff,
        shouldRetry: (error) => isModelError(error) && error.isRetryable,
        retryAfterMs: (error) => (isModelError(error) ? error.retryAfterMs : undefined),
        signal,
        onRetry: ({ attempt, waitMs, error }) => this.logger.info({ attempt, waitMs, err: describe(causeOf(error)) }, 'speech server failed; retrying'),
      });
    } catch (error) {
      // Cancelled while waiting to retry: the last failure is not what the caller needs to hear.
      if (signal?.aborted && !(isModelError(error) && error.kind === 'aborted')) {
        throw new ModelError('aborted', 'Transcription was cancelled.', { cause: error });
      }
      throw error;
    }
  }

  private async transcribeOnce(request: TranscribeRequest, file: File): Promise<Transcript> {
    if (!this.verbose) return this.post(request, file, 'json');
    try {
      return await this.post(request, file, 'verbose_json');
    } catch (error) {
      if (!refusesFormat(error)) throw error;
      // Older vLLM answers 400 "only support response_format `text` or `json`": ask plainly from now on.
      this.verbose = false;
      this.logger.info('the speech server does not offer verbose_json; the language is guessed from the transcript unless pinned');
      return this.post(request, file, 'json');
    }
  }

  private async post(request: TranscribeRequest, file: File, format: ResponseFormat): Promise<Transcript> {
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    request.signal?.addEventListener('abort', abort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    try {
      const answer: unknown = await this.client.audio.transcriptions.create(
        {
          file,
          model: this.options.model,
          response_format: format,
          temperature: 0,
          ...(request.language ? { language: request.language } : {}),
        },
        { signal: controller.signal },
      );
      return this.read(answer, request);
    } catch (error) {
      if (error instanceof ModelError) throw error;
      if (timedOut || error instanceof APIConnectionTimeoutError) {
        throw new ModelError('timeout', `The speech server did not answer within ${this.options.timeoutMs} ms.`, { cause: error });
      }
      throw toModelError(error, request.signal);
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', abort);
    }
  }

  private read(answer: unknown, request: TranscribeRequest): Transcript {
    // A server may answer plain text whatever was asked; an object without text is no transcript.
    const fields = typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>) : {};
    const text = typeof answer === 'string' ? answer : fields.text;
    if (typeof text !== 'string') throw new ModelError('failed', 'The speech server answered without a transcript.');
    const trimmed = text.trim();
    const duration = fields.duration;
    return {
      text: trimmed,
      language: request.language ?? languageCode(fields.language) ?? guessLanguage(trimmed),
      durationSeconds: typeof duration === 'number' && Number.isFinite(duration) && duration > 0 ? duration : request.samples.length / SPEECH_SAMPLE_RATE,
    };
  }
}

/** 400 or 422 naming the format: the server lacks verbose_json, and json will do. */
function refusesFormat(error: unknown): boolean {
  const cause = isModelError(error) ? error.cause : error;
  return cause instanceof APIError && (cause.status === 400 || cause.status === 422) && /response_format|verbose_json/i.test(cause.message);
}

const UNKNOWN_MODEL = /model_not_found|\bmodel\b.*\b(does not exist|not found|unknown|no such)\b/is;

function toModelError(error: unknown, signal: AbortSignal | undefined): ModelError {
  if (error instanceof APIUserAbortError || signal?.aborted) return new ModelError('aborted', 'Transcription was cancelled.', { cause: error });
  if (error instanceof APIConnectionError) {
    return new ModelError('unavailable', 'The speech server is not reachable.', { isRetryable: true, cause: error });
  }
  if (error instanceof APIError) {
    const status = error.status ?? 0;
    // vLLM and faster-whisper servers answer 404 naming the model; a 404 without it is a wrong path in STT_BASE_URL.
    if (status === 404 && UNKNOWN_MODEL.test(error.message)) {
      return new ModelError('unknown-model', `The speech server does not have the configured model: ${error.message}`, { cause: error });
    }
    const retryAfterMs = parseRetryAfter(error.headers?.get('retry-after'));
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    return new ModelError(retryable || status === 404 || status === 401 || status === 403 ? 'unavailable' : 'failed', `The speech server answered ${status}.`, {
      isRetryable: retryable,
      ...(retryAfterMs ? { retryAfterMs } : {}),
      cause: error,
    });
  }
  return new ModelError('failed', 'The transcription request failed.', { cause: error });
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The SDK's error behind a ModelError says more in the log (a refused connection, a status). */
function causeOf(error: unknown): unknown {
  return isModelError(error) && error.cause !== undefined ? error.cause : error;
}
