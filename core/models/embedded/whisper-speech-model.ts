import {
  InterruptableStoppingCriteria,
  pipeline,
  type AutomaticSpeechRecognitionPipeline,
} from '@huggingface/transformers';
import './offline-transformers.js';
import { Semaphore } from '../../util/index.js';
import type { Logger } from '../../log.js';
import { ModelError } from '../model-error.js';
import { WHISPER_SESSIONS, type DeviceKind } from '../presets.js';
import { SPEECH_SAMPLE_RATE, type SpeechToText, type TranscribeRequest, type Transcript } from '../speech-to-text.js';
import { loadOnDevice, type DeviceSetting } from './device.js';
import { assertModelPresent, chooseDtypes, externalDataSessions, type ModelLocation, type SessionDtypes } from './model-folder.js';
import { WhisperLanguageDetector, type WhisperPrefixTokens } from './whisper-language.js';

export interface WhisperModelOptions {
  readonly location: ModelLocation;
  readonly device: DeviceSetting;
  readonly dtypes?: Partial<SessionDtypes>;
  /** A transcription running longer is stopped and reported as a timeout. */
  readonly timeoutMs: number;
  /** Per 30-second window; Whisper's decoder holds 448 positions in all. */
  readonly maxNewTokens?: number;
  readonly logger: Logger;
  readonly checkCuda?: () => string | undefined;
}

/** Options that only a benchmark needs: a fixed amount of decoding whatever random weights say. */
export interface WhisperBenchOptions {
  readonly minNewTokens?: number;
}

const WINDOW_SECONDS = 30;
// A word cut at a window edge is heard whole in the overlap; transformers.js merges the overlap.
const STRIDE_SECONDS = 5;
const DEFAULT_MAX_NEW_TOKENS = 224;

interface WhisperGenerationConfig {
  is_multilingual?: boolean;
  lang_to_id?: Record<string, number>;
  task_to_id?: Record<string, number>;
  no_timestamps_token_id?: number;
  begin_suppress_tokens?: number[];
}

/**
 * Whisper through transformers.js's `automatic-speech-recognition` pipeline on onnxruntime-node:
 * its feature extractor, tokenizer, generate loop and long-audio chunking. Adds what the pipeline
 * lacks: language detection (see whisper-language.ts), abort and a timeout. One transcription at
 * a time per loaded model, as with the vision model.
 */
export class WhisperSpeechModel implements SpeechToText {
  readonly id: string;
  private readonly queue = new Semaphore(1);
  private readonly languageByToken: Map<number, string>;
  private readonly prefix: WhisperPrefixTokens | undefined;

  private constructor(
    private readonly asr: AutomaticSpeechRecognitionPipeline,
    readonly device: DeviceKind,
    private readonly options: WhisperModelOptions,
  ) {
    this.id = `whisper:${options.location.preset?.name ?? options.location.folder}:${device}`;
    const config = asr.model.generation_config as WhisperGenerationConfig;
    this.languageByToken = new Map(
      Object.entries(config.lang_to_id ?? {}).map(([token, id]) => [id, token.replace(/^<\|(.+)\|>$/u, '$1')]),
    );
    const transcribe = config.task_to_id?.transcribe;
    this.prefix =
      config.is_multilingual && transcribe !== undefined && config.no_timestamps_token_id !== undefined && this.languageByToken.size > 0
        ? {
            languageTokenIds: [...this.languageByToken.keys()],
            transcribeTokenId: transcribe,
            noTimestampsTokenId: config.no_timestamps_token_id,
            beginSuppressTokenIds: config.begin_suppress_tokens ?? [],
          }
        : undefined;
  }

