/**
 * Text layout for the OCR engine: spaces restored inside a recognised segment, and the segments of a
 * page put into lines in reading order. Pure functions on recognised characters and detected boxes,
 * so they can be tested without a model and reused by any engine that reports positions.
 */
import type { TextBox } from '../text-reader.js';

/** One recognised character; positions along the segment in units of the segment's crop height. */
export interface RecognizedChar {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly confidence: number;
}

/** One detected text box, recognised. box in upright-image pixels. */
export interface RecognizedSegment {
  readonly box: TextBox;
  readonly chars: readonly RecognizedChar[];
  readonly confidence: number;
}

export interface LaidOutLine {
  readonly text: string;
  readonly confidence: number;
  readonly box: TextBox;
  readonly segments: readonly RecognizedSegment[];
}

// ---------------------------------------------------------------------------------------------
// Spaces inside a segment
// ---------------------------------------------------------------------------------------------

/*
 * Measured on PP-OCRv4 rec (greedy CTC, one frame = 1/6 of the crop height) over lines rendered in
 * DejaVu, Liberation and WenQuanYi at 16-40 px with detector-like padding, and on the engine's own
 * readings of the rendered test photos: the model emits the space class for nearly every word space in
 * Latin lines cut with some margin (less often as the text gets small in its crop, and seldom next to
 * Chinese). Gaps between the peaks of two letters of one word exceed the line's median letter gap by at
 * most 2 frames (0.5 % of pairs reach 2); across a space the excess is 0-4 frames, mostly 1-2, so only
 * an excess of 3 frames or more is taken as a space the model missed. Peaks are too coarse for more.
 */

/** A gap counts as a missed word space when it exceeds the line's usual letter gap by this much. */
const SPACE_EXCESS = 2.5 / 6;
/**
 * A segment of 20 or more Latin letters in which the model emitted no space at all was read in the
 * model's spaceless mode (typical next to Chinese; a single word that long is rare, an address is
 * excluded); there an excess of 2 frames is taken too. On the engine's own readings of the rendered
 * test photos with its spaces removed, this restores 40 % of the spaces instead of 13 %, at 3 false
 * spaces in about 1,300 letter pairs; on 136 lines rendered alone, 46 % instead of 31 %, none false.
 */
const SPACELESS_EXCESS = 1.5 / 6;
const SPACELESS_MIN_LETTERS = 20;
/** Used when a segment has too few letter pairs to measure its own usual gap: one CTC frame. */
const DEFAULT_LETTER_GAP = 1 / 6;
/** Between two digits one frame more: a jittery "1000" split into "10 00" changes a number. */
const DIGIT_EXTRA = 1 / 6;

/** Han, kana and bopomofo: written without spaces. (Hangul is not: Korean spaces its words.) */
const CJK = /[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u{20000}-\u{2fa1f}]/u;
/** Ideographic and full-width punctuation carries its own spacing: never a space on either side. */
const CJK_PUNCT = /[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]/u;
const LETTER = /\p{L}/u;
const UPPER = /\p{Lu}/u;
const DIGIT = /\p{Nd}/u;
/** Never a space before these (closing or trailing marks). */
const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', ')', ']', '}', '%', '!', '?', '\u2019', '\u201d']);
/** Never a space after these (opening marks). */
const NO_SPACE_AFTER = new Set(['(', '[', '{', '\u2018', '\u201c', '\u00bf', '\u00a1']);
/** Separators that belong inside a number when digits stand on both sides: 3.5, 12:30, 1,000, 12/2026. */
const NUMBER_JOINERS = new Set(['.', ',', ':', '/', '-', '\u2013']);

const isCjk = (s: string): boolean => CJK.test(s);
const isCjkPunct = (s: string): boolean => CJK_PUNCT.test(s);
const isLetter = (s: string): boolean => LETTER.test(s) && !CJK.test(s);
const isDigit = (s: string): boolean => DIGIT.test(s);
const isWordChar = (s: string): boolean => isLetter(s) || isDigit(s);

interface Glyph {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** The model itself put a space before this glyph. */
  readonly spaced: boolean;
}

