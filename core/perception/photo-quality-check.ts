import sharp from 'sharp';
import { checkImage, DEFAULT_IMAGE_LIMITS, DEFAULT_MAX_INPUT_PIXELS, imageDecodeGate } from '../media/image-preprocess.js';
import { MediaError } from '../media/media-error.js';
import type { TextBox } from '../models/text-reader.js';
import type { PhotoProblem, PhotoQuality } from './photo-quality.js';

export interface PhotoQualityOptions {
  /** Refused above this many pixels (width × height from the header), as preprocessImage does. */
  readonly maxInputPixels?: number;
}

/**
 * Longest side of the grey copy every measure is taken on. A fixed size makes the measures
 * independent of the original's size (a 12-megapixel and a 900 px photo of the same scene give the
 * same verdict; the test checks it), and a JPEG that large shrinks on load (libjpeg decodes at 1/2,
 * 1/4 or 1/8 size), so a 12-megapixel photo never has its full-size pixels decoded.
 */
const ANALYSIS_SIDE = 512;

// Thresholds, measured on photo-like renders (test/photo-quality.test.ts: a 900 × 640 paper label
// with text and shapes on a grey-brown table, and its dark, over-exposed, blurred and small
// versions) and on the figures phones produce. Auto-exposure puts an ordinary scene's mean luma
// near 0.4-0.5 and white paper at 0.75-0.9 without clipping. The clean render: mean 0.68, the
// brightest tenth from 0.94, 1 % clipped, sharpness 0.50; levels × 0.25: mean 0.17; × 0.35: mean
// 0.24, brightest tenth 0.33; levels × 1.6 + 60: mean 0.92, 53 % clipped, darkest 2 % from 0.57.

/**
 * Dark: a mean luma under 0.2 is a frame where auto-exposure gave up (a dim room without a lamp,
 * a finger over the lens); between 0.2 and 0.3 only when even the brightest tenth of the frame is
 * dim (under 0.45), i.e. nothing in view is lit: a dark object photographed in a lit room
 * usually shows a lighter background or a highlight somewhere. A black or navy object filling the
 * whole frame is still called dark; from the pixels alone it cannot be told from a dark room.
 */
const DARK_MEAN = 0.2;
const DIM_MEAN = 0.3;
const DIM_BRIGHTEST_TENTH = 0.45;

/**
 * Over-exposed: a quarter of the frame clipped to white (luma ≥ 250/255) with a mean over 0.75,
 * and the darkest 2 % of the frame lifted above 0.3, so detail is washed out (the test's
 * over-exposed render: 53 % clipped, darkest 2 % from 0.57). White paper in a good photo is
 * 200-235, not clipped. A screenshot or scan of a white page is clipped white almost everywhere
 * and its small text goes grey on the 512 px copy (darkest 2 % at 1.0 for three lines of 28 px
 * text on a 1000 × 1400 page), so a frame over 90 % clipped with crisp edges in it is taken as a
 * document, not as glare; a frame blown out by a window or a lamp has no crisp edges left.
 */
const DOCUMENT_CLIPPED_SHARE = 0.9;
const DOCUMENT_SHARPNESS = 0.3;
const CLIPPED_LUMA = 250;
const CRUSHED_LUMA = 5;
const OVEREXPOSED_CLIPPED_SHARE = 0.25;
const OVEREXPOSED_MEAN = 0.75;
const OVEREXPOSED_DARKEST = 0.3;

/**
 * Blurred: the sharpness measure (see measureSharpness) is the steepest slope of an edge relative
 * to the contrast around it, 0.5 for a crisp edge and about 1 / w for one smeared over w pixels of
 * the 512 px copy. Measured on the label render, with what the raw PP-OCRv4 engine then read:
 * clean 0.50 (all four lines); Gaussian blur σ 1.1 px at 512 px 0.37 (all lines, spaces lost);
 * σ 1.7 0.26 (all lines, the smaller ones with wrong letters); a sideways shake of 4.5 px 0.23
 * (every line garbled); σ 2.3 0.21 and a shake of 8.5 px 0.18 (only the heading, 8 % of the frame
 * high, read at all). Under 0.25 the ordinary-size text of a label or letter is lost, and a retake
 * is worth asking for; the clean photos in the tests, a sparse letter in faint grey print included,
 * read 0.35 or more.
 */
const BLURRED_BELOW = 0.25;

/** Small: a shorter side under 300 px is a thumbnail; no text on it is readable. */
const SMALL_SIDE = 300;

/** A text line whose box comes within 1 % of the frame's side is taken to run past it. */
const EDGE_MARGIN = 0.01;

/**
 * How good a photo is, before any model looks at it: too dark, over-exposed, blurred or too small.
 * Decodes once, through the process's decode gate, to a small grey copy; milliseconds, even for a
 * 12-megapixel photo (bench/perception-bench.ts). Throws MediaError for input preprocessImage
 * would refuse too.
 */
