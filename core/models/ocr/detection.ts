import { convexHull, minAreaRect, type Point, type RotatedRect } from './geometry.js';

/** A text region found by the detector, in the probability map's pixels. */
export interface DetectedRegion {
  readonly rect: RotatedRect;
  /** Mean text probability over the region's pixels. */
  readonly score: number;
}

export interface DbPostProcessOptions {
  /** A pixel is text when its probability is above this (PaddleOCR: 0.3). */
  readonly pixelThreshold: number;
  /** A region is kept when its mean probability reaches this (PaddleOCR: 0.6). */
  readonly boxThreshold: number;
  /** How far the shrunk text kernel is grown back: distance = area * ratio / perimeter (PaddleOCR: 1.5). */
  readonly unclipRatio: number;
  /** Regions thinner than this (map pixels), before growing, are specks, not text. */
  readonly minSide: number;
  /** At most this many regions, the largest kept (a page of noise must not cost a recognition each). */
  readonly maxRegions: number;
}

export const DEFAULT_DB_OPTIONS: DbPostProcessOptions = {
  pixelThreshold: 0.3,
  boxThreshold: 0.55,
  unclipRatio: 1.5,
  minSide: 3,
  maxRegions: 1000,
};

/**
 * DB (differentiable binarisation) post-processing: threshold the probability map, take each
 * 8-connected component, fit the smallest rotated rectangle around it, score it by its mean
 * probability and grow it back by the margin the model was trained to shrink text by.
 */
export function regionsFromProbabilityMap(
  probabilities: Float32Array,
  width: number,
  height: number,
  options: DbPostProcessOptions = DEFAULT_DB_OPTIONS,
): DetectedRegion[] {
  const size = width * height;
  const labels = new Int32Array(size);
  // Pixels of the component being filled, reused for every component.
  const stack = new Int32Array(size);
  const members = new Int32Array(size);
  const rowMin = new Int32Array(height);
  const rowMax = new Int32Array(height);
  const threshold = options.pixelThreshold;
  const found: Array<DetectedRegion & { readonly pixels: number }> = [];
  let label = 0;

  for (let start = 0; start < size; start += 1) {
    if (labels[start] !== 0 || !(probabilities[start]! > threshold)) continue;
    label += 1;
    let top = 0;
    let count = 0;
    let sum = 0;
    let minY = height;
    let maxY = -1;
    stack[top++] = start;
    labels[start] = label;
    while (top > 0) {
      const index = stack[--top]!;
      members[count++] = index;
      sum += probabilities[index]!;
      const y = (index / width) | 0;
      const x = index - y * width;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      for (let dy = -1; dy <= 1; dy += 1) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx += 1) {
          const nx = x + dx;
          if (nx < 0 || nx >= width || (dx === 0 && dy === 0)) continue;
          const neighbour = ny * width + nx;
          if (labels[neighbour] === 0 && probabilities[neighbour]! > threshold) {
            labels[neighbour] = label;
            stack[top++] = neighbour;
          }
        }
      }
    }
    if (count < 4) continue;

    // The hull of a component is decided by each row's two ends. Their pixel centres, as OpenCV's
    // contours give them to PaddleOCR: the unclip ratio was tuned on those (pixel corners make small
    // boxes a map pixel fatter, which unclipping turns into 2.5, and the crops too loose).
    rowMin.fill(width, minY, maxY + 1);
    rowMax.fill(-1, minY, maxY + 1);
    for (let i = 0; i < count; i += 1) {
      const index = members[i]!;
      const y = (index / width) | 0;
      const x = index - y * width;
      if (x < rowMin[y]!) rowMin[y] = x;
      if (x > rowMax[y]!) rowMax[y] = x;
    }
    const points: Point[] = [];
    for (let y = minY; y <= maxY; y += 1) {
      const cy = y + 0.5;
      points.push({ x: rowMin[y]! + 0.5, y: cy }, { x: rowMax[y]! + 0.5, y: cy });
    }
    const rect = minAreaRect(convexHull(points));
    if (Math.min(rect.width, rect.height) < options.minSide) continue;
    const score = sum / count;
    if (score < options.boxThreshold) continue;
    const grown = unclip(rect, options.unclipRatio);
    if (Math.min(grown.width, grown.height) < options.minSide + 2) continue;
    found.push({ rect: grown, score, pixels: count });
  }

  found.sort((a, b) => b.pixels - a.pixels);
  return found.slice(0, options.maxRegions).map(({ rect, score }) => ({ rect, score }));
}

/**
 * Grows a rectangle by distance = area * ratio / perimeter on every side: what offsetting its
 * polygon does (the rounded corners do not change the smallest rectangle around the result).
 */
export function unclip(rect: RotatedRect, ratio: number): RotatedRect {
  const perimeter = 2 * (rect.width + rect.height);
  if (perimeter === 0) return rect;
  const distance = (rect.width * rect.height * ratio) / perimeter;
  return { ...rect, width: rect.width + 2 * distance, height: rect.height + 2 * distance };
}

/** Detection input size: longest side near `target`, never below `minimum`, both sides multiples of 32. */
export function detectionSize(width: number, height: number, target: number, minimum: number): { width: number; height: number } {
  const longest = Math.max(width, height);
  const scale = longest > target ? target / longest : longest < minimum ? minimum / longest : 1;
  const round32 = (value: number): number => Math.max(32, Math.round((value * scale) / 32) * 32);
  return { width: round32(width), height: round32(height) };
}
