/**
 * Seeded mutation of media files for fuzzing: the same seed always gives the same mutated bytes,
 * so a failing case is replayed from the seed its message names. Mutations know just enough of
 * each format (PNG chunks, JPEG segments, RIFF chunks, Ogg pages, GIF's screen descriptor) to hit
 * header fields and to duplicate whole chunks, and can put checksums right afterwards so that the
 * damage reaches the decoder instead of stopping at the first CRC.
 */
import { concat as join, oggCrc, random } from './audio.js';

export type FuzzFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'ogg' | 'wav';

/** Deterministic choices from a seed (mulberry32 underneath). */
export class Prng {
  private readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = random(seed);
  }

  /** In [0, 1). */
  float(): number {
    return this.next();
  }

  /** An integer in [0, below). */
  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** A span of the file: a chunk, segment or page, from its first byte to the end of it. */
interface Span {
  readonly start: number;
  readonly end: number;
}

/** What a mutation needs to know of a file: its chunks and where its header fields are. */
interface Layout {
  readonly chunks: readonly Span[];
  /** Offsets of header fields worth overwriting: sizes, dimensions, counts, lengths. */
  readonly fields: readonly number[];
}

export interface MutatedFile {
  readonly bytes: Uint8Array;
  /** What was done, in order, for the failure message. */
  readonly steps: readonly string[];
}

/** Values that break parsers: zero, one, the edges of signed and unsigned 8, 16 and 32-bit fields. */
const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

/** One to three mutations of `file`, chosen by `rng`; checksums put right half of the time. */
export function mutate(file: Uint8Array, format: FuzzFormat, rng: Prng): MutatedFile {
  // A copy even of a Buffer, whose slice() is a view: the original must stay as it is for the next case.
  let bytes: Uint8Array = new Uint8Array(file);
  const steps: string[] = [];
  const count = 1 + rng.int(3);
  for (let index = 0; index < count && bytes.length > 0; index += 1) {
    const mutation = rng.pick(MUTATIONS);
    const result = mutation(bytes, layoutOf(bytes, format), rng);
    bytes = result.bytes;
    steps.push(result.step);
  }
  if (rng.chance(0.5)) {
    fixChecksums(bytes, format);
    steps.push('checksums fixed');
  }
  return { bytes, steps };
}

type Mutation = (bytes: Uint8Array, layout: Layout, rng: Prng) => { bytes: Uint8Array; step: string };

const MUTATIONS: readonly Mutation[] = [
  function flipBits(bytes, _layout, rng) {
    const flips = 1 + rng.int(8);
    for (let index = 0; index < flips; index += 1) {
      const at = rng.int(bytes.length);
      bytes[at] = bytes[at]! ^ (1 << rng.int(8));
    }
    return { bytes, step: `flip ${flips} bits` };
  },
  function setBytes(bytes, _layout, rng) {
    const count = 1 + rng.int(16);
    for (let index = 0; index < count; index += 1) bytes[rng.int(bytes.length)] = rng.int(256);
    return { bytes, step: `set ${count} random bytes` };
  },
  function truncate(bytes, _layout, rng) {
    const length = rng.int(bytes.length);
    return { bytes: bytes.slice(0, length), step: `truncate to ${length}` };
  },
  function overwriteRun(bytes, _layout, rng) {
    const start = rng.int(bytes.length);
    const length = 1 + rng.int(Math.min(512, bytes.length - start));
    const value = rng.pick([0x00, 0xff, rng.int(256)]);
    bytes.fill(value, start, start + length);
    return { bytes, step: `overwrite ${length} bytes at ${start} with ${value}` };
  },
  function overwriteHeaderField(bytes, layout, rng) {
    const at = layout.fields.length > 0 && rng.chance(0.7) ? rng.pick(layout.fields) : rng.int(Math.min(bytes.length, 64));
    const width = rng.pick([1, 2, 4]);
    const value = rng.pick(INTERESTING);
    const littleEndian = rng.chance(0.5);
    for (let index = 0; index < width && at + index < bytes.length; index += 1) {
      const shift = 8 * (littleEndian ? index : width - 1 - index);
      bytes[at + index] = Math.floor(value / 2 ** shift) & 0xff;
    }
    return { bytes, step: `write ${value} as ${width} bytes ${littleEndian ? 'LE' : 'BE'} at ${at}` };
  },
  function duplicateChunk(bytes, layout, rng) {
    const span = layout.chunks.length > 0 ? rng.pick(layout.chunks) : randomSpan(bytes.length, rng);
    const copies = 1 + rng.int(3);
    const chunk = bytes.subarray(span.start, span.end);
    const parts = [bytes.subarray(0, span.end), ...Array.from({ length: copies }, () => chunk), bytes.subarray(span.end)];
    return { bytes: join(parts), step: `duplicate ${span.end - span.start} bytes at ${span.start} ${copies} times` };
  },
  function removeChunk(bytes, layout, rng) {
    const span = layout.chunks.length > 0 ? rng.pick(layout.chunks) : randomSpan(bytes.length, rng);
    return { bytes: join([bytes.subarray(0, span.start), bytes.subarray(span.end)]), step: `remove ${span.end - span.start} bytes at ${span.start}` };
  },
  function insertRandom(bytes, _layout, rng) {
    const at = rng.int(bytes.length + 1);
    const inserted = Uint8Array.from({ length: 1 + rng.int(64) }, () => rng.int(256));
    return { bytes: join([bytes.subarray(0, at), inserted, bytes.subarray(at)]), step: `insert ${inserted.length} random bytes at ${at}` };
  },
];

