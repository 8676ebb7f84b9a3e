import type { ChatMessage } from './content.js';

/** What a backend declares it can take; the core never guesses this from a model name. */
export interface VisionLanguageCapabilities {
  /** Most images one request may carry (0: text only). */
  readonly maxImages: number;
  /** Context window in tokens, when the backend knows it. */
  readonly contextTokens?: number;
}

export interface GenerateRequest {
  readonly messages: readonly ChatMessage[];
  /** Upper bound on generated tokens; the core maps the user's reply-length setting to it. */
  readonly maxOutputTokens: number;
  readonly temperature?: number;
  /** Aborting stops generation; the stream then ends by throwing a ModelError of kind `aborted`. */
  readonly signal?: AbortSignal;
}

export type FinishReason = 'stop' | 'length';

/** The stream is one union of typed parts, consumed with `for await`. */
export type GenerateStreamPart =
  | { readonly type: 'text-delta'; readonly text: string }
  | {
      readonly type: 'finish';
      readonly reason: FinishReason;
      readonly usage?: { readonly inputTokens?: number; readonly outputTokens?: number };
      /** Measured by backends that see individual tokens; for logs and benchmarks. */
      readonly timing?: { readonly firstTokenMs: number; readonly tokensPerSecond?: number };
    };

/**
 * A vision-language model: chat messages with images in, streamed text out.
 * Every backend (embedded ONNX, an OpenAI-compatible server) implements this one contract.
 * Failures are thrown as `ModelError`, also from inside the stream.
 */
export interface VisionLanguageModel {
  /** Short, loggable name of the backend and model, e.g. `embedded:smolvlm-256m`. */
  readonly id: string;
  readonly capabilities: VisionLanguageCapabilities;
  /** Counts tokens the way the model does; when absent the core estimates. */
  countTokens?(text: string): number;
  generate(request: GenerateRequest): AsyncIterable<GenerateStreamPart>;
  /**
   * Drops whatever the backend keeps for images with these `key`s (their photos were deleted);
   * without keys, for every image (photos were deleted and which is not known).
   */
  forgetImages?(keys?: readonly string[]): void;
}
