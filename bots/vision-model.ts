import {
  EmbeddedVisionModel,
  OpenAiVisionModel,
  locateModel,
  parseDtypeSetting,
  type Logger,
  type ModelLocation,
  type VisionLanguageModel,
} from '../core/index.js';
import type { Config } from './config/index.js';
import { modelLoadFailedHint, modelSetupHint } from './model-setup-hints.js';

export type VisionModelChoice =
  | { readonly model: VisionLanguageModel; readonly setupHint?: undefined }
  | { readonly model?: undefined; readonly setupHint: string };

/**
 * Picks and loads the vision-language backend the configuration names. Each backend is one module
 * behind the core's contract; this is the only place that knows them all. A model that is missing
 * or does not load is not fatal: the assistant still answers commands and says what to set up.
 */
export async function chooseVisionModel(config: Config, logger: Logger): Promise<VisionModelChoice> {
  switch (config.VLM_BACKEND) {
    case 'embedded':
      return loadEmbedded(config, logger);
    case 'openai': {
      const model = new OpenAiVisionModel({
        // The schema requires VLM_BASE_URL with this backend.
        baseUrl: config.VLM_BASE_URL!,
        ...(config.VLM_API_KEY ? { apiKey: config.VLM_API_KEY } : {}),
        model: config.VLM_MODEL,
        timeoutMs: config.VLM_TIMEOUT_S * 1000,
        concurrency: config.VLM_CONCURRENCY,
        maxImages: config.MAX_IMAGES_PER_TURN,
        logger,
      });
      // A warning at most: the GPU host may come up after the bot.
      void model.checkServer();
      return { model };
    }
  }
}

async function loadEmbedded(config: Config, logger: Logger): Promise<VisionModelChoice> {
  let location: ModelLocation | undefined;
  try {
    location = locateModel(config.VLM_MODEL, config.MODELS_DIR);
    const dtypes = parseDtypeSetting(config.VLM_DTYPE);
    const model = await EmbeddedVisionModel.load({
      location,
      device: config.VLM_DEVICE,
      ...(dtypes ? { dtypes } : {}),
      ...(config.VLM_IMAGE_SPLITTING === 'auto' ? {} : { imageSplitting: config.VLM_IMAGE_SPLITTING === 'on' }),
      timeoutMs: config.VLM_TIMEOUT_S * 1000,
      maxImages: config.MAX_IMAGES_PER_TURN,
      logger,
    });
    return { model };
  } catch (error) {
    const hint = modelSetupHint(error);
    if (hint === undefined) logger.error({ err: error }, 'the vision model did not load');
    return { setupHint: hint ?? modelLoadFailedHint('vision-language', location ?? { folder: config.VLM_MODEL }) };
  }
}
