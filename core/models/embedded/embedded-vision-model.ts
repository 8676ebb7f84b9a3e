import {
  AutoModelForVision2Seq,
  AutoProcessor,
  InterruptableStoppingCriteria,
  RawImage,
  TextStreamer,
  type PreTrainedModel,
  type Processor,
} from '@huggingface/transformers';
import './offline-transformers.js';
import { Semaphore } from '../../util/index.js';
import type { Logger } from '../../log.js';
import { isModelError, ModelError } from '../model-error.js';
import type { DeviceKind } from '../presets.js';
import type {
  GenerateRequest,
  GenerateStreamPart,
  VisionLanguageCapabilities,
  VisionLanguageModel,
} from '../vision-language-model.js';
import { loadOnDevice, type DeviceSetting } from './device.js';
import {
  assertModelPresent,
  chooseDtypes,
  externalDataSessions,
  SMOLVLM_SESSIONS,
  type ModelLocation,
  type SessionDtypes,
} from './model-folder.js';
import { toSmolVlmPrompt } from './smolvlm-messages.js';
import { TokenQueue } from './token-queue.js';

export interface EmbeddedModelOptions {
  readonly location: ModelLocation;
  readonly device: DeviceSetting;
  readonly dtypes?: Partial<SessionDtypes>;
  /** Default: off on CPU, on with CUDA (image splitting multiplies vision passes). */
  readonly imageSplitting?: boolean;
  /** A generation running longer is stopped and reported as a timeout. */
  readonly timeoutMs: number;
  readonly maxImages?: number;
  readonly logger: Logger;
  readonly checkCuda?: () => string | undefined;
}

/**
 * SmolVLM (Idefics3) on onnxruntime-node through transformers.js: its processor, chat template and
 * generate loop. One generation at a time per loaded model: the ONNX sessions and their cache
 * tensors are not safe to share between concurrent generate calls.
 */
export class EmbeddedVisionModel implements VisionLanguageModel {
  readonly id: string;
  readonly capabilities: VisionLanguageCapabilities;
  private readonly queue = new Semaphore(1);

  private constructor(
    private readonly processor: Processor,
    private readonly model: PreTrainedModel,
    readonly device: DeviceKind,
    private readonly imageSplitting: boolean,
    private readonly options: EmbeddedModelOptions,
  ) {
    const name = options.location.preset?.name ?? options.location.folder;
    this.id = `embedded:${name}:${device}`;
    const config = model.config as { text_config?: { max_position_embeddings?: number } };
    const contextTokens = config.text_config?.max_position_embeddings;
    this.capabilities = { maxImages: options.maxImages ?? 4, ...(contextTokens ? { contextTokens } : {}) };
  }

  /** Throws ModelFilesMissingError when files are missing, ModelError when they do not load. */
  static async load(options: EmbeddedModelOptions): Promise<EmbeddedVisionModel> {
    const { location } = options;
    const started = performance.now();
    const { value, device } = await loadOnDevice(
      options.device,
      async (device) => {
        const dtypes = chooseDtypes(location, device, SMOLVLM_SESSIONS, options.dtypes);
        assertModelPresent(location, dtypes, device);
        const processor = await AutoProcessor.from_pretrained(location.folder, { local_files_only: true });
        const model = await loadModel(location.folder, dtypes, device);
        return { processor, model, dtypes };
      },
      { logger: options.logger, ...(options.checkCuda ? { checkCuda: options.checkCuda } : {}) },
    );
    const imageSplitting = options.imageSplitting ?? device === 'cuda';
    options.logger.info(
      { device, dtypes: value.dtypes, imageSplitting, ms: Math.round(performance.now() - started) },
      'vision model loaded',
    );
    return new EmbeddedVisionModel(value.processor, value.model, device, imageSplitting, options);
  }

  countTokens(text: string): number {
    return this.processor.tokenizer!.encode(text).length;
  }

