/**
 * Text to Piper phoneme ids, as Piper itself prepares them (piper-phonemize's `phonemize_eSpeak`
 * and `phonemes_to_ids`, and piper1-gpl's `phonemize_espeak.py` / `phoneme_ids.py`): espeak-ng IPA
 * per clause, the clause's punctuation kept (it is what gives the voice its pauses and question
 * intonation), NFD codepoints as phonemes, then `^ _ (phoneme _)* $`.
 */

export const PAD = '_';
export const BOS = '^';
export const EOS = '$';

export type PhonemeIdMap = Readonly<Record<string, readonly number[]>>;

/** Punctuation Piper appends after a clause's phonemes, by the clause's own punctuation in the text. */
export type ClauseEnd = '.' | '!' | '?' | ',' | ':' | ';' | '';

export interface Clause {
  readonly text: string;
  readonly end: ClauseEnd;
}

/** Sentences are synthesized one at a time: a whole reply in one pass is slow and its prosody drifts. */
export type Sentence = readonly Clause[];

/** Written text's punctuation, full-width included, mapped to what Piper voices were trained with. */
const CLAUSE_ENDS: Readonly<Record<string, ClauseEnd>> = {
  '.': '.',
  '…': '.',
  '。': '.',
  '．': '.',
  '!': '!',
  '！': '!',
  '?': '?',
  '？': '?',
  ',': ',',
  '，': ',',
  '、': ',',
  ':': ':',
  '：': ':',
  ';': ';',
  '；': ';',
};

const SENTENCE_ENDS = new Set<ClauseEnd>(['.', '!', '?']);
/** Full-width marks end a clause wherever they stand; ASCII ones only before a space, so 3.5, 1,000 and 12:30 stay whole. */
const FULL_WIDTH = /[。．！？，、：；…]/;
const CLOSERS = /["'”’»」』）)\]]/;

/**
 * Splits text into sentences of clauses at their punctuation. A line break ends a sentence too
 * (list items and headings carry no full stop), and a full stop followed by a lower-case word is
 * an abbreviation ("e.g. this"), not an end.
 */
export function splitSentences(text: string): Sentence[] {
  const sentences: Clause[][] = [];
  let clauses: Clause[] = [];
  let start = 0;
  const pushClause = (end: number, mark: ClauseEnd): void => {
    const clauseText = text.slice(start, end).trim();
    if (clauseText) clauses.push({ text: clauseText, end: mark });
  };
  const endSentence = (): void => {
    if (clauses.length > 0) sentences.push(clauses);
    clauses = [];
  };
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (char === '\n') {
      pushClause(index, '');
      endSentence();
      start = index + 1;
      index += 1;
      continue;
    }
    const mark = CLAUSE_ENDS[char];
    if (mark === undefined) {
      index += 1;
      continue;
    }
    // A run such as "?!", "..." or '."' ends one clause; its first mark decides how it sounds.
    let after = index + 1;
    while (after < text.length && (CLAUSE_ENDS[text[after]!] !== undefined || CLOSERS.test(text[after]!))) after += 1;
    const next = text.slice(after).match(/^\s*(\S)?/);
    const atBreak = after >= text.length || /\s/.test(text[after]!);
    const isBoundary = FULL_WIDTH.test(char) || atBreak;
    const abbreviation = mark === '.' && char === '.' && next?.[1] !== undefined && /\p{Ll}/u.test(next[1]);
    if (!isBoundary || abbreviation) {
      index = after;
      continue;
    }
    pushClause(index, mark);
    if (SENTENCE_ENDS.has(mark)) endSentence();
    start = after;
    index = after;
  }
  pushClause(text.length, '');
  endSentence();
  return sentences;
}

/** espeak-ng marks words it reads in another language with `(en)` ... `(zh)`; Piper drops the marks. */
export function withoutLanguageFlags(ipa: string): string {
  return ipa.replace(/\([^)]*\)/g, '');
}

/**
 * One clause's phonemes as Piper sees them: NFD so accents are separate codepoints (ç is c +
 * U+0327), then the clause's punctuation, with a space after the ones that do not end a sentence.
 */
export function clausePhonemes(ipa: string, end: ClauseEnd): string[] {
  const phonemes = Array.from(ipa.normalize('NFD'));
  if (end) phonemes.push(end);
  if (end === ',' || end === ':' || end === ';') phonemes.push(' ');
  return phonemes;
}

/**
 * Adjacent phonemes the voice knows as one symbol (piper1-gpl's `vowel_clusters`, e.g. a + ɪ as aɪ),
 * longest first.
 */
export function mergeVowelClusters(phonemes: readonly string[], clusters: readonly (readonly string[])[]): string[] {
  if (clusters.length === 0) return [...phonemes];
  const byLength = [...clusters].filter((cluster) => cluster.length > 1).sort((first, second) => second.length - first.length);
  const merged: string[] = [];
  let index = 0;
  while (index < phonemes.length) {
    const match = byLength.find((cluster) => cluster.every((phoneme, offset) => phonemes[index + offset] === phoneme));
    if (match) {
      merged.push(match.join(''));
      index += match.length;
    } else {
      merged.push(phonemes[index]!);
      index += 1;
    }
  }
  return merged;
}

/**
 * `^ _ (phoneme _)* $`, as piper-phonemize and piper1-gpl build it (rhasspy/piper's older Python
 * runtime left out the pad after `^`; the voices were trained with it). Phonemes missing from the
 * map are skipped, as Piper does, and returned so the caller can say so once.
 */
export function phonemeIds(phonemes: readonly string[], map: PhonemeIdMap): { ids: number[]; missing: string[] } {
  const ids = [...map[BOS]!, ...map[PAD]!];
  const missing: string[] = [];
  for (const phoneme of phonemes) {
    const mapped = map[phoneme];
    if (!mapped) {
      missing.push(phoneme);
      continue;
    }
    ids.push(...mapped, ...map[PAD]!);
  }
  ids.push(...map[EOS]!);
  return { ids, missing };
}