  /** Throws ModelFilesMissingError when files are missing, ModelError when they do not load. */
  static async load(options: WhisperModelOptions): Promise<WhisperSpeechModel> {
    const { location } = options;
    const started = performance.now();
    const { value, device } = await loadOnDevice(
      options.device,
      async (device) => {
        const dtypes = chooseDtypes(location, device, WHISPER_SESSIONS, options.dtypes);
        assertModelPresent(location, dtypes, device);
        return { asr: await loadPipeline(location.folder, dtypes, device), dtypes };
      },
      { logger: options.logger, ...(options.checkCuda ? { checkCuda: options.checkCuda } : {}) },
    );
    options.logger.info({ device, dtypes: value.dtypes, ms: Math.round(performance.now() - started) }, 'speech model loaded');
    return new WhisperSpeechModel(value.asr, device, options);
  }

  /** Languages the model knows, as ISO 639-1 codes (empty for an English-only model). */
  get languages(): string[] {
    return [...this.languageByToken.values()];
  }

  async transcribe(request: TranscribeRequest, bench: WhisperBenchOptions = {}): Promise<Transcript> {
    const release = await this.queue.acquire();
    try {
      return await this.transcribeAlone(request, bench);
    } finally {
      release();
    }
  }

  async dispose(): Promise<void> {
    await this.asr.dispose();
  }

  private async transcribeAlone(request: TranscribeRequest, bench: WhisperBenchOptions): Promise<Transcript> {
    const { signal, samples } = request;
    if (signal?.aborted) throw new ModelError('aborted', 'Transcription was cancelled before it started.');
    const durationSeconds = samples.length / SPEECH_SAMPLE_RATE;
    // A pinned language the model does not know is no pin at all: detection does better than a wrong token.
    const pinned = request.language && this.languages.includes(request.language) ? request.language : undefined;
    const detector = this.prefix && !pinned ? new WhisperLanguageDetector(this.prefix) : undefined;

    const stopper = new InterruptableStoppingCriteria();
    let timedOut = false;
    const interrupt = (): void => stopper.interrupt();
    signal?.addEventListener('abort', interrupt, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      stopper.interrupt();
    }, this.options.timeoutMs);
    let text: string;
    try {
      const output = await this.asr(samples, {
        ...(this.prefix ? { task: 'transcribe' } : {}),
        ...(pinned ? { language: pinned } : {}),
        ...(detector ? { decoder_input_ids: [this.startToken()], logits_processor: [detector] } : {}),
        ...(durationSeconds > WINDOW_SECONDS ? { chunk_length_s: WINDOW_SECONDS, stride_length_s: STRIDE_SECONDS } : {}),
        max_new_tokens: this.options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
        ...(bench.minNewTokens ? { min_new_tokens: bench.minNewTokens } : {}),
        do_sample: false,
        stopping_criteria: [stopper],
      } as never);
      text = (Array.isArray(output) ? output[0]?.text : output.text) ?? '';
    } catch (error) {
      throw new ModelError('failed', 'The speech model failed while transcribing.', { cause: error });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', interrupt);
    }
    if (signal?.aborted) throw new ModelError('aborted', 'Transcription was cancelled.');
    if (timedOut) throw new ModelError('timeout', `Transcription took longer than ${this.options.timeoutMs} ms and was stopped.`);
    const detected = detector?.detected[0];
    const language = pinned ?? (detected === undefined ? undefined : this.languageByToken.get(detected)) ?? 'en';
    return { text: text.trim(), language, durationSeconds };
  }

  private startToken(): number {
    return (this.asr.model.generation_config as { decoder_start_token_id: number }).decoder_start_token_id;
  }
}

async function loadPipeline(folder: string, dtypes: SessionDtypes, device: DeviceKind): Promise<AutomaticSpeechRecognitionPipeline> {
  try {
    return (await pipeline('automatic-speech-recognition', folder, {
      dtype: dtypes as never,
      device,
      local_files_only: true,
      use_external_data_format: externalDataSessions(folder, dtypes),
    })) as AutomaticSpeechRecognitionPipeline;
  } catch (error) {
    throw new ModelError('unavailable', `The speech model in ${folder} could not be loaded: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
