import { isModelError, type GenerateRequest, type GenerateStreamPart, type VisionLanguageModel } from '../../core/index.js';

/** Failures that mean the model is gone until someone acts (a server down, a model not served), not one bad turn. */
const GONE = new Set(['unavailable', 'unknown-model']);

/**
 * The vision model as the health check sees it: healthy once set up, gone after a call fails with
 * "unavailable" or "unknown model", healthy again after the next call that works. Wrapping keeps
 * the assistant unaware of health checks.
 */
export function trackModelHealth(model: VisionLanguageModel): { readonly model: VisionLanguageModel; healthy(): boolean } {
  let gone = false;
  const tracked: VisionLanguageModel = {
    get id() {
      return model.id;
    },
    get capabilities() {
      return model.capabilities;
    },
    ...(model.countTokens ? { countTokens: (text: string) => model.countTokens!(text) } : {}),
    ...(model.forgetImages ? { forgetImages: (keys?: readonly string[]) => model.forgetImages!(keys) } : {}),
    async *generate(request: GenerateRequest): AsyncIterable<GenerateStreamPart> {
      try {
        for await (const part of model.generate(request)) {
          gone = false;
          yield part;
        }
      } catch (error) {
        if (isModelError(error) && GONE.has(error.kind)) gone = true;
        throw error;
      }
    },
  };
  return { model: tracked, healthy: () => !gone };
}
