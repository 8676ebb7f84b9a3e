import { ModelError } from '../model-error.js';
import { delay } from '../../util/index.js';
import type {
  FinishReason,
  GenerateRequest,
  GenerateStreamPart,
  VisionLanguageCapabilities,
  VisionLanguageModel,
} from '../vision-language-model.js';

/** One scripted answer: the text chunks to stream, and optionally an error thrown after them. */
export interface ScriptedReply {
  readonly chunks: readonly string[];
  /** Thrown after the chunks have streamed: a model failing in the middle of an answer. */
  readonly failWith?: ModelError;
  /** Wait this long before each chunk (lets tests abort mid-stream). */
  readonly chunkDelayMs?: number;
  /** How the stream ends; `length` is an answer cut at the token limit. Default `stop`. */
  readonly finishReason?: FinishReason;
}

export type Script = ScriptedReply | ((request: GenerateRequest, index: number) => ScriptedReply);

/**
 * A recording test double for the vision-language contract: it plays scripted replies and keeps
 * every request, so tests can assert on exactly what the core sent (images included).
 */
export class ScriptedVisionModel implements VisionLanguageModel {
  readonly id = 'scripted';
  readonly requests: GenerateRequest[] = [];
  private readonly queue: Script[];

  constructor(
    script: Script | readonly Script[] = { chunks: ['Done.'] },
    readonly capabilities: VisionLanguageCapabilities = { maxImages: 4, contextTokens: 8192 },
  ) {
    this.queue = Array.isArray(script) ? [...(script as Script[])] : [script as Script];
  }

  async *generate(request: GenerateRequest): AsyncIterable<GenerateStreamPart> {
    const index = this.requests.length;
    this.requests.push(request);
    // The last script entry repeats, so a single reply serves any number of turns.
    const entry = this.queue.length > 1 ? this.queue.shift()! : this.queue[0]!;
    const reply = typeof entry === 'function' ? entry(request, index) : entry;
    let outputTokens = 0;
    for (const chunk of reply.chunks) {
      if (reply.chunkDelayMs) await delay(reply.chunkDelayMs, request.signal);
      if (request.signal?.aborted) throw new ModelError('aborted', 'Generation was cancelled.');
      outputTokens += 1;
      yield { type: 'text-delta', text: chunk };
    }
    if (reply.failWith) throw reply.failWith;
    yield { type: 'finish', reason: reply.finishReason ?? 'stop', usage: { outputTokens } };
  }

  get lastRequest(): GenerateRequest | undefined {
    return this.requests.at(-1);
  }
}
