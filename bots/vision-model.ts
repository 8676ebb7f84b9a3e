import type { Config, VisionLanguageModel } from '../core/index.js';

export type VisionModelChoice =
  | { readonly model: VisionLanguageModel; readonly setupHint?: undefined }
  | { readonly model?: undefined; readonly setupHint: string };

/**
 * Picks the vision-language backend the configuration names. Each backend is one module behind
 * the core's contract; this is the only place that knows them all.
 */
export function chooseVisionModel(config: Config): VisionModelChoice {
  switch (config.VLM_BACKEND) {
    case 'embedded':
    case 'openai':
      // Neither backend is built yet (see the open issues); until then say so plainly.
      return {
        setupHint: `No vision model is set up: the ${config.VLM_BACKEND} backend (VLM_BACKEND) is not part of this version yet, so photos and questions cannot be answered; commands work.`,
      };
  }
}