export async function assessPhotoQuality(image: Uint8Array, options: PhotoQualityOptions = {}): Promise<PhotoQuality> {
  const grey = await decodeDownscaled(image, { maxSide: ANALYSIS_SIDE, colour: false, ...options });
  const stats = exposureStats(grey.pixels);
  const sharpness = measureSharpness(grey.pixels, grey.width, grey.height);
  const problems: PhotoProblem[] = [];
  const dark = stats.mean < DARK_MEAN || (stats.mean < DIM_MEAN && stats.p90 < DIM_BRIGHTEST_TENTH);
  if (dark) problems.push('dark');
  const document = stats.clipped >= DOCUMENT_CLIPPED_SHARE && sharpness !== undefined && sharpness >= DOCUMENT_SHARPNESS;
  const overexposed =
    !document && stats.clipped >= OVEREXPOSED_CLIPPED_SHARE && stats.mean > OVEREXPOSED_MEAN && stats.p02 > OVEREXPOSED_DARKEST;
  if (overexposed) problems.push('overexposed');
  // In a dark or washed-out frame the edges are faint and noisy; its light is the problem to coach
  // first, and "blurred" on top would send the person after a second fix they may not need.
  if (!dark && !overexposed && sharpness !== undefined && sharpness < BLURRED_BELOW) problems.push('blurred');
  if (Math.min(grey.original.width, grey.original.height) < SMALL_SIDE) problems.push('small');
  return {
    problems,
    brightness: stats.mean,
    sharpness,
    highlights: stats.clipped,
    shadows: stats.crushed,
    width: grey.original.width,
    height: grey.original.height,
  };
}

/**
 * True when a line of text touches the frame's edge (within 1 % of its size): the text very
 * likely runs on outside the photo, and the person is told to move back or aim to that side.
 */
export function textCutAtEdge(lines: readonly { readonly box: TextBox }[], width: number, height: number): boolean {
  if (width <= 0 || height <= 0) return false;
  const marginX = Math.max(1, width * EDGE_MARGIN);
  const marginY = Math.max(1, height * EDGE_MARGIN);
  return lines.some(({ box }) => {
    if (box.width <= 0 || box.height <= 0) return false;
    return box.x <= marginX || box.y <= marginY || box.x + box.width >= width - marginX || box.y + box.height >= height - marginY;
  });
}

interface ExposureStats {
  /** Mean luma 0..1. */
  readonly mean: number;
  /** Shares 0..1 of pixels at or above CLIPPED_LUMA and at or below CRUSHED_LUMA. */
  readonly clipped: number;
  readonly crushed: number;
  /** Luma 0..1 below which 2 % and 90 % of the pixels lie. */
  readonly p02: number;
  readonly p90: number;
}

function exposureStats(pixels: Uint8Array): ExposureStats {
  const histogram = new Uint32Array(256);
  let sum = 0;
  for (let index = 0; index < pixels.length; index += 1) {
    const value = pixels[index]!;
    histogram[value]! += 1;
    sum += value;
  }
  const count = Math.max(1, pixels.length);
  let clipped = 0;
  for (let value = CLIPPED_LUMA; value < 256; value += 1) clipped += histogram[value]!;
  let crushed = 0;
  for (let value = 0; value <= CRUSHED_LUMA; value += 1) crushed += histogram[value]!;
  const percentile = (fraction: number): number => {
    const wanted = fraction * count;
    let seen = 0;
    for (let value = 0; value < 256; value += 1) {
      seen += histogram[value]!;
      if (seen >= wanted) return value / 255;
    }
    return 1;
  };
  return { mean: sum / count / 255, clipped: clipped / count, crushed: crushed / count, p02: percentile(0.02), p90: percentile(0.9) };
}

const TILE = 16;
/**
 * An edge's contrast is taken over its tile and 4 px around it (24 × 24 px): wide enough to span
 * an edge blurred up to σ ≈ 4 px at the 512 px scale, so the measure keeps falling with blur up to
 * there (edges wider than that all read about 1/24 and are blurred anyway).
 */
const TILE_MARGIN = 4;
/**
 * Least contrast (grey levels) of a tile that is judged: above the noise left in a downscaled phone
 * photo (σ of 1-3 levels) and below faint text, e.g. grey ink on grey paper 40 levels apart, or any
 * text in a dark photo (its contrast shrinks with the light).
 */
const MIN_EDGE_CONTRAST = 20;
/** Fewer judged tiles than this in a direction: that direction has no edges worth judging. */
const MIN_TILES = 6;
/**
 * The sharpest parts of the frame decide: the 90th percentile of the tiles' sharpness, so a label
 * in focus in front of a blurred background is sharp, while a few glints or noise tiles in a
 * blurred photo are not enough.
 */
const TILE_PERCENTILE = 0.9;

/**
 * How crisp the edges in the picture are, independent of their contrast and of how much of the
 * frame is flat: in each 16 px tile, the steepest slope (Sobel, in levels per pixel) divided by
 * the range of levels around it (the tile and 4 px beyond). A crisp edge reads 0.5, an edge
 * smeared over w pixels about 1 / w. The variance of the Laplacian, the usual measure, grows with
 * the square of the contrast and shrinks with the share of flat area, so a sharp page of faint
 * text on mostly blank paper reads as blurred; this measure does not (the test checks both).
 *
 * The contrast is the tile's, not the edge's own: a shake (box-shaped blur) turns a thin stroke
 * into a faint plateau whose own edges stay as steep as the stroke was wide, but it is faint
 * against the ink and paper around it. Measured across and along the rows separately, and the less
 * sharp direction is the answer: a sideways shake smears the letters' upright strokes while
 * leaving their tops crisp. Undefined when no direction has enough edges to judge (a blank wall).
 */