/** Characters to text with spaces restored (from gaps, and after punctuation), never inside numbers (3.5, 12:30, 1,000) or between CJK chars. */
export function joinCharacters(chars: readonly RecognizedChar[]): string {
  const glyphs = toGlyphs(chars);
  if (glyphs.length === 0) return '';
  const spaceless =
    !glyphs.some((g) => g.spaced) &&
    glyphs.filter((g) => isLetter(g.text)).length >= SPACELESS_MIN_LETTERS &&
    !looksLikeAddress(glyphs.map((g) => g.text).join(''));
  const threshold = usualLetterGap(glyphs) + (spaceless ? SPACELESS_EXCESS : SPACE_EXCESS);
  let text = glyphs[0]!.text;
  for (let i = 1; i < glyphs.length; i++) {
    if (needsSpace(glyphs, i, threshold, text)) text += ' ';
    text += glyphs[i]!.text;
  }
  return text.replace(/\s+/gu, ' ').trim();
}

function toGlyphs(chars: readonly RecognizedChar[]): Glyph[] {
  // Stable sort: characters arrive in order; equal starts keep it.
  const ordered = [...chars].sort((a, b) => a.start - b.start);
  const glyphs: Glyph[] = [];
  let spaced = false;
  for (const char of ordered) {
    const text = char.text;
    if (text.length === 0) continue;
    if (text.trim().length === 0) {
      spaced = true;
      continue;
    }
    // A multi-character token (rare in CTC dictionaries) keeps its inner text as is.
    glyphs.push({ text, start: char.start, end: Math.max(char.end, char.start), spaced: spaced && glyphs.length > 0 });
    spaced = false;
  }
  return glyphs;
}

/**
 * The segment's ordinary gap between neighbouring letters: the lower median of the gaps between Latin
 * letters and digits (CJK glyphs are wide and punctuation narrow, so they say nothing about it). Gaps
 * the model marked as spaces are left out so a well-spaced line does not raise its own threshold.
 */
function usualLetterGap(glyphs: readonly Glyph[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < glyphs.length; i++) {
    const a = glyphs[i - 1]!;
    const b = glyphs[i]!;
    if (b.spaced || !isWordChar(lastChar(a.text)) || !isWordChar(firstChar(b.text))) continue;
    gaps.push(b.start - a.end);
  }
  if (gaps.length < 3) return DEFAULT_LETTER_GAP;
  gaps.sort((x, y) => x - y);
  // The lower median: missed word spaces only ever push gaps up.
  return gaps[Math.floor((gaps.length - 1) / 2)]!;
}

const firstChar = (s: string): string => String.fromCodePoint(s.codePointAt(0) ?? 32);
const lastChar = (s: string): string => Array.from(s).at(-1) ?? ' ';

/** Whether a space goes before glyph i; `spaceGap` is the gap above which a missed word space is assumed. */
function needsSpace(glyphs: readonly Glyph[], i: number, spaceGap: number, before: string): boolean {
  const a = lastChar(glyphs[i - 1]!.text);
  const b = firstChar(glyphs[i]!.text);
  const prev = i >= 2 ? lastChar(glyphs[i - 2]!.text) : '';
  const next = i + 1 < glyphs.length ? firstChar(glyphs[i + 1]!.text) : '';
  const spaced = glyphs[i]!.spaced;
  const gap = glyphs[i]!.start - glyphs[i - 1]!.end;

  // Rules that hold whatever the model or the gaps say.
  if (NO_SPACE_BEFORE.has(b) || NO_SPACE_AFTER.has(a)) return false;
  if (isCjkPunct(a) || isCjkPunct(b)) return false;
  if (isCjk(a) && isCjk(b)) return false;
  // Inside a number: 3.5, 12:30, 12/2026, 2024-05-01 stay whole. After a comma a space the model
  // saw is kept ("1, 2, 3" is a list) unless exactly three digits follow, as in "1,000".
  if (NUMBER_JOINERS.has(a) && isDigit(prev) && isDigit(b) && !(a === ',' && spaced && !thousandsGroup(glyphs, i))) {
    return false;
  }
  if (isDigit(a) && NUMBER_JOINERS.has(b) && isDigit(next)) return false;

  if (spaced) return true;

  if (gap > spaceGap + (isDigit(a) && isDigit(b) ? DIGIT_EXTRA : 0)) return true;

  // Punctuation the engine glued to the next word (never in Chinese, addresses or numbers).
  if (isCjk(a) || isCjk(b)) return false;
  const token = currentWord(before) + upcomingWord(glyphs, i);
  if (looksLikeAddress(token)) return false;
  if ((a === ',' || a === ';') && isWordChar(b)) return true;
  if (a === ':' && (isLetter(b) || (isDigit(b) && isLetter(prev)))) return true;
  if ((a === ')' || a === ']') && isWordChar(b)) return true;
  if (a === '%' && isLetter(b)) return true;
  if ((a === '!' || a === '?') && isLetter(b)) return true;
  // "daily.Keep" is two sentences; "U.S.A.", "J.Smith" and "Ph.D." are not (a lone capital with a dot).
  const dottedCapital = glyphs[i + 1]?.text === '.';
  if (a === '.' && UPPER.test(b) && !dottedCapital && !isInitialism(currentWord(before))) return true;
  if (b === '(' && isLetter(a)) return true;
  return false;
}