function randomSpan(length: number, rng: Prng): Span {
  const start = rng.int(length);
  return { start, end: start + 1 + rng.int(Math.min(256, length - start)) };
}


function layoutOf(bytes: Uint8Array, format: FuzzFormat): Layout {
  switch (format) {
    case 'png':
      return pngLayout(bytes);
    case 'jpeg':
      return jpegLayout(bytes);
    case 'webp':
    case 'wav':
      return riffLayout(bytes);
    case 'ogg':
      return oggLayout(bytes);
    case 'gif':
      // Logical screen width and height, flags; then the first image descriptor's, when it is where a GIF without a colour table has it.
      return { chunks: [], fields: [4, 6, 8, 10, 11, 13, 14, 16, 18, 20] };
  }
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** PNG: length, type, data, CRC from byte 8; every chunk's length and IHDR's fields. */
function pngLayout(bytes: Uint8Array): Layout {
  const chunks: Span[] = [];
  const fields: number[] = [];
  for (let offset = 8; offset + 12 <= bytes.length; ) {
    const length = view(bytes).getUint32(offset);
    const end = offset + 12 + length;
    if (end > bytes.length) break;
    chunks.push({ start: offset, end });
    fields.push(offset);
    if (typeOf(bytes, offset + 4) === 'IHDR') fields.push(offset + 8, offset + 12, offset + 16, offset + 17, offset + 20);
    offset = end;
  }
  return { chunks, fields };
}

/** JPEG: marker segments up to the scan; every segment's length and the frame header's fields. */
function jpegLayout(bytes: Uint8Array): Layout {
  const chunks: Span[] = [];
  const fields: number[] = [];
  for (let offset = 2; offset + 4 <= bytes.length && bytes[offset] === 0xff; ) {
    const marker = bytes[offset + 1]!;
    const end = offset + 2 + view(bytes).getUint16(offset + 2);
    if (end > bytes.length) break;
    chunks.push({ start: offset, end });
    fields.push(offset + 2);
    // Start of frame (baseline, extended, progressive): precision, height, width, components.
    if (marker >= 0xc0 && marker <= 0xc2) fields.push(offset + 4, offset + 5, offset + 7, offset + 9);
    // Start of scan: component count and selectors.
    if (marker === 0xda) {
      fields.push(offset + 4, offset + 5);
      break;
    }
    offset = end;
  }
  return { chunks, fields };
}

/** RIFF (WAV, WebP): chunks from byte 12, each id, size, data and a pad byte to an even length. */
function riffLayout(bytes: Uint8Array): Layout {
  const chunks: Span[] = [];
  const fields: number[] = [4];
  for (let offset = 12; offset + 8 <= bytes.length; ) {
    const size = view(bytes).getUint32(offset + 4, true);
    const end = offset + 8 + size + (size & 1);
    if (end > bytes.length) break;
    chunks.push({ start: offset, end });
    fields.push(offset + 4);
    const id = typeOf(bytes, offset);
    // WAV format: tag, channels, rate, byte rate, block align, bits. WebP: frame sizes and flags.
    if (id === 'fmt ') fields.push(offset + 8, offset + 10, offset + 12, offset + 16, offset + 20, offset + 22);
    if (id === 'VP8 ' || id === 'VP8L' || id === 'VP8X') fields.push(offset + 8, offset + 11, offset + 12, offset + 14, offset + 16);
    offset = end;
  }
  return { chunks, fields };
}

/** Ogg: pages; each page's version, flags, granule position, serial, sequence, segment count, and OpusHead's fields. */
function oggLayout(bytes: Uint8Array): Layout {
  const chunks: Span[] = [];
  const fields: number[] = [];
  for (let offset = 0; offset + 27 <= bytes.length; ) {
    const segments = bytes[offset + 26]!;
    let end = offset + 27 + segments;
    for (let index = 0; index < segments && offset + 27 + index < bytes.length; index += 1) end += bytes[offset + 27 + index]!;
    if (end > bytes.length) break;
    chunks.push({ start: offset, end });
    fields.push(offset + 4, offset + 5, offset + 6, offset + 10, offset + 14, offset + 18, offset + 26, offset + 27);
    if (typeOf(bytes, offset + 27 + segments, 8) === 'OpusHead') {
      const head = offset + 27 + segments;
      fields.push(head + 8, head + 9, head + 10, head + 12, head + 16, head + 18);
    }
    offset = end;
  }
  return { chunks, fields };
}

function typeOf(bytes: Uint8Array, offset: number, length = 4): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

/** Recomputes PNG chunk CRCs and Ogg page CRCs, where the structure still parses. */
function fixChecksums(bytes: Uint8Array, format: FuzzFormat): void {
  if (format === 'png') {
    for (const chunk of pngLayout(bytes).chunks) {
      view(bytes).setUint32(chunk.end - 4, crc32(bytes.subarray(chunk.start + 4, chunk.end - 4)));
    }
  }
  if (format === 'ogg') {
    for (const page of oggLayout(bytes).chunks) {
      view(bytes).setUint32(page.start + 22, 0, true);
      view(bytes).setUint32(page.start + 22, oggCrc(bytes.subarray(page.start, page.end)), true);
    }
  }
}

// zlib.crc32 only arrived in Node 22.
const CRC_TABLE = Array.from({ length: 256 }, (_, index) => {
  let value = index;
  for (let bit = 0; bit < 8; bit += 1) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
  return value >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
