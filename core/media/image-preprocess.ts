import sharp, { type FailOnOptions, type Metadata } from 'sharp';
// The file itself, not util's index: util's download helper imports this module's errors.
import { Semaphore } from '../util/semaphore.js';
import { DecodeGate } from './decode-gate.js';
import { MediaError } from './media-error.js';
import { readLocalFile } from './read-local-file.js';

export interface ImageLimits {
  maxInputBytes: number;
  /** Checked against width × height from the header, before any pixel is decoded. */
  maxInputPixels: number;
  /** Longest side of the prepared image; smaller images are never enlarged. */
  maxSide: number;
  /**
   * Most memory one decode may take when its format has to be decoded whole rather than a strip at
   * a time (see wholeImageBytesPerPixel); such an image needing more is refused as too-many-pixels.
   * DEFAULT_IMAGE_LIMITS.maxDecodeBytes unless given.
   */
  maxDecodeBytes?: number;
}

const MIB = 1024 * 1024;

/**
 * 65 million pixels: a full-resolution photo from a 48, 50 or 64-megapixel phone camera
 * (8000 × 6000, 8160 × 6144, 9248 × 6936) opens; the 108 and 200-megapixel modes do not, and the
 * user is told to send a smaller copy. Chat apps shrink photos sent as photos far below this.
 */
export const DEFAULT_MAX_INPUT_PIXELS = 65_000_000;

/**
 * 160 MiB for one image its decoder holds whole: a progressive JPEG of 40 megapixels (4:2:0
 * colour), an interlaced PNG of 46, a GIF of 33 or an AVIF of 10 opens. Phone cameras write
 * baseline JPEGs, which stream, so this refuses only unusual files; with the process's other
 * memory it keeps a burst of image bombs under 600 MiB (bench/memory-bench.ts).
 */
export const DEFAULT_MAX_DECODE_BYTES = 160 * MIB;

export const DEFAULT_IMAGE_LIMITS: Required<ImageLimits> = {
  maxInputBytes: 20 * 1024 * 1024,
  maxInputPixels: DEFAULT_MAX_INPUT_PIXELS,
  maxSide: 1536,
  maxDecodeBytes: DEFAULT_MAX_DECODE_BYTES,
};

/**
 * Every decode in the process goes through this gate: two at once, one per core of the 2-core
 * machines the bot runs on (sharp gives each image one libvips thread on glibc), and whole-image
 * decoders within one default decode budget together. With the process's other memory that bounds
 * a burst of photos or of image bombs to a few hundred megabytes (bench/memory-bench.ts).
 */
export const imageDecodeGate = new DecodeGate(2, DEFAULT_MAX_DECODE_BYTES);

/**
 * Photos between the start of their download and the end of their decode, process-wide: enough
 * to keep the 4 download slots (core/util/download.ts) and the 2 decode slots busy, few enough that
 * a burst of hundreds of photo messages does not hold hundreds of originals in memory while they
 * wait to be decoded.
 */
const PHOTOS_IN_HAND = 6;
const photosInHand = new Semaphore(PHOTOS_IN_HAND);

// libvips caches recent operations by their input; every photo is new, so the cache only holds on
// to memory (up to 50 MB of pixels by default).
sharp.cache(false);

export interface PreparedImage {
  data: Uint8Array;
  mediaType: 'image/jpeg';
  width: number;
  height: number;
  source: {
    /** sharp's format name, except HEIF, reported as 'heic' or 'avif' as users know it. */
    format: string;
    /** As displayed, i.e. after EXIF orientation. */
    width: number;
    height: number;
    /** Frames of an animation or pages of a TIFF; only the first is used. */
    pages: number;
    bytes: number;
  };
}

const ACCEPTED_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

/**
 * 'error' rather than sharp's default 'warning': truncated and undecodable data still fail,
 * but JPEGs from some Samsung cameras carry a harmless libjpeg warning ("Invalid SOS parameters
 * for sequential JPEG", lovell/sharp#1578, #3488) and our users must not be told their photo is broken.
 */
const FAIL_ON: FailOnOptions = 'error';

const JPEG_QUALITY = 85;
const WHITE = '#ffffff';

// libheif, when the HEVC decoder (libde265) is not built in, as in sharp's prebuilt binaries:
// "heif: Error while loading plugin: Support for this compression format has not been built in: HEVC ..."
const HEIF_DECODER_MISSING = /compression format has not been built in|Unsupported codec/i;
// libvips lists .heic among the HEIF loader's suffixes only when it can decode HEVC: without it a
// HEIC is refused from its header, before its size is weighed against the decode budget.
const HEVC_DECODER_BUILT_IN = sharp.format.heif?.input.fileSuffix?.includes('.heic') ?? false;