/** Glyph i starts a group of exactly three digits (the thousands of "1,000" or "12,500.00"). */
function thousandsGroup(glyphs: readonly Glyph[], i: number): boolean {
  for (let k = i; k < i + 3; k++) {
    const glyph = glyphs[k];
    if (!glyph || !isDigit(glyph.text) || (k > i && glyph.spaced)) return false;
  }
  const after = glyphs[i + 3];
  return !after || after.spaced || !isDigit(after.text);
}

/** The text since the last space (the word being built). */
function currentWord(text: string): string {
  const cut = text.lastIndexOf(' ');
  return cut < 0 ? text : text.slice(cut + 1);
}

/** The letters and digits from glyph i on (the start of the next word, to tell "example.Com" from "daily.Keep"). */
function upcomingWord(glyphs: readonly Glyph[], i: number): string {
  let word = '';
  for (let k = i; k < glyphs.length && (k === i || !glyphs[k]!.spaced) && isWordChar(glyphs[k]!.text); k++) word += glyphs[k]!.text;
  return word;
}

/** URLs, e-mail addresses and domains keep their dots, colons and slashes unspaced. */
function looksLikeAddress(token: string): boolean {
  return (
    /@\w|:\/\/|^www\./iu.test(token) ||
    /\w\.(com|org|net|gov|edu|info|io|co|uk|us|de|fr|es|it|nl|eu|cn|jp|au|ca|ch)(\W|$)/iu.test(token)
  );
}

/** "U.S.A." or "J." (single letters with dots): a capital after the dot is part of it or a name. */
function isInitialism(word: string): boolean {
  return /(^|[^\p{L}])\p{L}\.$/u.test(word) || /(\p{L}\.){2,}$/u.test(word);
}

// ---------------------------------------------------------------------------------------------
// Reading order
// ---------------------------------------------------------------------------------------------

/** A segment in the page's deskewed frame (rotated so the text's baselines run level). */
interface Item {
  readonly segment: RecognizedSegment;
  readonly text: string;
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
  readonly cy: number;
  /** Thickness of the text line across its baseline. */
  readonly h: number;
}

/** Page geometry for the layout. */
export interface LayoutPage {
  readonly width: number;
  readonly height: number;
  /**
   * The text's baseline slope in the image (dy/dx, y down: positive when lines descend to the right),
   * for example the median of the detected boxes' directions. Optional: without it the tilt is
   * estimated from the boxes' aligned edges (see estimateSlope), which needs a few lines one above
   * another and reads the page as level when they disagree.
   */
  readonly slope?: number;
}

/** Slopes beyond this (about 15 degrees) are not a tilted page; the engine turns those upright first. */
const MAX_SLOPE = 0.27;

/** Reading order: blocks top to bottom, columns one after the other, "item ... price" rows on one line. */
export function layOutLines(segments: readonly RecognizedSegment[], page: LayoutPage): LaidOutLine[] {
  const read = segments.map((segment) => ({ segment, text: joinCharacters(segment.chars) })).filter((s) => s.text.length > 0);
  if (read.length === 0) return [];
  const given = page.slope;
  const slope =
    given !== undefined && Number.isFinite(given)
      ? Math.abs(given) <= MAX_SLOPE
        ? given
        : 0
      : estimateSlope(read.map((s) => s.segment.box));
  const items = read.map(({ segment, text }) => deskew(segment, text, slope));
  const heights = items.map((item) => item.h).sort((a, b) => a - b);
  const context: Context = {
    lineHeight: heights[Math.floor(heights.length / 2)]!,
    pageWidth: Math.max(page.width, 1),
  };
  return order(items, context, 0).map(toLine);
}