export function measureSharpness(grey: Uint8Array, width: number, height: number): number | undefined {
  if (width < 3 || height < 3) return undefined;
  const tilesX = Math.ceil(width / TILE);
  const tilesY = Math.ceil(height / TILE);
  const across: number[] = [];
  const along: number[] = [];
  for (let tileY = 0; tileY < tilesY; tileY += 1) {
    for (let tileX = 0; tileX < tilesX; tileX += 1) {
      const x0 = tileX * TILE;
      const y0 = tileY * TILE;
      const x1 = Math.min(width, x0 + TILE);
      const y1 = Math.min(height, y0 + TILE);
      let low = 255;
      let high = 0;
      for (let y = Math.max(0, y0 - TILE_MARGIN); y < Math.min(height, y1 + TILE_MARGIN); y += 1) {
        for (let x = Math.max(0, x0 - TILE_MARGIN); x < Math.min(width, x1 + TILE_MARGIN); x += 1) {
          const value = grey[y * width + x]!;
          if (value < low) low = value;
          if (value > high) high = value;
        }
      }
      const contrast = high - low;
      if (contrast < MIN_EDGE_CONTRAST) continue;
      let steepestX = 0;
      let steepestY = 0;
      for (let y = Math.max(1, y0); y < Math.min(height - 1, y1); y += 1) {
        for (let x = Math.max(1, x0); x < Math.min(width - 1, x1); x += 1) {
          const i = y * width + x;
          const above = i - width;
          const below = i + width;
          // Sobel, smoothed [1 2 1] across the direction, divided by 8: the slope in levels per pixel.
          const slopeX = Math.abs(grey[above + 1]! - grey[above - 1]! + 2 * (grey[i + 1]! - grey[i - 1]!) + grey[below + 1]! - grey[below - 1]!) / 8;
          const slopeY = Math.abs(grey[below - 1]! - grey[above - 1]! + 2 * (grey[below]! - grey[above]!) + grey[below + 1]! - grey[above + 1]!) / 8;
          if (slopeX > steepestX) steepestX = slopeX;
          if (slopeY > steepestY) steepestY = slopeY;
        }
      }
      // A tile whose edges all run one way says nothing about the other direction.
      if (steepestX >= MIN_EDGE_CONTRAST / 8) across.push(steepestX / contrast);
      if (steepestY >= MIN_EDGE_CONTRAST / 8) along.push(steepestY / contrast);
    }
  }
  const sharpest = (scores: number[]): number | undefined => {
    if (scores.length < MIN_TILES) return undefined;
    scores.sort((a, b) => a - b);
    return scores[Math.min(scores.length - 1, Math.floor(TILE_PERCENTILE * scores.length))]!;
  };
  const x = sharpest(across);
  const y = sharpest(along);
  if (x === undefined) return y;
  if (y === undefined) return x;
  return Math.min(x, y);
}

export interface DownscaledImage {
  /** Grey (1 channel) or sRGB (3 channels), rows top to bottom, upright. */
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  /** The original's size as displayed, after EXIF orientation. */
  readonly original: { readonly width: number; readonly height: number };
}

/**
 * One decode of a photo to a small upright copy, through the process's decode gate: JPEGs shrink
 * on load, so the full-size pixels are never held. Refuses what preprocessImage refuses (not an
 * accepted format, too many pixels, a whole-image decode over the budget) with the same errors.
 */
export async function decodeDownscaled(
  image: Uint8Array,
  options: { readonly maxSide: number; readonly colour: boolean; readonly maxInputPixels?: number },
): Promise<DownscaledImage> {
  const maxInputPixels = options.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  // The photo reaches here after preprocessImage accepted it; checking again keeps this safe alone.
  const header = await checkImage(image, { ...DEFAULT_IMAGE_LIMITS, maxInputBytes: Math.max(image.byteLength, 1), maxInputPixels });
  const original = { width: header.width, height: header.height };
  const decoded = await imageDecodeGate.run(header.wholeImageBytes, async () => {
    let pipeline = sharp(image, { failOn: 'error', limitInputPixels: maxInputPixels, pages: 1, autoOrient: true })
      .resize({ width: options.maxSide, height: options.maxSide, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' });
    pipeline = options.colour ? pipeline.toColourspace('srgb').removeAlpha() : pipeline.greyscale().removeAlpha();
    try {
      return await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    } catch (error) {
      throw new MediaError('corrupt', 'Image data is damaged or incomplete', { format: header.format }, { cause: error });
    }
  });
  const { data, info } = decoded;
  const channels = info.channels === 1 ? 1 : 3;
  if (info.channels !== channels) throw new Error(`Expected ${options.colour ? 3 : 1} channels, got ${info.channels}`);
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels, original };
}
