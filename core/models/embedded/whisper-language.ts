import { LogitsProcessor, type Tensor } from '@huggingface/transformers';

export interface WhisperPrefixTokens {
  readonly languageTokenIds: readonly number[];
  readonly transcribeTokenId: number;
  readonly noTimestampsTokenId: number;
  /** Tokens an answer must not start with (a bare space, end of text). */
  readonly beginSuppressTokenIds: readonly number[];
}

/**
 * Language detection inside the transcription's own generate call. transformers.js leaves it
 * unimplemented (it falls back to English), and Whisper's detection is only the most likely
 * language token after `<|startoftranscript|>`; so generation starts from that token alone, the
 * first step may choose only a language token (greedy picks the likeliest), and the next steps
 * are forced to `<|transcribe|><|notimestamps|>`. One encoder pass serves both, where a separate
 * detection call would run the encoder, most of the cost, twice.
 */
export class WhisperLanguageDetector extends LogitsProcessor {
  /** Language token chosen for each chunk, in order; long notes are transcribed in chunks. */
  readonly detected: number[] = [];
  private readonly allowed: Set<number>;

  constructor(private readonly tokens: WhisperPrefixTokens) {
    super();
    this.allowed = new Set(tokens.languageTokenIds);
  }

  override _call(inputIds: bigint[][], logits: Tensor): Tensor {
    for (const [row, ids] of inputIds.entries()) {
      const scores = (logits as unknown as Tensor[])[row]!.data as Float32Array;
      switch (ids.length) {
        case 1:
          for (let token = 0; token < scores.length; token += 1) if (!this.allowed.has(token)) scores[token] = -Infinity;
          break;
        case 2:
          this.detected.push(Number(ids[1]));
          force(scores, this.tokens.transcribeTokenId);
          break;
        case 3:
          force(scores, this.tokens.noTimestampsTokenId);
          break;
        case 4:
          for (const token of this.tokens.beginSuppressTokenIds) scores[token] = -Infinity;
          break;
      }
    }
    return logits;
  }
}

function force(scores: Float32Array, token: number): void {
  const kept = scores[token]!;
  scores.fill(-Infinity);
  scores[token] = Number.isFinite(kept) ? kept : 0;
}
