/**
 * Sentence segmentation and splitting of long answers into chat-sized messages.
 *
 * Built on Intl.Segmenter (ICU). Node's ICU ignores the "-u-ss-standard" abbreviation
 * suppressions (checked on Node 20: "Dr. Smith" still splits), so a small list of English
 * abbreviations is patched on top. ICU already keeps "3.5", "1.2.3", "U.S. law", "e.g. this"
 * and "10 a.m. tomorrow" together (no break before a lowercase word or a digit) and ends
 * Chinese sentences at 。！？.
 */

interface Span {
  start: number;
  end: number;
}

/** Chinese, Japanese and Korean text, and full-width punctuation: sentences join with no space. */
const CJK_CHARACTER = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}\u3000-\u303F\uFF00-\uFFEF]/u;
const WHITESPACE = /\s/u;

/** Titles before a name: a following capital is the name, not a new sentence. */
const TITLE_ABBREVIATIONS = new Set([
  'mr.', 'mrs.', 'ms.', 'mx.', 'dr.', 'prof.', 'st.', 'mt.', 'sr.', 'jr.', 'gen.', 'col.', 'capt.',
  'lt.', 'sgt.', 'rev.', 'hon.', 'gov.', 'sen.', 'rep.', 'pres.',
]);
/** Abbreviations that virtually never end a sentence. "etc." is left out: it often does. */
const MID_SENTENCE_ABBREVIATIONS = new Set([
  'e.g.', 'i.e.', 'cf.', 'vs.', 'viz.', 'approx.', 'incl.', 'esp.', 'ca.',
]);
/** These end sentences too ("I said no."), so they only hold on when a number follows. */
const NUMBER_ABBREVIATIONS = new Set(['no.', 'nos.', 'fig.', 'vol.', 'p.', 'pp.', 'ch.', 'sec.', 'art.', 'eq.']);

const segmenters = new Map<string, Intl.Segmenter>();

function segmenterFor(locale: string, granularity: 'sentence' | 'word' | 'grapheme'): Intl.Segmenter {
  const key = `${locale}|${granularity}`;
  let segmenter = segmenters.get(key);
  if (!segmenter) {
    segmenter = new Intl.Segmenter(locale, { granularity });
    segmenters.set(key, segmenter);
  }
  return segmenter;
}

export function splitSentences(text: string, locale = 'en'): string[] {
  return sentenceSpans(text, { start: 0, end: text.length }, locale).map((span) =>
    text.slice(span.start, span.end),
  );
}

const LIST_NUMBER = /^1[.)、][ \t]+(?=\S)/u;

/** The gist goes out first as its own message, so the listener hears the answer straight away. */
export function takeGist(text: string): { gist: string; rest: string } {
  const trimmed = text.trim();
  // A numbered list's "1." heard on its own says nothing: the gist is the first item's sentence.
  const marker = LIST_NUMBER.exec(trimmed)?.[0].length ?? 0;
  const first = sentenceSpans(trimmed, { start: marker, end: trimmed.length }, 'en')[0];
  if (!first) return { gist: '', rest: '' };
  // Slicing the original (not re-joining sentences) keeps the rest's paragraphs and lines as written.
  return { gist: trimmed.slice(first.start, first.end), rest: trimmed.slice(first.end).trim() };
}

/** Trimmed, non-empty sentence spans within `within`, in text coordinates. */
function sentenceSpans(text: string, within: Span, locale: string): Span[] {
  const slice = text.slice(within.start, within.end);
  const merged: Span[] = [];
  for (const { index, segment } of segmenterFor(locale, 'sentence').segment(slice)) {
    const start = within.start + index;
    const span = { start, end: start + segment.length };
    const previous = merged.at(-1);
    if (previous && isFalseSentenceBreak(text, previous, span)) previous.end = span.end;
    else merged.push(span);
  }
  return merged.map((span) => trimSpan(text, span)).filter((span) => span.end > span.start);
}

