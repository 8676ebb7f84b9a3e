import { createHash } from 'node:crypto';
import { cat, type Tensor } from '@huggingface/transformers';
import { ByteLru } from './byte-lru.js';

/** One image of a request, in prompt order, with the stable key the core gave it (a stored media id). */
export interface KeyedImage {
  readonly data: Uint8Array;
  readonly key?: string;
}

/** What the Idefics3 processor returns for the images of a one-prompt batch. */
export interface ProcessedImages {
  readonly pixel_values: Tensor;
  readonly pixel_attention_mask?: Tensor;
  /** Per prompt, per image: the split grid (0 × 0 when the image is not split). */
  readonly rows?: readonly (readonly number[])[];
  readonly cols?: readonly (readonly number[])[];
}

export type EncodeImages = (inputs: Record<string, Tensor>) => Promise<Tensor>;

/** One image's encoder output, and the split grid the prompt's image tokens are laid out by. */
export interface CachedFeatures {
  readonly features: Tensor;
  readonly rows: number;
  readonly cols: number;
}

const SEPARATOR = '\u0000';

/**
 * The vision encoder's output per image, so that a follow-up about the same photo skips the encoder
 * (its most expensive pass on a CPU). Bounded by bytes, least recently used first out.
 *
 * Keyed by the core's key (the stored media's id) and a hash of the bytes: a media id that is ever
 * reused for another photo cannot hit an old entry, and `forget` drops a deleted photo's entries by
 * its key alone. The cache belongs to one loaded model and its image-splitting setting, so the
 * model is part of every key implicitly. Images without a key (not stored by the core) are never kept.
 */
export class ImageFeatureCache {
  private readonly lru: ByteLru<CachedFeatures>;
  hits = 0;
  misses = 0;

  constructor(maxBytes: number) {
    this.lru = new ByteLru(maxBytes);
  }

  get bytes(): number {
    return this.lru.bytes;
  }

  /** Drops the features of these stored images (deleted at retention or forget-me). */
  forget(keys: Iterable<string>): number {
    const prefixes = [...keys].map((key) => `${key}${SEPARATOR}`);
    if (prefixes.length === 0) return 0;
    return this.lru.deleteWhere((entry) => prefixes.some((prefix) => entry.startsWith(prefix)));
  }

  clear(): void {
    this.lru.clear();
  }

  /**
   * Every image's cached features, when all the request's images are cached: the caller can then
   * skip preprocessing the images too (their grid is here) and hand these to generate.
   */
  cachedAll(images: readonly KeyedImage[]): { readonly images: CachedFeatures[]; readonly features: Tensor } | undefined {
    if (this.lru.maxBytes <= 0 || images.length === 0 || images.some((image) => image.key === undefined)) return undefined;
    const found: CachedFeatures[] = [];
    for (const image of images) {
      const entry = this.lru.get(entryKey(image.key!, image.data));
      if (!entry) return undefined;
      found.push(entry);
    }
    this.hits += found.length;
    return { images: found, features: found.length === 1 ? found[0]!.features : cat(found.map((entry) => entry.features), 0) };
  }

  /**
   * The image features for the whole request, in the order generate merges them, encoding only the
   * images not cached. Undefined when nothing here can be cached (no keys) or the processor's layout
   * is not the one expected: the caller then lets generate encode as usual.
   */
  async features(images: readonly KeyedImage[], processed: ProcessedImages, encode: EncodeImages): Promise<Tensor | undefined> {
    if (this.lru.maxBytes <= 0 || !images.some((image) => image.key !== undefined)) return undefined;
    const frames = framesPerImage(images.length, processed);
    if (!frames) return undefined;
    const parts: Tensor[] = [];
    let start = 0;
    for (const [index, image] of images.entries()) {
      const count = frames[index]!;
      const end = start + count;
      const key = image.key === undefined ? undefined : entryKey(image.key, image.data);
      let features = key === undefined ? undefined : this.lru.get(key)?.features;
      if (features) {
        this.hits += 1;
      } else {
        if (key !== undefined) this.misses += 1;
        // Frames are encoded independently (SigLIP sees one frame at a time), so one image's frames
        // alone give the rows the whole batch would have given for them.
        const only = images.length === 1;
        features = await encode({
          pixel_values: only ? processed.pixel_values : processed.pixel_values.slice(null, [start, end]),
          ...(processed.pixel_attention_mask
            ? { pixel_attention_mask: only ? processed.pixel_attention_mask : processed.pixel_attention_mask.slice(null, [start, end]) }
            : {}),
        });
        if (features.dims[0] !== count) return undefined;
        const grid = { rows: processed.rows?.[0]?.[index] ?? 0, cols: processed.cols?.[0]?.[index] ?? 0 };
        if (key !== undefined) this.lru.set(key, { features, ...grid }, byteLength(features));
      }
      parts.push(features);
      start = end;
    }
    return parts.length === 1 ? parts[0] : cat(parts, 0);
  }
}

function entryKey(key: string, data: Uint8Array): string {
  return `${key}${SEPARATOR}${createHash('sha256').update(data).digest('base64url')}`;
}

/** Frames each image became: rows × cols split frames plus the global one, or one when not split. */
function framesPerImage(imageCount: number, processed: ProcessedImages): number[] | undefined {
  const dims = processed.pixel_values.dims;
  if (dims.length !== 5 || dims[0] !== 1) return undefined;
  const rows = processed.rows?.[0];
  const cols = processed.cols?.[0];
  const frames = Array.from({ length: imageCount }, (_, index) => {
    const grid = (rows?.[index] ?? 0) * (cols?.[index] ?? 0);
    return grid > 0 ? grid + 1 : 1;
  });
  return frames.reduce((sum, count) => sum + count, 0) === dims[1] ? frames : undefined;
}

export function byteLength(tensor: Tensor): number {
  const data = tensor.data as { byteLength?: number; length: number };
  return data.byteLength ?? data.length * 8;
}
