import {
  AutoModelForVision2Seq,
  AutoProcessor,
  InterruptableStoppingCriteria,
  ones,
  RawImage,
  Tensor,
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
import { ImageFeatureCache, type KeyedImage, type ProcessedImages } from './image-feature-cache.js';
import { fixedPrefixLength, PrefixCache, presentToPast } from './prefix-cache.js';
import { expandImageTokens, toSmolVlmPrompt, type ImageTokenLayout, type SmolVlmPrompt } from './smolvlm-messages.js';
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
  /** Bytes of encoded image features kept for follow-ups about the same photo (0: off). Default 64 MiB. */
  readonly imageCacheBytes?: number;
  /** Bytes of system-prompt key/value caches kept (0: off). Default 256 MiB, at most 4 prompts. */
  readonly prefixCacheBytes?: number;
}

const DEFAULT_IMAGE_CACHE_BYTES = 64 * 1024 * 1024;
const DEFAULT_PREFIX_CACHE_BYTES = 256 * 1024 * 1024;
/** One system prompt per reply length and language in use at a time, roughly. */
const PREFIX_CACHE_ENTRIES = 4;

/** What cached work a model holds, and how often it was reused; for logs and benchmarks. */
export interface EmbeddedCacheStats {
  readonly imageHits: number;
  readonly imageMisses: number;
  readonly imageBytes: number;
  readonly prefixHits: number;
  readonly prefixMisses: number;
  readonly prefixBytes: number;
}

interface PreparedInputs {
  readonly prompt: SmolVlmPrompt;
  readonly images: readonly KeyedImage[];
  readonly inputs: Record<string, unknown>;
  /** All the images' features, found in the cache before preprocessing. */
  readonly cachedFeatures?: Tensor;
}

/**
 * Stands in for pixel values when every image's features are cached: generate only checks that
 * pixel values are present to merge image features, and the features come from the cache.
 */
const NO_PIXELS = new Tensor('float32', new Float32Array(1), [1]);

/**
 * SmolVLM (Idefics3) on onnxruntime-node through transformers.js: its processor, chat template and
 * generate loop. One generation at a time per loaded model: the ONNX sessions and their cache
 * tensors are not safe to share between concurrent generate calls.
 */
export class EmbeddedVisionModel implements VisionLanguageModel {
  readonly id: string;
  readonly capabilities: VisionLanguageCapabilities;
  private readonly queue = new Semaphore(1);
  private readonly imageCache: ImageFeatureCache;
  private readonly prefixCache: PrefixCache;
  private readonly encodeImage: (inputs: Record<string, Tensor>) => Promise<Tensor>;
  /** Features found or made for the generate call in progress; the model's encode_image hands them over. */
  private stagedFeatures: Tensor | undefined;

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
    this.imageCache = new ImageFeatureCache(options.imageCacheBytes ?? DEFAULT_IMAGE_CACHE_BYTES);
    this.prefixCache = new PrefixCache(options.prefixCacheBytes ?? DEFAULT_PREFIX_CACHE_BYTES, PREFIX_CACHE_ENTRIES);
    // generate asks encode_image for the features of all the prompt's images on its first step; when
    // they were taken from the cache (or encoded image by image to fill it) they are handed over
    // here instead of running the encoder again. Safe because one generation runs at a time.
    const encode = model.encode_image.bind(model) as (inputs: Record<string, Tensor>) => Promise<Tensor>;
    this.encodeImage = encode;
    model.encode_image = async (inputs: Record<string, Tensor>): Promise<Tensor> => {
      const staged = this.stagedFeatures;
      this.stagedFeatures = undefined;
      return staged ?? encode(inputs);
    };
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

  /** Drops the encoded features of deleted photos (`key`: the stored media's id), or of all photos. */
  forgetImages(keys?: readonly string[]): void {
    if (keys) this.imageCache.forget(keys);
    else this.imageCache.clear();
  }

  get cacheStats(): EmbeddedCacheStats {
    const { imageCache: image, prefixCache: prefix } = this;
    return {
      imageHits: image.hits,
      imageMisses: image.misses,
      imageBytes: image.bytes,
      prefixHits: prefix.hits,
      prefixMisses: prefix.misses,
      prefixBytes: prefix.bytes,
    };
  }

  /**
   * The scores the first token is chosen from, through exactly the inputs and caches `generate`
   * uses (generate itself, stopped after one token): for the caches' equivalence test and benchmarks.
   */
  async firstTokenScores(request: Pick<GenerateRequest, 'messages'>): Promise<Float32Array> {
    const release = await this.queue.acquire();
    try {
      const inputs = await this.generationInputs(await this.prepareInputs(request));
      let scores: Float32Array | undefined;
      const capture = (_ids: bigint[][], logits: Tensor): Tensor => {
        scores ??= Float32Array.from(logits.data as Float32Array);
        return logits;
      };
      try {
        await this.model.generate({ ...inputs, max_new_tokens: 1, do_sample: false, logits_processor: [capture] as never });
      } finally {
        this.stagedFeatures = undefined;
      }
      if (!scores) throw new ModelError('failed', 'The model produced no scores.');
      return scores;
    } finally {
      release();
    }
  }

