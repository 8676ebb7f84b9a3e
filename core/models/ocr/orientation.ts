import type { RecognizedChar } from './layout.js';
import type { RotatedRect } from './geometry.js';

/** The direction classifier's input: 48 pixels high, at most 192 wide (padded to 192). */
export const CLASSIFIER_HEIGHT = 48;
export const CLASSIFIER_WIDTH = 192;

/** A line whose crop the classifier finds upside down with at least this probability is also read turned over. */
export const LINE_FLIP_PROBABILITY = 0.9;

/**
 * Lines whose box is long and thin enough for the direction classifier to judge (on a single
 * character or a square logo it guesses), largest first.
 */
export function linesToVote<T extends { readonly rect: RotatedRect }>(regions: readonly T[], most: number): T[] {
  const largestFirst = (list: T[]): T[] => list.sort((a, b) => b.rect.width * b.rect.height - a.rect.width * a.rect.height).slice(0, most);
  const long = regions.filter((region) => region.rect.width >= 2 * region.rect.height);
  if (long.length > 0) return largestFirst(long);
  // A sign of one short word ("NO", "Pull"): its box is all there is to go by.
  return largestFirst(regions.filter((region) => region.rect.width >= 1.2 * region.rect.height));
}

/**
 * Whether the page is upside down: the lines' votes (probability of 180 degrees minus that of 0),
 * weighted by how much text each line holds, must lean clearly one way.
 */
export function pageLooksUpsideDown(votes: ReadonlyArray<{ readonly upsideDown: number; readonly weight: number }>): boolean {
  let sum = 0;
  let total = 0;
  for (const vote of votes) {
    sum += (2 * vote.upsideDown - 1) * vote.weight;
    total += vote.weight;
  }
  return total > 0 && sum / total > 0.2;
}

/**
 * Whether most text on the page runs up or down rather than across: the area of clearly vertical
 * boxes against that of clearly horizontal ones (square boxes, single characters, say nothing).
 */
export function pageLooksSideways(rects: readonly RotatedRect[]): boolean {
  let vertical = 0;
  let horizontal = 0;
  for (const rect of rects) {
    const area = rect.width * rect.height;
    if (rect.height >= 1.5 * rect.width) vertical += area;
    else if (rect.width >= 1.5 * rect.height) horizontal += area;
  }
  return vertical > horizontal;
}

/** Characters read with at least this probability count towards choosing a rotation. */
const CONFIDENT = 0.8;

/** How much confident text a reading holds: the measure rotations are compared by. */
export function confidentCharacters(lines: ReadonlyArray<readonly RecognizedChar[]>): number {
  let count = 0;
  for (const chars of lines) for (const char of chars) if (char.confidence >= CONFIDENT && char.text.trim() !== '') count += 1;
  return count;
}

/** Characters read at all, spaces aside. */
export function allCharacters(lines: ReadonlyArray<readonly RecognizedChar[]>): number {
  let count = 0;
  for (const chars of lines) for (const char of chars) if (char.text.trim() !== '') count += 1;
  return count;
}