/** Fewer aligned edges than this say nothing about the tilt. */
const MIN_SLOPE_SAMPLES = 3;
/** Tilts below this (about 1.5 degrees) are left alone: boxes of level rows still overlap. */
const MIN_SLOPE = 0.025;

/** Drift samples within this of each other count as the same edge alignment. */
const SLOPE_TOLERANCE = 0.03;

/**
 * The page's tilt when the engine did not say, from how aligned edges drift: turning a page by a
 * small angle a moves each line below another by tan a of the drop to the side, so the left edges of
 * left-aligned lines (and the right edges of right-aligned prices) step sideways by -slope per pixel
 * down. Each line and the nearest line below it that it overlaps give two samples, one per edge; the
 * aligned edges agree with each other while ragged ones scatter, so the densest cluster of samples is
 * the tilt. A page where as many edges say "level" reads as level: a wrong tilt would pair items with
 * the wrong prices, while a small tilt read as level costs little.
 */
function estimateSlope(boxes: readonly TextBox[]): number {
  const samples: number[] = [];
  for (const a of boxes) {
    const acy = a.y + a.height / 2;
    let below: TextBox | undefined;
    let drop = Infinity;
    for (const b of boxes) {
      const d = b.y + b.height / 2 - acy;
      if (d <= 0 || d >= drop || d > 3 * Math.max(a.height, b.height)) continue;
      const overlap = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
      if (overlap < 0.5 * Math.min(a.width, b.width)) continue;
      below = b;
      drop = d;
    }
    if (!below) continue;
    for (const drift of [(below.x - a.x) / drop, (below.x + below.width - (a.x + a.width)) / drop]) {
      if (Math.abs(drift) <= MAX_SLOPE) samples.push(-drift);
    }
  }
  const near = (v: number): number[] => samples.filter((s) => Math.abs(s - v) <= SLOPE_TOLERANCE);
  let best = 0;
  let bestCount = near(0).length;
  for (const v of samples) {
    const count = near(v).length;
    if (count > bestCount || (count === bestCount && Math.abs(v) < Math.abs(best))) {
      best = v;
      bestCount = count;
    }
  }
  if (bestCount < MIN_SLOPE_SAMPLES || near(0).length >= bestCount / 2) return 0;
  const slope = median(near(best));
  return Math.abs(slope) < MIN_SLOPE ? 0 : slope;
}

function median(values: number[]): number {
  values.sort((x, y) => x - y);
  return values[Math.floor((values.length - 1) / 2)]!;
}

/**
 * The segment's box rotated into the level frame. An axis-aligned box of a line tilted by angle a
 * measures w = L cos a + t sin a across and h = L sin a + t cos a down, so its length L and thickness
 * t follow; a box those equations do not fit (a stray vertical mark) is kept as it is.
 */
function deskew(segment: RecognizedSegment, text: string, slope: number): Item {
  const { x, y, width, height } = segment.box;
  const cx = x + width / 2;
  const cy = y + height / 2;
  if (slope === 0) {
    return { segment, text, x0: x, x1: x + width, y0: y, y1: y + height, cy, h: Math.max(height, 1) };
  }
  const cos = 1 / Math.sqrt(1 + slope * slope);
  const sin = slope * cos;
  const abs = Math.abs(sin);
  const cos2 = cos * cos - abs * abs;
  let length = (width * cos - height * abs) / cos2;
  let thickness = (height * cos - width * abs) / cos2;
  if (!(thickness > 0.2 * height) || !(length > 0)) {
    length = width;
    thickness = height;
  }
  const rx = cx * cos + cy * sin;
  const ry = -cx * sin + cy * cos;
  const h = Math.max(thickness, 1);
  return { segment, text, x0: rx - length / 2, x1: rx + length / 2, y0: ry - h / 2, y1: ry + h / 2, cy: ry, h };
}

interface Context {
  /** Median segment height: the unit for gutters and row distances. */
  readonly lineHeight: number;
  readonly pageWidth: number;
}

