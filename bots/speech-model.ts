import {
  locateModel,
  OpenAiSpeechModel,
  WhisperSpeechModel,
  type Logger,
  type ModelLocation,
  type SpeechToText,
  type WhisperModelOptions,
} from '../core/index.js';
import type { Config } from './config/index.js';
import { modelLoadFailedHint, modelSetupHint } from './model-setup-hints.js';

export type SpeechModelChoice =
  | { readonly speech: SpeechToText; readonly setupHint?: undefined }
  | { readonly speech?: undefined; readonly setupHint: string };

/**
 * Loads the speech-to-text backend: Whisper on ONNX in this process, or an OpenAI-compatible
 * /audio/transcriptions server on a GPU host (STT_BACKEND=openai). A missing embedded model is not fatal: voice notes get a message saying to type, and the log says what to install.
 * `load` is replaceable so a test can see the options the backend is given without loading a model.
 */
export async function chooseSpeechModel(
  config: Config,
  logger: Logger,
  load: (options: WhisperModelOptions) => Promise<SpeechToText> = (options) => WhisperSpeechModel.load(options),
): Promise<SpeechModelChoice> {
  if (config.STT_BACKEND === 'openai') {
    // The schema requires the URL with this backend; the server is asked nothing until the first note.
    return {
      speech: new OpenAiSpeechModel({
        baseUrl: config.STT_BASE_URL!,
        ...(config.STT_API_KEY ? { apiKey: config.STT_API_KEY } : {}),
        model: config.STT_MODEL,
        timeoutMs: config.STT_TIMEOUT_S * 1000,
        logger,
      }),
    };
  }
  let location: ModelLocation | undefined;
  try {
    location = locateModel(config.STT_MODEL, config.MODELS_DIR, 'speech-to-text');
    const speech = await load({
      location,
      device: config.STT_DEVICE,
      timeoutMs: config.STT_TIMEOUT_S * 1000,
      logger,
    });
    return { speech };
  } catch (error) {
    const hint = modelSetupHint(error);
    if (hint === undefined) logger.error({ err: error }, 'the speech model did not load');
    return { setupHint: hint ?? modelLoadFailedHint('speech-to-text', location ?? { folder: config.STT_MODEL }) };
  }
}