  async dispose(): Promise<void> {
    this.imageCache.clear();
    this.prefixCache.clear();
    await this.model.dispose();
  }

  private async *generateAlone(request: GenerateRequest): AsyncGenerator<GenerateStreamPart> {
    const { signal } = request;
    if (signal?.aborted) throw new ModelError('aborted', 'Generation was cancelled before it started.');
    const started = performance.now();
    const tokenTimes: number[] = [];
    const inputs = await this.generationInputs(await this.prepareInputs(request));

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
      this.stagedFeatures = undefined;
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

  private async prepareInputs(request: Pick<GenerateRequest, 'messages'>): Promise<PreparedInputs> {
    const prompt = toSmolVlmPrompt(request.messages, this.capabilities.maxImages);
    try {
      const text = this.processor.apply_chat_template(prompt.messages as never, { add_generation_prompt: true }) as string;
      // The Idefics3 processor assumes images (it reads their rows and columns); a text-only turn goes
      // through the tokenizer alone, and generate runs the decoder without pixel values.
      if (prompt.images.length === 0) return { prompt, images: [], inputs: this.processor.tokenizer!(text) as Record<string, unknown> };
      const keyed: KeyedImage[] = prompt.images.map((data, index) => {
        const key = prompt.imageKeys[index];
        return key === undefined ? { data } : { data, key };
      });
      // A follow-up about cached photos skips decoding and resizing them (half a second on 2 cores).
      const cached = this.imageCache.cachedAll(keyed);
      if (cached) {
        const expanded = expandImageTokens(text, cached.images, this.imageTokenLayout());
        const inputs = this.processor.tokenizer!(expanded) as Record<string, unknown>;
        return { prompt, images: keyed, inputs: { ...inputs, pixel_values: NO_PIXELS }, cachedFeatures: cached.features };
      }
      const images = await Promise.all(prompt.images.map((bytes) => RawImage.fromBlob(new Blob([bytes]))));
      return {
        prompt,
        images: keyed,
        inputs: (await this.processor(text, images, { do_image_splitting: this.imageSplitting })) as Record<string, unknown>,
      };
    } catch (error) {
      if (isModelError(error)) throw error;
      throw new ModelError('unsupported-input', 'The model could not take this input.', { cause: error });
    }
  }

  /**
   * generate's inputs with the caches applied: image features from the cache (or encoded now, image
   * by image, and kept) are staged for encode_image, and the system prompt's key/value cache is
   * passed as past_key_values so that generate prefills only the rest of the prompt.
   */
  private async generationInputs({ prompt, images, inputs, cachedFeatures }: PreparedInputs): Promise<Record<string, unknown>> {
    try {
      if (cachedFeatures) this.stagedFeatures = cachedFeatures;
      else if (images.length > 0) {
        this.stagedFeatures = await this.imageCache.features(images, inputs as unknown as ProcessedImages, this.encodeImage);
      }
      const past = await this.prefixPast(prompt, inputs.input_ids as Tensor);
      return past ? { ...inputs, past_key_values: past } : inputs;
    } catch (error) {
      this.stagedFeatures = undefined;
      throw new ModelError('failed', 'The model failed while preparing the prompt.', { cause: error });
    }
  }

  private imageTokenLayout(): ImageTokenLayout {
    const processor = this.processor as unknown as { fake_image_token: string; image_token: string; global_img_token: string; config: { image_seq_len: number } };
    return {
      imageToken: processor.image_token,
      fakeTokenAroundImage: processor.fake_image_token,
      globalImageToken: processor.global_img_token,
      imageSeqLen: processor.config.image_seq_len,
    };
  }

  /** The cache of the prompt's leading system messages, computed on the first turn that uses them. */
  private async prefixPast(prompt: SmolVlmPrompt, inputIds: Tensor): ReturnType<PrefixCache['pastFor']> {
    const leading = prompt.messages.findIndex((message) => message.role !== 'system');
    if (leading === 0 || inputIds.dims[0] !== 1) return undefined;
    const system = leading === -1 ? prompt.messages : prompt.messages.slice(0, leading);
    const prefixText = this.processor.apply_chat_template(system as never, { add_generation_prompt: false }) as string;
    const prefixIds = (this.processor.tokenizer!(prefixText) as { input_ids: Tensor }).input_ids.data as BigInt64Array;
    const ids = inputIds.data as BigInt64Array;
    const length = fixedPrefixLength(ids, prefixIds, imageTokenIds(this.model));
    return this.prefixCache.pastFor(Array.from(ids.subarray(0, length)), async (prefix) => {
      const outputs = (await this.model.forward({
        input_ids: new Tensor('int64', BigInt64Array.from(prefix), [1, prefix.length]),
        attention_mask: ones([1, prefix.length]),
      })) as Record<string, Tensor>;
      return presentToPast(outputs);
    });
  }
}

/** The ids of tokens that stand for image features, never part of a cached prefix. */
function imageTokenIds(model: PreTrainedModel): Set<bigint> {
  const config = model.config as { image_token_id?: number; image_token_index?: number };
  const id = config.image_token_id ?? config.image_token_index;
  return new Set(id === undefined ? [] : [BigInt(id)]);
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