export interface ImageHeader {
  format: string;
  width: number;
  height: number;
  pages: number;
  /** What decoding needs in memory at once when the format is decoded whole; 0 when it streams. */
  wholeImageBytes: number;
  /** How many bytes each pixel costs such a decoder; 0 when it streams. */
  bytesPerPixel: number;
}

/**
 * Turns whatever the user sent into a JPEG a vision model can take: one frame, upright, 8-bit
 * sRGB, no transparency, no metadata, longest side at most `limits.maxSide`.
 * Throws `MediaError` for input we refuse; other errors are ours, not the user's.
 */
export async function preprocessImage(
  input: Uint8Array,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<PreparedImage> {
  const header = await checkImage(input, limits);
  const { data, info } = await imageDecodeGate.run(header.wholeImageBytes, () => convertToJpeg(input, header, limits));
  return {
    data,
    mediaType: 'image/jpeg',
    width: info.width,
    height: info.height,
    source: { format: header.format, width: header.width, height: header.height, pages: header.pages, bytes: input.byteLength },
  };
}

/**
 * Everything refused before a pixel is decoded, checked once for every decoder of the process
 * (the model's copy, the quality check, the text reader, the barcode scanner): the byte size, the
 * formats never decoded (SVG, PDF), the header, the pixel count and the decode budget. Returns the
 * header; throws `MediaError`.
 */
export async function checkImage(input: Uint8Array, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<ImageHeader> {
  assertAcceptableSize(input.byteLength, limits.maxInputBytes);
  rejectFormatsNeverDecoded(input);
  const header = await readHeader(input);
  assertAcceptablePixelCount(header, limits.maxInputPixels);
  assertDecodableWithinBudget(header, limits.maxDecodeBytes ?? DEFAULT_MAX_DECODE_BYTES);
  return header;
}

/**
 * Downloads a photo (`fetch`, e.g. an IncomingImage's) and prepares it, in one of a few places
 * shared by the whole process (see PHOTOS_IN_HAND). Throws what `fetch` and preprocessImage throw.
 */
export async function fetchAndPreprocessImage(
  fetch: () => Promise<Uint8Array>,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
  /**
   * Looks at the original once it is known to be a photo within the limits, while it is still
   * counted among the photos in hand: reading small text needs the original's full detail.
   */
  inspect?: (original: Uint8Array) => Promise<void>,
): Promise<PreparedImage> {
  const release = await photosInHand.acquire();
  try {
    const original = await fetch();
    const prepared = await preprocessImage(original, limits);
    await inspect?.(original);
    return prepared;
  } finally {
    release();
  }
}

/** For the console: refuses before reading what preprocessImage would refuse by size. */
export async function readImageFile(
  path: string,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<Uint8Array> {
  const bytes = await readLocalFile(path, limits.maxInputBytes);
  assertAcceptableSize(bytes.byteLength, limits.maxInputBytes);
  return bytes;
}

function assertAcceptableSize(byteCount: number, limitBytes: number): void {
  if (byteCount === 0) {
    throw new MediaError('empty', 'Input is empty (0 bytes)');
  }
  if (byteCount > limitBytes) {
    throw new MediaError('too-large', `Input is ${byteCount} bytes, limit is ${limitBytes}`, {
      limitBytes,
      actualBytes: byteCount,
    });
  }
}

/**
 * SVG and PDF can reference external resources and describe unbounded drawings, so they never
 * reach a decoder, not even for the header; BMP, PSD and JPEG XL cannot be decoded by sharp's
 * prebuilt binaries, and "please send a photo in another format" helps more than "not an image".
 */
function rejectFormatsNeverDecoded(input: Uint8Array): void {
  const format = sniffFormat(input);
  if (format !== undefined && !ACCEPTED_FORMATS.has(format)) {
    throw unsupportedFormat(format);
  }
}

async function readHeader(input: Uint8Array): Promise<ImageHeader> {
  let metadata: Metadata;
  try {
    // No pixel limit here: we want the real dimensions, to refuse with them in the details.
    metadata = await sharp(input, { failOn: FAIL_ON, limitInputPixels: false }).metadata();
  } catch (error) {
    throw headerError(input, error);
  }
  const format = describeFormat(metadata);
  if (!ACCEPTED_FORMATS.has(metadata.format) || (format === 'heic' && !HEVC_DECODER_BUILT_IN)) {
    throw unsupportedFormat(format);
  }
  const bytesPerPixel = wholeImageBytesPerPixel(metadata);
  return {
    format,
    width: metadata.autoOrient.width,
    height: metadata.autoOrient.height,
    pages: metadata.pages ?? 1,
    // The first frame or page is all that is decoded; its size is the image's.
    wholeImageBytes: bytesPerPixel * metadata.width * (metadata.pageHeight ?? metadata.height),
    bytesPerPixel,
  };
}

/**
 * libvips decodes most images a strip at a time, and a baseline JPEG shrinks on load (libjpeg
 * decodes it at an eighth of its size): a 100-megapixel baseline JPEG, plain PNG, WebP or TIFF
 * costs 25 to 70 MB. Some decoders hold the whole image first, and a file of a few hundred
 * kilobytes then costs hundreds of megabytes. Measured with sharp 0.35 / libvips 8.18, peak RSS
 * over a warm process, per pixel:
 * - progressive JPEG: libjpeg keeps every DCT coefficient of the image, 2 bytes each, at full size
 *   even when asked for an eighth (3.1 bytes with 4:2:0 colour, 6 with 4:4:4); so it does for a
 *   baseline JPEG in several scans, which libvips also reports as progressive;
 * - interlaced (Adam7) PNG: libpng hands over no row before the last pass, so the whole image is
 *   read into memory (3.4 to 3.6 bytes for 8-bit RGB);
 * - GIF: every frame is drawn onto a full RGBA canvas (4.6 to 4.8 bytes);
 * - HEIF, i.e. AVIF here: libheif and the AV1 decoder hold several whole planes (16 bytes with
 *   4:2:0 colour, 18.7 with 4:4:4, which the header does not tell).
 */
function wholeImageBytesPerPixel(metadata: Metadata): number {
  const channels = metadata.channels ?? 3;
  const sampleBytes = metadata.depth === 'ushort' ? 2 : 1;
  switch (metadata.format) {
    case 'jpeg': {
      if (!metadata.isProgressive) return 0;
      // libvips reports any subsampling as 4:2:0; 4:2:2 halves chroma only across, so count that.
      const subsampled = metadata.chromaSubsampling !== undefined && !metadata.chromaSubsampling.startsWith('4:4:4');
      const samples = subsampled ? 1 + (channels - 1) / 2 : channels;
      return 2 * samples;
    }
    case 'png':
      return metadata.isProgressive ? 1.2 * channels * sampleBytes : 0;
    case 'gif':
      return 5;
    case 'heif':
      return 16;
    default:
      return 0;
  }
}

/**
 * Messages seen from sharp 0.35 / libvips 8.18 while reading headers:
 * - "Input buffer contains unsupported image format": no loader recognised the bytes; also a
 *   TIFF cut short, since libtiff cannot find its directory.
 * - "Input buffer has corrupt header: <loader message>": a loader claimed the bytes but failed,
 *   e.g. a truncated GIF or WebP, or JPEG markers followed by garbage.
 */
function headerError(input: Uint8Array, error: unknown): unknown {
  const message = errorMessage(error);
  const signature = sniffFormat(input);
  if (message.includes('unsupported image format')) {
    return signature === undefined
      ? new MediaError('not-an-image', 'Input is not a recognised image', undefined, { cause: error })
      : corrupt(signature, error);
  }
  if (message.includes('corrupt header')) {
    return corrupt(signature, error);
  }
  return error;
}

function assertAcceptablePixelCount(header: ImageHeader, limitPixels: number): void {
  const { width, height } = header;
  if (width * height > limitPixels) {
    throw new MediaError('too-many-pixels', `Image is ${width}×${height} pixels, limit is ${limitPixels}`, {
      width,
      height,
      limitPixels,
    });
  }
}

/** An image its decoder must hold whole is refused when that would take more than the budget. */
function assertDecodableWithinBudget(header: ImageHeader, limitBytes: number): void {
  const { width, height, wholeImageBytes, bytesPerPixel } = header;
  if (wholeImageBytes <= limitBytes) return;
  const limitPixels = Math.floor(limitBytes / bytesPerPixel);
  throw new MediaError(
    'too-many-pixels',
    `Image is ${width}×${height} pixels of ${header.format} decoded whole, about ${Math.round(wholeImageBytes / MIB)} MiB; ` +
      `the limit is ${Math.round(limitBytes / MIB)} MiB (${limitPixels} pixels)`,
    { width, height, limitPixels, format: header.format },
  );
}

async function convertToJpeg(input: Uint8Array, header: ImageHeader, limits: ImageLimits) {
  const pipeline = sharp(input, {
    failOn: FAIL_ON,
    // A second guard in case a loader reports other dimensions when decoding than in the header.
    limitInputPixels: limits.maxInputPixels,
    // First frame of an animation; a still is what the user means to ask about.
    pages: 1,
    autoOrient: true,
  })
    .toColourspace('srgb')
    .flatten({ background: WHITE })
    .resize({ width: limits.maxSide, height: limits.maxSide, fit: 'inside', withoutEnlargement: true })
    // sharp writes no metadata unless asked to keep it, so EXIF (GPS, camera serial) stays behind.
    .jpeg({ quality: JPEG_QUALITY, mozjpeg: false });
  try {
    return await pipeline.toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw decodeError(error, header.format, limits.maxInputPixels);
  }
}

/**
 * Messages seen while decoding pixels: "VipsJpeg: premature end of JPEG image",
 * "vipspng: libpng read error", "heif: Invalid input: Unexpected end of file ...", and
 * "Unknown error" (libvips left no message, e.g. a PNG chunk with a bad CRC).
 * The header already parsed, so apart from the cases below the data itself is damaged.
 */
function decodeError(error: unknown, format: string, limitPixels: number): unknown {
  const message = errorMessage(error);
  if (message.includes('exceeds pixel limit')) {
    return new MediaError('too-many-pixels', `Image exceeds ${limitPixels} pixels`, { limitPixels }, { cause: error });
  }
  if (HEIF_DECODER_MISSING.test(message)) {
    return unsupportedFormat(format, error);
  }
  // The first line is the loader's own complaint; libvips may add its generic "Out of memory"
  // after it, e.g. "gifload: bad image dimensions\ngifload_buffer: Out of memory" for a GIF frame
  // placed outside its screen. Only memory really running out is our problem, not the user's.
  if (/out of memory/i.test(message.split('\n')[0] ?? '')) {
    return error;
  }
  return corrupt(format, error);
}

function describeFormat(metadata: Metadata): string {
  if (metadata.format !== 'heif') return metadata.format;
  if (metadata.compression === 'hevc') return 'heic';
  if (metadata.compression === 'av1') return 'avif';
  return 'heif';
}

function unsupportedFormat(format: string, cause?: unknown): MediaError {
  const options = cause === undefined ? undefined : { cause };
  return new MediaError('unsupported-format', `Image format not accepted: ${format}`, { format }, options);
}

function corrupt(format: string | undefined, cause: unknown): MediaError {
  const details = format === undefined ? undefined : { format };
  return new MediaError('corrupt', `Image data is damaged or incomplete${format ? ` (${format})` : ''}`, details, {
    cause,
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Recognises a format from its first bytes, independently of libvips: to refuse formats before
 * any parser sees them, and to tell a damaged photo from something that never was one.
 */
function sniffFormat(bytes: Uint8Array): string | undefined {
  const ascii = (start: number, end: number) => Buffer.from(bytes.subarray(start, end)).toString('latin1');
  const startsWithBytes = (...values: number[]) => values.every((value, index) => bytes[index] === value);

  if (startsWithBytes(0xff, 0xd8, 0xff)) return 'jpeg';
  if (startsWithBytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (ascii(0, 4) === 'GIF8') return 'gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff';
  if (ascii(4, 8) === 'ftyp' && HEIF_BRANDS.has(ascii(8, 12))) return 'heif';
  if (ascii(0, 1024).includes('%PDF-')) return 'pdf';
  if (looksLikeSvg(bytes)) return 'svg';
  if (looksLikeBmp(bytes)) return 'bmp';
  if (ascii(0, 4) === '8BPS') return 'psd';
  if (startsWithBytes(0xff, 0x0a) || ascii(4, 8) === 'JXL ') return 'jxl';
  return undefined;
}

const HEIF_BRANDS: ReadonlySet<string> = new Set([
  'heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs', 'mif1', 'mif2', 'msf1', 'avif', 'avis',
]);

/** Like libvips' own test: markup whose first kilobytes open an <svg> element. */
function looksLikeSvg(bytes: Uint8Array): boolean {
  const start = Buffer.from(bytes.subarray(0, 4096)).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return start.startsWith('<') && start.includes('<svg');
}

/** "BM" alone starts too many text files; also require zeroed reserved bytes and a known DIB header size. */
function looksLikeBmp(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 18 || bytes[0] !== 0x42 || bytes[1] !== 0x4d) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reservedAreZero = view.getUint32(6, true) === 0;
  const dibHeaderSize = view.getUint32(14, true);
  return reservedAreZero && [12, 40, 52, 56, 64, 108, 124].includes(dibHeaderSize);
}