/** Gutters narrower than this are word gaps, not a space between columns. */
function minGutter(context: Context): number {
  return Math.max(context.lineHeight * 1.0, context.pageWidth * 0.01);
}

const MAX_DEPTH = 8;

/** Rows of items in reading order: strips top to bottom; inside a strip group with a prose gutter, columns left to right. */
function order(items: readonly Item[], context: Context, depth: number): Item[][] {
  if (items.length <= 1 || depth >= MAX_DEPTH) return groupRows(items);
  const x0 = Math.min(...items.map((i) => i.x0));
  const x1 = Math.max(...items.map((i) => i.x1));
  const gutterMin = minGutter(context);
  const rows: Item[][] = [];
  for (const group of stripGroups(items, x0, x1, gutterMin)) {
    const parts = splitColumns(group, x0, x1, gutterMin);
    if (parts.length <= 1) {
      rows.push(...groupRows(group));
      continue;
    }
    for (const part of parts) rows.push(...order(part, context, depth + 1));
  }
  return rows;
}

type Interval = readonly [number, number];

/** Horizontal strips (separated by empty y-ranges), merged while they share a gutter. */
function stripGroups(items: readonly Item[], x0: number, x1: number, gutterMin: number): Item[][] {
  const byTop = [...items].sort((a, b) => a.y0 - b.y0);
  const strips: Item[][] = [];
  let bottom = -Infinity;
  for (const item of byTop) {
    if (strips.length === 0 || item.y0 >= bottom) strips.push([item]);
    else strips.at(-1)!.push(item);
    bottom = Math.max(bottom, item.y1);
  }
  const groups: { items: Item[]; free: Interval[] }[] = [];
  for (const strip of strips) {
    const free = freeIntervals(strip, x0, x1, gutterMin);
    const last = groups.at(-1);
    if (last) {
      const common = intersect(last.free, free, gutterMin);
      if ((last.free.length === 0 && free.length === 0) || common.length > 0) {
        last.items.push(...strip);
        last.free = common;
        continue;
      }
    }
    groups.push({ items: [...strip], free });
  }
  return groups.map((group) => group.items);
}

/** Empty x-ranges at least gutterMin wide strictly inside [x0, x1]. */
function freeIntervals(items: readonly Item[], x0: number, x1: number, gutterMin: number): Interval[] {
  const spans = items.map((i) => [i.x0, i.x1] as const).sort((a, b) => a[0] - b[0]);
  const free: Interval[] = [];
  let reach = x0;
  for (const [s, e] of spans) {
    if (s - reach >= gutterMin) free.push([reach, s]);
    reach = Math.max(reach, e);
  }
  if (x1 - reach >= gutterMin) free.push([reach, x1]);
  return free;
}

function intersect(a: readonly Interval[], b: readonly Interval[], gutterMin: number): Interval[] {
  const out: Interval[] = [];
  for (const [a0, a1] of a) {
    for (const [b0, b1] of b) {
      const s = Math.max(a0, b0);
      const e = Math.min(a1, b1);
      if (e - s >= gutterMin) out.push([s, e]);
    }
  }
  return out;
}

/** Split at gutters that separate columns of prose; gutters of a table or receipt keep rows whole. */
function splitColumns(group: Item[], x0: number, x1: number, gutterMin: number): Item[][] {
  const gutters = freeIntervals(group, x0, x1, gutterMin).filter(
    ([s, e]) => group.some((i) => i.x1 <= s) && group.some((i) => i.x0 >= e),
  );
  if (gutters.length === 0) return [group];
  const cuts = gutters.map(([s, e]) => (s + e) / 2);
  const parts: Item[][] = cuts.map(() => []);
  parts.push([]);
  for (const item of group) {
    const centre = (item.x0 + item.x1) / 2;
    let k = 0;
    while (k < cuts.length && centre > cuts[k]!) k++;
    parts[k]!.push(item);
  }
  // Merge neighbouring parts unless the gutter between them separates prose.
  const merged: Item[][] = [parts[0]!];
  for (let k = 1; k < parts.length; k++) {
    const left = merged.at(-1)!;
    const right = parts[k]!;
    if (isProseSplit(left, right)) merged.push(right);
    else left.push(...right);
  }
  return merged.filter((part) => part.length > 0);
}