  async *generate(request: GenerateRequest): AsyncGenerator<GenerateStreamPart> {
    const release = await this.queue.acquire();
    try {
      yield* this.generateAlone(request);
    } finally {
      release();
    }
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  private async *generateAlone(request: GenerateRequest): AsyncGenerator<GenerateStreamPart> {
    const { signal } = request;
    if (signal?.aborted) throw new ModelError('aborted', 'Generation was cancelled before it started.');
    const started = performance.now();
    const tokenTimes: number[] = [];
    const inputs = await this.prepareInputs(request);

    const stopper = new InterruptableStoppingCriteria();
    const tokens = new TokenQueue();
    let outputTokens = 0;
    let timedOut = false;
    const interrupt = (): void => stopper.interrupt();
    signal?.addEventListener('abort', interrupt, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      stopper.interrupt();
    }, this.options.timeoutMs);
    const streamer = new TextStreamer(this.processor.tokenizer!, {
      skip_prompt: true,
      skip_special_tokens: true,
      callback_function: (text: string) => tokens.push(text),
      token_callback_function: () => {
        outputTokens += 1;
        // First and latest only: enough for time to first token and the decoding rate.
        tokenTimes[tokenTimes.length === 0 ? 0 : 1] = performance.now();
      },
    });
    const generation = this.model
      .generate({
        ...inputs,
        max_new_tokens: request.maxOutputTokens,
        do_sample: false,
        streamer,
        stopping_criteria: [stopper],
      })
      .then(
        () => tokens.end(),
        (error: unknown) => tokens.fail(new ModelError('failed', 'The model failed while generating.', { cause: error })),
      );
    try {
      for await (const text of tokens.drain()) yield { type: 'text-delta', text };
    } finally {
      // Whether the consumer finished, failed or walked away, the session is free only once generate returns.
      stopper.interrupt();
      await generation;
      clearTimeout(timer);
      signal?.removeEventListener('abort', interrupt);
    }
    if (signal?.aborted) throw new ModelError('aborted', 'Generation was cancelled.');
    if (timedOut) throw new ModelError('timeout', `Generation took longer than ${this.options.timeoutMs} ms and was stopped.`);
    const [first, last] = tokenTimes;
    yield {
      type: 'finish',
      reason: outputTokens >= request.maxOutputTokens ? 'length' : 'stop',
      usage: { outputTokens },
      ...(first === undefined
        ? {}
        : {
            timing: {
              firstTokenMs: first - started,
              ...(last === undefined || last === first ? {} : { tokensPerSecond: ((outputTokens - 1) * 1000) / (last - first) }),
            },
          }),
    };
  }

  private async prepareInputs(request: GenerateRequest): Promise<Record<string, unknown>> {
    const prompt = toSmolVlmPrompt(request.messages, this.capabilities.maxImages);
    try {
      const text = this.processor.apply_chat_template(prompt.messages as never, { add_generation_prompt: true }) as string;
      // The Idefics3 processor assumes images (it reads their rows and columns); a text-only turn goes
      // through the tokenizer alone, and generate runs the decoder without pixel values.
      if (prompt.images.length === 0) return this.processor.tokenizer!(text) as Record<string, unknown>;
      const images = await Promise.all(prompt.images.map((bytes) => RawImage.fromBlob(new Blob([bytes]))));
      return (await this.processor(text, images, { do_image_splitting: this.imageSplitting })) as Record<string, unknown>;
    } catch (error) {
      if (isModelError(error)) throw error;
      throw new ModelError('unsupported-input', 'The model could not take this input.', { cause: error });
    }
  }
}

async function loadModel(folder: string, dtypes: SessionDtypes, device: DeviceKind): Promise<PreTrainedModel> {
  try {
    return await AutoModelForVision2Seq.from_pretrained(folder, {
      dtype: dtypes,
      device,
      local_files_only: true,
      use_external_data_format: externalDataSessions(folder, dtypes),
    });
  } catch (error) {
    throw new ModelError('unavailable', `The model in ${folder} could not be loaded: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
