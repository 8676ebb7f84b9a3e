import { DynamicCache, type Tensor } from '@huggingface/transformers';
import { ByteLru } from './byte-lru.js';
import { byteLength } from './image-feature-cache.js';

/** Decoder past key/values by input name (`past_key_values.0.key`, ...), batch of one. */
export type PastKeyValues = Record<string, Tensor>;

/** Runs the decoder over these tokens alone and returns its cache. */
export type Prefill = (ids: readonly bigint[]) => Promise<PastKeyValues>;

/** Shorter prefixes are not worth a separate decoder run on a miss. */
export const MIN_PREFIX_TOKENS = 16;

/**
 * How many leading tokens of a prompt are its fixed part: the tokens it shares with the prompt's
 * fixed text (the system message) tokenized alone, stopping before any image token, and leaving at
 * least one token for generate to run. Comparing token ids rather than trusting the text length
 * keeps it exact where a tokenizer joins the last characters of the prefix with what follows.
 */
export function fixedPrefixLength(ids: ArrayLike<bigint>, prefixIds: ArrayLike<bigint>, imageTokenIds: ReadonlySet<bigint>): number {
  const limit = Math.min(prefixIds.length, ids.length - 1);
  let length = 0;
  while (length < limit && ids[length] === prefixIds[length] && !imageTokenIds.has(ids[length]!)) length += 1;
  return length;
}

/**
 * The decoder's key/value cache for the fixed leading part of prompts (the system prompt), computed
 * once and reused by every turn that starts with the same tokens. The key is the token ids
 * themselves, so a changed prompt (another reply length, language or day) is simply another entry;
 * old ones age out. The cache belongs to one loaded model. Bounded by entries and bytes.
 *
 * Equivalence: attention is causal, so the cache of a prefix computed alone holds the same keys and
 * values as the first positions of a run over the whole prompt; generate continues from it exactly
 * as from its own prefill (the same positions, mask and inputs for the rest).
 */
export class PrefixCache {
  private readonly lru: ByteLru<PastKeyValues>;
  hits = 0;
  misses = 0;

  constructor(maxBytes: number, maxEntries: number) {
    this.lru = new ByteLru(maxBytes, maxEntries);
  }

  get bytes(): number {
    return this.lru.bytes;
  }

  clear(): void {
    this.lru.clear();
  }

  /**
   * A fresh cache object holding the prefix's tensors, for generate to extend. generate updates the
   * object it is given in place with new tensors; the stored tensors are only read (the decoder's
   * present outputs are new tensors), so each turn gets its own object over the shared tensors.
   */
  async pastFor(prefix: readonly bigint[], prefill: Prefill): Promise<DynamicCache | undefined> {
    if (prefix.length < MIN_PREFIX_TOKENS || this.lru.maxBytes <= 0) return undefined;
    const key = prefix.join(',');
    let past = this.lru.get(key);
    if (past) {
      this.hits += 1;
    } else {
      this.misses += 1;
      past = await prefill(prefix);
      const lengths = Object.keys(past)
        .filter((name) => name.startsWith('past_key_values.'))
        .map((name) => past![name]!.dims.at(-2));
      if (lengths.length === 0 || lengths.some((length) => length !== prefix.length)) return undefined;
      // generate disposes GPU-held cache tensors it replaces (WebGPU only): those cannot be shared.
      if (Object.values(past).some((tensor) => tensor.location === 'gpu-buffer')) return undefined;
      this.lru.set(key, past, Object.values(past).reduce((sum, tensor) => sum + byteLength(tensor), 0));
    }
    return new DynamicCache({ ...past });
  }
}

/** The decoder's `present.*` outputs renamed to the `past_key_values.*` inputs they feed next. */
export function presentToPast(outputs: Record<string, Tensor>): PastKeyValues {
  const past: PastKeyValues = {};
  for (const [name, tensor] of Object.entries(outputs)) {
    if (name.startsWith('present.')) past[`past_key_values.${name.slice('present.'.length)}`] = tensor;
  }
  return past;
}
