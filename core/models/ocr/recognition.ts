import type { RecognizedChar } from './layout.js';

/** Height of the recogniser's input; one output frame covers 8 pixels of its width. */
export const RECOGNITION_HEIGHT = 48;
const FRAME_PIXELS = 8;

/**
 * The recogniser's dictionary as the model's classes see it: class 0 is the CTC blank, class i is
 * line i - 1 of ppocr_keys_v1.txt, and the last class is a space (PaddleOCR's use_space_char).
 */
export function parseDictionary(text: string): string[] {
  const lines = text.split('\n').map((line) => line.replace(/\r$/u, ''));
  // A final newline leaves an empty last entry that is no class of the model.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return [...lines, ' '];
}

/**
 * A blank stretch between two characters becomes a space when the space class reaches this
 * probability anywhere in it. The model often lets a word gap fall to the blank class while still
 * giving the space class 0.15-0.5 there; between the letters of a word it gives it under 0.01
 * (measured on the rendered labels; 0.03-0.05 only next to a space it did emit).
 */
export const SPACE_HINT = 0.12;

/**
 * Greedy CTC decoding of one line: the most likely class per frame, repeats merged, blanks dropped.
 * Each character keeps the frames it spans (as start and end in units of the crop's height, which
 * the layout turns into word gaps) and its probability (the highest of its frames). A word gap
 * the model left blank but saw as a likely space (SPACE_HINT) is given back as a space, with the
 * probability that the stretch holds no letter as its confidence.
 *
 * `probabilities` holds `frames` rows of `classes` softmax outputs starting at `offset`; only the
 * first `usedFrames` are read (the rest cover padding added to fill a batch). The last class is the
 * space (see parseDictionary).
 */
export function decodeCtc(
  probabilities: Float32Array,
  offset: number,
  frames: number,
  classes: number,
  usedFrames: number,
  dictionary: readonly string[],
): RecognizedChar[] {
  const chars: RecognizedChar[] = [];
  const space = classes - 1;
  let current = 0;
  let runStart = 0;
  let runBest = 0;
  // The blank stretch since the last character: where it began and its best space probability.
  let gapStart = -1;
  let gapSpace = 0;
  let gapFree = 0;
  const flush = (end: number): void => {
    if (current === 0) return;
    const text = dictionary[current - 1];
    if (text === undefined) return;
    chars.push({ text, start: (runStart * FRAME_PIXELS) / RECOGNITION_HEIGHT, end: (end * FRAME_PIXELS) / RECOGNITION_HEIGHT, confidence: runBest });
  };
  const limit = Math.min(frames, usedFrames);
  for (let t = 0; t < limit; t += 1) {
    const row = offset + t * classes;
    let best = 0;
    let bestP = probabilities[row]!;
    for (let c = 1; c < classes; c += 1) {
      const p = probabilities[row + c]!;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best === 0) {
      if (gapStart < 0) {
        gapStart = t;
        gapSpace = 0;
        gapFree = 0;
      }
      const spaceP = probabilities[row + space]!;
      if (spaceP > gapSpace) {
        gapSpace = spaceP;
        gapFree = spaceP + probabilities[row]!;
      }
    }
    if (best !== current) {
      flush(t);
      if (best !== 0 && gapStart >= 0) {
        const previous = chars[chars.length - 1];
        if (gapSpace >= SPACE_HINT && best !== space && previous !== undefined && previous.text !== ' ') {
          chars.push({ text: ' ', start: (gapStart * FRAME_PIXELS) / RECOGNITION_HEIGHT, end: (t * FRAME_PIXELS) / RECOGNITION_HEIGHT, confidence: gapFree });
        }
        gapStart = -1;
      }
      current = best;
      runStart = t;
      runBest = bestP;
    } else if (bestP > runBest) {
      runBest = bestP;
    }
  }
  flush(limit);
  return chars;
}

/** Frames the recogniser gives for an input `width` pixels wide. */
export function framesFor(width: number): number {
  return Math.ceil(width / FRAME_PIXELS);
}

/** Mean probability of the characters, 0 when there are none. */
export function meanConfidence(chars: readonly RecognizedChar[]): number {
  if (chars.length === 0) return 0;
  let sum = 0;
  for (const char of chars) sum += char.confidence;
  return sum / chars.length;
}