function isFalseSentenceBreak(text: string, before: Span, after: Span): boolean {
  const lastCharacter = text[before.end - 1] ?? '';
  const firstCharacter = text[after.start] ?? '';
  // ICU breaks after "?" even inside a URL ("…/page?id=3"); a break with no space, between
  // characters of space-separated scripts, is inside a token.
  const insideToken =
    !WHITESPACE.test(lastCharacter) && !WHITESPACE.test(firstCharacter) &&
    !CJK_CHARACTER.test(lastCharacter) && !CJK_CHARACTER.test(firstCharacter);
  if (insideToken) return true;
  if (text.slice(before.start, before.end).includes('\n')) return false;
  const lastWord = lastWordOf(text.slice(before.start, before.end));
  const nextText = text.slice(after.start, after.end).trimStart();
  if (TITLE_ABBREVIATIONS.has(lastWord)) return true;
  if (NUMBER_ABBREVIATIONS.has(lastWord)) return /^\p{Nd}/u.test(nextText);
  return MID_SENTENCE_ABBREVIATIONS.has(lastWord);
}

/** The final whitespace-separated word, lowercased, without opening brackets or quotes. */
function lastWordOf(sentence: string): string {
  const word = /(\S+)\s*$/u.exec(sentence)?.[1] ?? '';
  return word.replace(/^[(\[{"'“‘«]+/u, '').toLowerCase();
}

function trimSpan(text: string, span: Span): Span {
  let { start, end } = span;
  while (start < end && WHITESPACE.test(text[start] ?? '')) start += 1;
  while (end > start && WHITESPACE.test(text[end - 1] ?? '')) end -= 1;
  return { start, end };
}

// ---------------------------------------------------------------------------------------------
// Delivery.

const MINIMUM_LIMIT = 20;

/**
 * Splits an answer into messages of at most `limit` UTF-16 code units (`.length`): Telegram
 * counts code units and Discord code points, so `.length` is the bound that is safe for both.
 *
 * Greedy, preferring the coarsest boundary that works: whole paragraphs while they fit, then
 * sentences, then words. A unit that does not fit beside the current message starts a new
 * one rather than being cut, so a paragraph break just under the limit wins over filling the
 * message with the next paragraph's first sentence. Only a single token longer than a message
 * (a URL) is cut: after its words and punctuation runs, keeping numbers whole, then at
 * graphemes, and at code points only if one grapheme alone exceeds the limit. Such a token
 * fills the current message first, since it is cut either way.
 *
 * Pieces are slices of the (whitespace-normalised) input, so text is never lost or reordered
 * and the separators inside a piece (blank line, newline, space, or none in Chinese) are the
 * original ones.
 */
export function splitForDelivery(text: string, limit: number): string[] {
  if (!(limit >= MINIMUM_LIMIT)) {
    throw new RangeError(`limit must be at least ${MINIMUM_LIMIT}, got ${limit}`);
  }
  const normalized = normalizeForDelivery(text);
  const packer = new Packer(normalized, limit);
  for (const paragraph of childSpans(normalized, { start: 0, end: normalized.length }, 0)) {
    packer.place(paragraph, 1);
  }
  return packer.finish();
}

/** Line endings unified, trailing spaces dropped, blank-line runs made one "\n\n". */
function normalizeForDelivery(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Levels of `childSpans`; below the last one a unit is cut at grapheme boundaries. */
const FIRST_LEVEL_INSIDE_A_TOKEN = 3;
const LAST_LEVEL = 4;

class Packer {
  private readonly pieces: Span[] = [];
  private current: Span | undefined;
  private graphemes: Intl.Segments | undefined;

  constructor(
    private readonly text: string,
    private readonly limit: number,
  ) {}

  /** `childLevel` is the level whose units split `unit` if it is too long on its own. */
  place(unit: Span, childLevel: number): void {
    if (this.current && unit.end - this.current.start <= this.limit) {
      this.current = { start: this.current.start, end: unit.end };
      return;
    }
    const fits = unit.end - unit.start <= this.limit;
    // From the word-segment level down the unit is (part of) one token that will be cut
    // anyway, so it fills the current message instead of starting a new one.
    if (fits || childLevel < FIRST_LEVEL_INSIDE_A_TOKEN) this.flush();
    if (fits) {
      this.current = unit;
    } else if (childLevel > LAST_LEVEL) {
      this.cutAtGraphemes(unit);
    } else {
      for (const child of childSpans(this.text, unit, childLevel)) this.place(child, childLevel + 1);
    }
  }

  finish(): string[] {
    this.flush();
    return this.pieces
      .map((span) => this.text.slice(span.start, span.end).trim())
      .filter((piece) => piece !== '');
  }

  /**
   * The last resort, for a run of letters longer than a message. Cut points are looked up with
   * `containing()` rather than by walking every grapheme, which V8 does slowly (about two
   * seconds for 100,000 characters).
   */
  private cutAtGraphemes(unit: Span): void {
    let position = unit.start;
    while (position < unit.end) {
      const pieceStart = this.current?.start ?? position;
      const latestEnd = pieceStart + this.limit;
      if (latestEnd >= unit.end) {
        this.current = { start: pieceStart, end: unit.end };
        return;
      }
      let cut = this.graphemeStartAtOrBefore(latestEnd);
      if (cut <= position && this.current) {
        this.flush();
        continue;
      }
      // One grapheme longer than a whole message (a pile of combining marks): code points.
      if (cut <= position) cut = codePointStartAtOrBefore(this.text, latestEnd);
      this.pieces.push({ start: pieceStart, end: cut });
      this.current = undefined;
      position = cut;
    }
  }

  private graphemeStartAtOrBefore(index: number): number {
    this.graphemes ??= segmenterFor('en', 'grapheme').segment(this.text);
    return this.graphemes.containing(index)?.index ?? index;
  }

  private flush(): void {
    if (this.current) this.pieces.push(this.current);
    this.current = undefined;
  }
}

function codePointStartAtOrBefore(text: string, index: number): number {
  const unit = text.charCodeAt(index);
  const isLowSurrogate = unit >= 0xdc00 && unit <= 0xdfff;
  return isLowSurrogate ? index - 1 : index;
}

/**
 * The levels, coarsest first. Level 0 is the whole text, split into paragraphs; each later
 * level splits one unit of the level before.
 */
function childSpans(text: string, unit: Span, level: number): Span[] {
  switch (level) {
    case 0:
      return matchSpans(text, unit, /[^\n]+(?:\n(?!\n)[^\n]*)*/gu);
    case 1:
      return sentenceSpans(text, unit, 'en');
    case 2:
      // No-break spaces join what must stay together ("1 000 000", "20 °C" typed with NBSP).
      return matchSpans(text, unit, /(?:[^\s]|[\u00A0\u2007\u202F])+/gu);
    case 3:
      return wordPieceSpans(text, unit);
    default:
      // Within an overlong token, a number ("3.14159", "1,000,000") is one unit.
      return matchSpans(text, unit, /\p{Nd}+(?:[.,:]\p{Nd}+)*|(?:(?!\p{Nd})[\s\S])+/gu);
  }
}

function matchSpans(text: string, unit: Span, pattern: RegExp): Span[] {
  const spans: Span[] = [];
  for (const match of text.slice(unit.start, unit.end).matchAll(pattern)) {
    const start = unit.start + (match.index ?? 0);
    spans.push({ start, end: start + match[0].length });
  }
  return spans;
}

/**
 * Pieces of one overlong token: words and runs of punctuation, so a URL is cut after "/" or
 * "?" rather than inside "example.com" or "3.75". Chinese and Japanese need the dictionary of
 * Intl.Segmenter to find words; elsewhere a regex does the same much faster (V8 walks
 * segments slowly, seconds for a 100,000-character token).
 */
const WORD_PIECE = /[\p{L}\p{N}\p{M}_]+(?:[.,'’:@][\p{L}\p{N}\p{M}_]+)*|[^\p{L}\p{N}\p{M}_]+/gu;

function wordPieceSpans(text: string, unit: Span): Span[] {
  const token = text.slice(unit.start, unit.end);
  if (!CJK_CHARACTER.test(token)) return matchSpans(text, unit, WORD_PIECE);
  const spans: Span[] = [];
  for (const { index, segment } of segmenterFor('en', 'word').segment(token)) {
    const start = unit.start + index;
    spans.push({ start, end: start + segment.length });
  }
  return spans;
}