/** Numbers and prices: "2.49", "$12.00", "x2", "1.250,00 €", "12%". */
function isNumeric(text: string): boolean {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length > 14) return false;
  const digits = (compact.match(/\p{Nd}/gu) ?? []).length;
  return digits > 0 && digits / compact.length >= 0.5;
}

/** Cells of a table or labels of a form are short; lines of a column of prose are longer than this. */
const SHORT_CELL = 16;
/** Most of one side lining up with the other, row by row, makes a table rather than two columns. */
const ALIGNED_SHARE = 0.7;

/**
 * Two columns of prose are read one after the other. A right part that is mostly numbers (prices),
 * short cells lined up row by row with the left part (a table), or short labels on the left each with
 * a value beside it (a form, values possibly wrapping onto more lines) belong to the rows instead.
 */
function isProseSplit(left: readonly Item[], right: readonly Item[]): boolean {
  if (left.length < 2 || right.length < 2) return false;
  const numeric = right.filter((i) => isNumeric(i.text)).length;
  if (numeric >= 0.5 * right.length) return false;
  const alignedShare = (side: readonly Item[], other: readonly Item[]): number =>
    side.filter((a) => other.some((b) => Math.abs(a.cy - b.cy) < 0.3 * Math.min(a.h, b.h))).length / side.length;
  const medianLength = (side: readonly Item[]): number => median(side.map((i) => i.text.length));
  if (alignedShare(right, left) >= ALIGNED_SHARE && medianLength(right) <= SHORT_CELL) return false;
  if (alignedShare(left, right) >= ALIGNED_SHARE && medianLength(left) <= SHORT_CELL) return false;
  return true;
}

/**
 * Items into rows: an item joins the row whose nearest member (along x) has the closest centre line,
 * when the centre lines are within 0.6 of the thinner one's height (rows sit a line pitch, at least
 * about 1.2 heights, apart; a tilt the deskew left over or a smaller price font stays inside) and it
 * overlaps no member horizontally; rows top to bottom, members left to right.
 */
function groupRows(items: readonly Item[]): Item[][] {
  const rows: Item[][] = [];
  for (const item of [...items].sort((a, b) => a.cy - b.cy || a.x0 - b.x0)) {
    let best: Item[] | undefined;
    let bestScore = Infinity;
    for (const row of rows) {
      if (row.some((m) => overlapX(m, item) > 0.3 * Math.min(m.x1 - m.x0, item.x1 - item.x0))) continue;
      const nearest = row.reduce((n, m) => (distanceX(m, item) < distanceX(n, item) ? m : n));
      const score = Math.abs(nearest.cy - item.cy) / Math.min(nearest.h, item.h);
      if (score < 0.6 && score < bestScore) {
        best = row;
        bestScore = score;
      }
    }
    if (best) best.push(item);
    else rows.push([item]);
  }
  for (const row of rows) row.sort((a, b) => a.x0 - b.x0);
  return rows.sort((a, b) => mean(a.map((i) => i.cy)) - mean(b.map((i) => i.cy)));
}

const overlapX = (a: Item, b: Item): number => Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
const distanceX = (a: Item, b: Item): number => Math.max(0, Math.max(a.x0, b.x0) - Math.min(a.x1, b.x1));
const mean = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0) / Math.max(values.length, 1);

function toLine(row: readonly Item[]): LaidOutLine {
  let weight = 0;
  let sum = 0;
  for (const item of row) {
    const n = Math.max(1, item.segment.chars.filter((c) => c.text.trim().length > 0).length);
    weight += n;
    sum += item.segment.confidence * n;
  }
  // The union of the segments' own boxes, in image pixels (not the deskewed frame).
  const boxes = row.map((i) => i.segment.box);
  const x0 = Math.min(...boxes.map((b) => b.x));
  const y0 = Math.min(...boxes.map((b) => b.y));
  const x1 = Math.max(...boxes.map((b) => b.x + b.width));
  const y1 = Math.max(...boxes.map((b) => b.y + b.height));
  return {
    text: row.map((i) => i.text).join(' '),
    confidence: weight > 0 ? sum / weight : 0,
    box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
    segments: row.map((i) => i.segment),
  };
}
