/**
 * Turns model output into plain text that reads well aloud.
 *
 * Screen readers (TalkBack, VoiceOver, NVDA) read Markdown literally ("star star Note",
 * "number sign number sign"), read emoji by name ("white heavy check mark") and do not pause
 * at a bare line break, so list items that lack final punctuation run into each other.
 *
 * Code is not protected from these rules: a fenced block or inline code span loses its fences
 * and backticks and is then cleaned like any other text. Protecting it would break idempotence
 * (once the backticks are gone, a second call could not tell code from prose), and for an
 * answer that is listened to, "number sign comment" helps nobody. Ordinary code survives
 * anyway: `snake_case`, `a * b`, `2**10` and `*.txt` are not emphasis under the rules below.
 */

/**
 * Stripping one construct can expose another (a link whose label is an image, an escaped
 * asterisk that becomes real emphasis once its backslash is gone), and a second "The image
 * shows" can hide behind the first. Rather than prove every rule order closed, passes repeat
 * until nothing changes, which is what makes the function idempotent. Real answers settle in
 * two passes; the cap only guards against a rule we got wrong.
 */
const MAXIMUM_PASSES = 8;

export function toSpeechFriendly(text: string): string {
  let current = stripReasoning(text);
  for (let pass = 0; pass < MAXIMUM_PASSES; pass += 1) {
    const next = cleanOnce(current);
    if (next === current) return next;
    current = next;
  }
  return current;
}

function cleanOnce(text: string): string {
  const prepared = replaceHtml(decodeEntities(normalizeCharacters(text)));
  const lines = convertBlocks(prepared.split('\n'));
  const tidy = normalizeWhitespace(collapseRepeatedPunctuation(lines.join('\n')));
  return normalizeWhitespace(stripClosingOffer(stripImageOpening(stripLeadingFiller(tidy))));
}

// ---------------------------------------------------------------------------------------------
// Character classes shared by several rules.

/** Scripts written without spaces between words; emphasis markers may touch them directly. */
const UNSPACED_SCRIPT = String.raw`\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}`;
const CJK_CHARACTER = new RegExp(String.raw`[${UNSPACED_SCRIPT}\u3000-\u303F\uFF00-\uFFEF]`, 'u');
/** A letter or digit of a script that separates words with spaces. */
const SPACED_WORD_CHARACTER = String.raw`(?:(?![${UNSPACED_SCRIPT}])[\p{L}\p{N}])`;
const SPACED_WORD_CHARACTER_PATTERN = new RegExp(SPACED_WORD_CHARACTER, 'u');

/**
 * Emoji and decoration. Extended_Pictographic covers emoji proper; the ranges add what is
 * purely visual: bullets, arrows, box drawing, block elements, geometric shapes, dingbats
 * (✓ ✗ ➜ ★), plus the invisible emoji machinery (selectors, skin tones, flags, keycap, tags).
 * Exempt: © ® ™, which are Extended_Pictographic but are text that is read meaningfully, and the
 * music signs ♭ ♮ ♯ ("C♯ minor"). Braille patterns (U+2800 block) are deliberately kept.
 */
const DECORATIVE_CHARACTER =
  String.raw`(?:(?![\u00A9\u00AE\u2122\u266D-\u266F])[\p{Extended_Pictographic}\u2022\u2023\u2043` +
  String.raw`\u2190-\u21FF\u2500-\u27BF\u27F0-\u27FF\u2900-\u297F\u2B00-\u2BFF\u{1F650}-\u{1F67F}` +
  String.raw`\u{1F780}-\u{1F8FF}]|[\p{Emoji_Modifier}\p{Regional_Indicator}\uFE0E\uFE0F\u20E3\u{E0001}\u{E0020}-\u{E007F}])`;
/**
 * A run of decoration, including the zero-width joiners inside emoji sequences (family emoji)
 * and the spaces between neighbouring emoji. A joiner away from emoji is left alone: Indic and
 * Arabic-script text uses it for shaping.
 */
const DECORATIVE_RUN = String.raw`${DECORATIVE_CHARACTER}(?:${DECORATIVE_CHARACTER}|\u200D|[ \t]+(?=${DECORATIVE_CHARACTER}))*`;
const DECORATIVE_RUN_WITH_SPACES = new RegExp(String.raw`([ \t]*)(${DECORATIVE_RUN})([ \t]*)`, 'gu');

const ARROW = /[\u2190-\u21FF\u25B6\u25BA\u2794-\u27BF\u27F0-\u27FF\u2900-\u297F\u2B00-\u2B0D\u2B60-\u2BBF\u{1F800}-\u{1F8FF}]/u;
const WORD_END = /[\p{L}\p{N}\p{M})\]"'”’»」】%°]/u;
const WORD_START = /[\p{L}\p{N}(\["'“‘«「【$€£¥]/u;
const OPENING_PUNCTUATION = /[(\[{"'“‘«「『【]/u;
const CLOSING_OR_PAUSE_PUNCTUATION = /[.,!?;:…)\]}"'”’»」』】。，！？；：、]/u;

// ---------------------------------------------------------------------------------------------
// Reasoning blocks.

/** Tags that reasoning models (DeepSeek-R1, QwQ, Qwen3 and others as served) wrap their thinking in. */
const REASONING_TAG_NAME = '(?:think|thinking|thought|thoughts|reasoning|reflection|scratchpad)';
const CLOSED_REASONING_BLOCK = new RegExp(String.raw`<(${REASONING_TAG_NAME})\s*>[\s\S]*?<\/\1\s*>`, 'giu');
/** An opening tag with no close: still thinking while streaming, or cut off at the token limit. */
const UNCLOSED_REASONING_BLOCK = new RegExp(String.raw`<${REASONING_TAG_NAME}\s*>[\s\S]*$`, 'iu');
/** Some chat templates put the opening tag in the prompt, so the answer holds only the close. */
const ORPHAN_REASONING_CLOSE = new RegExp(String.raw`^[\s\S]*<\/${REASONING_TAG_NAME}\s*>`, 'iu');
/**
 * A model's reasoning is never part of the answer: a listener would hear the whole deliberation
 * before the reply. Runs once, before the passes, on the raw text.
 */
function stripReasoning(text: string): string {
  return text.replace(CLOSED_REASONING_BLOCK, '').replace(ORPHAN_REASONING_CLOSE, '').replace(UNCLOSED_REASONING_BLOCK, '');
}

// ---------------------------------------------------------------------------------------------
// Whole-text preparation.

function normalizeCharacters(text: string): string {
  return (
    text
      .replace(/\r\n?|[\u2028\u2029]/g, '\n')
      .replace(/\t/g, ' ')
      // Byte-order marks and zero-width spaces are invisible and read as nothing useful;
      // U+E000/U+E001 are removed because the URL masking below uses them as brackets.
      .replace(/[\uFEFF\u200B\uE000\uE001]/g, '')
      // Control characters and the replacement character (a broken byte sequence from a tokenizer)
      // are either silent or read aloud as "replacement character".
      .replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\uFFFD]/g, '')
  );
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  nbsp: ' ',
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  '#39': "'",
  '#x27': "'",
};

/** Models sometimes emit HTML entities, which a screen reader spells out ("ampersand n b s p"). */
function decodeEntities(text: string): string {
  return text.replace(/&(nbsp|amp|lt|gt|quot|apos|#39|#x27);/gi, (entity, name: string) => {
    return NAMED_ENTITIES[name.toLowerCase()] ?? entity;
  });
}

const AUTOLINK = /<((?:https?|ftp):\/\/[^\s<>]+|mailto:[^\s<>]+|[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)>/giu;
const LINE_BREAK_TAG = /<br\s*\/?>/gi;
const BLOCK_TAG =
  /<\/?(?:p|div|li|ul|ol|tr|table|thead|tbody|tfoot|h[1-6]|blockquote|pre|details|summary|hr|section|article)(?:\s[^<>]*)?\/?>/gi;
const CELL_TAG = /<\/?(?:td|th)(?:\s[^<>]*)?\/?>/gi;
/** Only known tag names, so that "x <y and z> w" in prose is not taken for a tag. */
const INLINE_TAG =
  /<\/?(?:a|abbr|b|big|center|cite|code|del|em|font|i|img|ins|kbd|mark|q|s|samp|small|span|strike|strong|sub|sup|tt|u|var)(?:\s[^<>]*)?\/?>/gi;

function replaceHtml(text: string): string {
  return text
    .replace(AUTOLINK, '$1')
    .replace(LINE_BREAK_TAG, '\n')
    .replace(BLOCK_TAG, '\n')
    .replace(CELL_TAG, ' ')
    .replace(INLINE_TAG, '');
}

// ---------------------------------------------------------------------------------------------
// Block structure: code fences, tables, then one line at a time.

const CODE_FENCE = /^(?:`{3,}|~{3,})[^`]*$/;
const TABLE_SEPARATOR_ROW = /^\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?$/;

function convertBlocks(lines: readonly string[]): string[] {
  const output: string[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index] ?? '';
    if (CODE_FENCE.test(line.trim())) {
      index += 1;
    } else if (startsTable(lines, index)) {
      index = convertTable(lines, index, output);
    } else {
      output.push(...convertLine(line));
      index += 1;
    }
  }
  return output;
}

function isTableSeparator(line: string): boolean {
  const trimmed = line.trim();
  return trimmed.includes('|') && TABLE_SEPARATOR_ROW.test(trimmed);
}

/** A table needs its separator row; a lone "a | b" line is left as prose. */
function startsTable(lines: readonly string[], index: number): boolean {
  const header = lines[index] ?? '';
  return header.includes('|') && !isTableSeparator(header) && isTableSeparator(lines[index + 1] ?? '');
}

/** Appends one spoken line per row and returns the index of the first line after the table. */
function convertTable(lines: readonly string[], start: number, output: string[]): number {
  let index = start;
  while (index < lines.length) {
    const line = lines[index] ?? '';
    if (!line.includes('|') || line.trim() === '') break;
    if (!isTableSeparator(line)) output.push(convertTableRow(line));
    index += 1;
  }
  return index;
}

/** Rows get the same closing period as list items, so the reader pauses between them. */
function convertTableRow(line: string): string {
  const cells = line
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '')
    .split(/(?<!\\)\|/)
    .map(cleanInline)
    .filter((cell) => cell !== '');
  return ensurePause(cells.join(', '));
}

const BLOCKQUOTE_MARKERS = /^(?:>[ \t]*)+/;
const HORIZONTAL_RULE = /^(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}|(?:=[ \t]*){3,}|(?:[—–][ \t]*){3,})$/;
const HEADING = /^#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
/** Keycap digits and dingbat numbers opening a line are list numbers: "1️⃣ Open" → "1. Open". */
const LINE_START_NUMBER = /^(?:([0-9])\uFE0F?\u20E3|\u{1F51F}|([\u2776-\u2793]))[ \t]*(?=\S)/u;
/** "- ", "* ", "+ ", or any decoration (•, ✅, ➜, ★…) used as a bullet. */
const BULLET = new RegExp(String.raw`^(?:[-*+][ \t]+|(?:${DECORATIVE_RUN})[ \t]*)(?=\S)(.*)$`, 'u');

/** Returns the spoken lines for one source line; '' entries become paragraph breaks. */
function convertLine(rawLine: string): string[] {
  const line = rawLine.trim().replace(BLOCKQUOTE_MARKERS, '');
  if (HORIZONTAL_RULE.test(line)) return [''];
  const heading = HEADING.exec(line);
  if (heading) {
    const title = cleanInline(heading[1] ?? '');
    // Blank lines around the title keep it a paragraph of its own, as it was on screen.
    return title === '' ? [''] : ['', title, ''];
  }
  const numbered = line.replace(LINE_START_NUMBER, (marker, keycapDigit?: string, dingbat?: string) => {
    return `${keycapDigit ?? (dingbat ? dingbatNumber(dingbat) : '10')}. `;
  });
  if (LEADING_DIRECTION_ARROW.test(numbered)) return [ensurePause(cleanInline(numbered))];
  const bullet = BULLET.exec(numbered);
  if (bullet) return [ensurePause(cleanInline(bullet[1] ?? ''))];
  return [cleanInline(numbered)];
}

const PAUSE_AT_END = /[.!?…:;,。！？：；，、][)\]"'”’»」』】）]*$/u;

/**
 * A screen reader runs lines together unless something tells it to pause; a period does,
 * and in Chinese or Japanese the full-width 。 does the same without looking foreign.
 */
function ensurePause(content: string): string {
  if (content === '' || PAUSE_AT_END.test(content)) return content;
  const lastCharacter = Array.from(content).at(-1) ?? '';
  return content + (CJK_CHARACTER.test(lastCharacter) ? '。' : '.');
}

// ---------------------------------------------------------------------------------------------
// Inline constructs within one line.

function cleanInline(text: string): string {
  const withoutLinks = replaceLinksAndImages(text).replace(/`+/g, '');
  const withoutEmphasis = withUrlsMasked(withoutLinks, stripEmphasis);
  const unescaped = withoutEmphasis.replace(/\\([!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~])/g, '$1');
  return removeDecorations(unescaped).replace(/[ \t]+/g, ' ').trim();
}

/** A destination may contain one level of balanced parentheses (Wikipedia URLs) and a title. */
const LINK_DESTINATION = String.raw`<?((?:[^\s()<>]|\([^\s()]*\))*)>?(?:\s+(?:"[^"]*"|'[^']*'))?`;
const LINK_OR_IMAGE = new RegExp(String.raw`(!?)\[([^\[\]]*)\]\(\s*${LINK_DESTINATION}\s*\)`, 'gu');

/** Images read as their alt text (nothing if decorative); links as their label, else the URL. */
function replaceLinksAndImages(text: string): string {
  return text.replace(LINK_OR_IMAGE, (whole, bang: string, label: string, destination: string) => {
    if (bang === '!') return label.trim();
    return label.trim() === '' ? destination : label;
  });
}

/** Bare URLs: underscores and tildes in them are not emphasis. Trailing punctuation stays outside. */
const BARE_URL = /\b(?:https?:\/\/|www\.)[^\s<>*]*[^\s<>*_~.,;:!?'")\]]/giu;

function withUrlsMasked(text: string, transform: (masked: string) => string): string {
  const urls: string[] = [];
  const masked = text.replace(BARE_URL, (url) => `\uE000${urls.push(url) - 1}\uE001`);
  return transform(masked).replace(/\uE000(\d+)\uE001/g, (placeholder, index: string) => {
    return urls[Number(index)] ?? placeholder;
  });
}

/**
 * Asterisk emphasis must not touch a letter or digit outside it, so "2**10" and "a*b*c" (math)
 * survive, but may touch Chinese or Japanese, which have no spaces: "这是**重要**的".
 * Underscore emphasis must not touch any letter, digit or underscore, so snake_case and
 * file_name survive. As in CommonMark, "__init__" on its own is bold: write it in backticks
 * and it is still bold here, since code is not protected (see the file comment).
 */
function delimitedSpan(delimiter: string, outside: string): RegExp {
  const escaped = delimiter.replace(/\*/g, '\\*');
  // A single marker may not enclose itself ("* *"); longer ones only need non-space inside.
  const inner = delimiter.length === 1 ? String.raw`[^\s${escaped}]` : String.raw`\S`;
  return new RegExp(
    // A backslash-escaped marker is literal; it becomes emphasis only once the escape is gone.
    String.raw`(?<!${outside}|\\)${escaped}(?=${inner})(.+?)(?<=${inner})(?<!\\)${escaped}(?!${outside})`,
    'gu',
  );
}

const ASTERISK_OUTSIDE = String.raw`${SPACED_WORD_CHARACTER}|\*`;
const UNDERSCORE_OUTSIDE = String.raw`[\p{L}\p{N}_]`;
const EMPHASIS_PATTERNS: readonly RegExp[] = [
  delimitedSpan('***', SPACED_WORD_CHARACTER),
  delimitedSpan('**', SPACED_WORD_CHARACTER),
  delimitedSpan('*', ASTERISK_OUTSIDE),
  delimitedSpan('___', UNDERSCORE_OUTSIDE),
  delimitedSpan('__', UNDERSCORE_OUTSIDE),
  delimitedSpan('_', UNDERSCORE_OUTSIDE),
  /~~(?=\S)(.+?)(?<=\S)~~/gu,
];
/** Unpaired "**" left by a truncated answer ("**Note"), but not "2**10". */
const ORPHAN_DOUBLE_ASTERISK = new RegExp(
  String.raw`(?<!${SPACED_WORD_CHARACTER})\*{2,}(?=[^\s*])|(?<=[^\s*])\*{2,}(?!${SPACED_WORD_CHARACTER})`,
  'gu',
);

function stripEmphasis(text: string): string {
  const stripped = EMPHASIS_PATTERNS.reduce((current, pattern) => current.replace(pattern, '$1'), text);
  return stripped.replace(ORPHAN_DOUBLE_ASTERISK, '');
}

// ---------------------------------------------------------------------------------------------
// Emoji and decoration.

function dingbatNumber(character: string): string {
  // Three runs of ten in U+2776..U+2793: negative circled, sans-serif circled, negative sans-serif.
  return String(((character.codePointAt(0) ?? 0x2776) - 0x2776) % 10 + 1);
}

/** Symbols that stand for text: keep what they say before the decoration goes. */
function spellOutSymbols(text: string): string {
  return text
    .replace(/\u{1F51F}/gu, '10')
    .replace(/[\u2776-\u2793]/g, dingbatNumber)
    .replace(/\u203C\uFE0F?/g, '!')
    .replace(/\u2049\uFE0F?/g, '?!');
}

/** ASCII arrows between words ("Settings -> Privacy") are read as "dash greater than". */
const ASCII_ARROW = /(?<=\S)[ \t]+(?:--?>|==?>)[ \t]+(?=\S)/g;

/** "(👍)": brackets around nothing but decoration would be left as an empty "()". */
const BRACKETED_DECORATION = new RegExp(String.raw`[ \t]*[(\[][ \t]*${DECORATIVE_RUN}[ \t]*[)\]]`, 'gu');

function removeDecorations(text: string): string {
  return spellOutArrows(spellOutSymbols(text).replace(ASCII_ARROW, ' → '))
    .replace(BRACKETED_DECORATION, '')
    .replace(DECORATIVE_RUN_WITH_SPACES, replaceDecorativeRun);
}

type Direction = 'right' | 'left' | 'up' | 'down' | 'up-right' | 'down-right' | 'up-left' | 'down-left';

const DIRECTION_ARROWS: Readonly<Record<Direction, string>> = {
  right: '\u2192\u21D2\u21E8\u21A6\u21FE\u2794\u279C\u279D\u279E\u2799\u279B\u27A1\u27F6\u27F9\u2B95',
  left: '\u2190\u21D0\u21E6\u27F5\u27F8\u2B05',
  up: '\u2191\u21D1\u21E7\u2B06',
  down: '\u2193\u21D3\u21E9\u2B07',
  'up-right': '\u2197\u21D7\u2B08',
  'down-right': '\u2198\u21D8\u2B0A',
  'up-left': '\u2196\u21D6\u2B09',
  'down-left': '\u2199\u21D9\u2B0B',
};
const DIRECTION_WORDS: Readonly<Record<Direction, { readonly en: string; readonly zh: string }>> = {
  right: { en: 'right', zh: '向右' },
  left: { en: 'left', zh: '向左' },
  up: { en: 'up', zh: '向上' },
  down: { en: 'down', zh: '向下' },
  'up-right': { en: 'up and to the right', zh: '向右上' },
  'down-right': { en: 'down and to the right', zh: '向右下' },
  'up-left': { en: 'up and to the left', zh: '向左上' },
  'down-left': { en: 'down and to the left', zh: '向左下' },
};
const DIRECTION_ARROW = new RegExp(`([ \t]*)([${Object.values(DIRECTION_ARROWS).join('')}])\uFE0F?([ \t]*)`, 'gu');
/** A line that starts with an arrow pointing at something ("→ exit"): not a bullet, a direction. */
const LEADING_DIRECTION_ARROW = new RegExp(`^[${Object.values(DIRECTION_ARROWS).join('')}]`, 'u');

function directionOf(arrow: string): Direction {
  const found = (Object.keys(DIRECTION_ARROWS) as Direction[]).find((direction) => DIRECTION_ARROWS[direction].includes(arrow));
  return found ?? 'right';
}

/**
 * Arrows carry meaning ("stairs ↓", "→ exit", "exit ←") and are said as words. A left or right
 * arrow between two words is left for the path rule below ("Settings → Privacy" reads as
 * "Settings, Privacy"); one pointing at a word with nothing before it is "to" ("→ exit" is
 * "To exit"). Chinese neighbours get Chinese words; other languages get English ones, which a
 * screen reader still says better than nothing.
 */
function spellOutArrows(text: string): string {
  return text.replace(DIRECTION_ARROW, (match: string, spacesBefore: string, arrow: string, spacesAfter: string, offset: number, whole: string) => {
    const previous = characterBefore(whole, offset);
    const next = characterAt(whole, offset + match.length);
    const direction = directionOf(arrow);
    const horizontal = direction === 'right' || direction === 'left';
    const wordBefore = previous !== '' && WORD_END.test(previous);
    const wordAfter = next !== '' && WORD_START.test(next);
    if (horizontal && wordBefore && wordAfter) return match;
    const chinese = CJK_CHARACTER.test(previous) || CJK_CHARACTER.test(next);
    let word = DIRECTION_WORDS[direction][chinese ? 'zh' : 'en'];
    if (direction === 'right' && !wordBefore && wordAfter) word = chinese ? '前往' : 'to';
    if (chinese) return word;
    if (previous === '') word = capitalizeFirst(word);
    const before = previous === '' || (OPENING_PUNCTUATION.test(previous) && spacesBefore === '') ? '' : ' ';
    const after = next === '' || (CLOSING_OR_PAUSE_PUNCTUATION.test(next) && spacesAfter === '') ? '' : ' ';
    return `${before}${word}${after}`;
  });
}

/**
 * An arrow between two words becomes a comma: "Settings → Privacy → Camera" reads as a path,
 * "Settings, Privacy, Camera". A comma rather than "to" because answers come in many
 * languages and a comma is right in all of them (full-width "，" between Chinese words).
 * Other decoration disappears, leaving one space where it separated words and none before
 * punctuation or at the edges of a line.
 */
function replaceDecorativeRun(
  match: string,
  spacesBefore: string,
  run: string,
  spacesAfter: string,
  offset: number,
  whole: string,
): string {
  const previous = characterBefore(whole, offset);
  const next = characterAt(whole, offset + match.length);
  if (previous === '' || next === '') return '';
  if (ARROW.test(run) && WORD_END.test(previous) && WORD_START.test(next)) {
    return CJK_CHARACTER.test(previous) && CJK_CHARACTER.test(next) ? '，' : ', ';
  }
  // Quotes are both opening and closing, so only punctuation directly touching the run counts.
  if (CLOSING_OR_PAUSE_PUNCTUATION.test(next) && spacesAfter === '') return '';
  if (OPENING_PUNCTUATION.test(previous) && spacesBefore === '') return '';
  if (spacesBefore !== '' || spacesAfter !== '') return ' ';
  const betweenSpacedWords =
    SPACED_WORD_CHARACTER_PATTERN.test(previous) && SPACED_WORD_CHARACTER_PATTERN.test(next);
  return betweenSpacedWords ? ' ' : '';
}

function characterBefore(text: string, offset: number): string {
  if (offset <= 0) return '';
  const low = text.charCodeAt(offset - 1);
  const isLowSurrogate = low >= 0xdc00 && low <= 0xdfff;
  return isLowSurrogate && offset >= 2 ? text.slice(offset - 2, offset) : text.slice(offset - 1, offset);
}

function characterAt(text: string, offset: number): string {
  const codePoint = text.codePointAt(offset);
  return codePoint === undefined ? '' : String.fromCodePoint(codePoint);
}

// ---------------------------------------------------------------------------------------------
// Punctuation, whitespace and the "The image shows" opening.

/** "!!!" reads as one exclamation anyway; four or more dots are an ellipsis, "..." stays. */
function collapseRepeatedPunctuation(text: string): string {
  return text.replace(/([!?！？])\1+/gu, '$1').replace(/\.{4,}/g, '…');
}

function normalizeWhitespace(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/[ \t]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const IMAGE_NOUN = '(?:image|photo|photograph|picture|pic|screenshot)';
/**
 * Only openings that say nothing: "The image of the receipt is blurry" is left alone because
 * there the image itself is the subject, so "of" forms are stripped after "a"/"an" only.
 */
const ENGLISH_IMAGE_OPENING = new RegExp(
  String.raw`^(?:(?:an?\s+)?${IMAGE_NOUN}\s+of\b` +
    String.raw`|(?:this|the)\s+${IMAGE_NOUN}\s+(?:shows|depicts)(?:\s+that\b)?` +
    String.raw`|this\s+is\s+an?\s+${IMAGE_NOUN}\s+of\b` +
    String.raw`|in\s+(?:this|the)\s+${IMAGE_NOUN}\b)[\s,:]*`,
  'iu',
);
/**
 * 这张图片显示了… / 图片中… / 在这张照片里，… but not 图片上的文字 ("the text on the picture")
 * or 图片显示的内容, where the picture is part of the sentence.
 */
const CHINESE_IMAGE_OPENING =
  /^在?(?:这张|这幅|这个|该|此)?(?:图片|照片|图像|图)(?:(?:中|里|上)(?:显示|展示|可以看到|能看到)?|(?:显示|展示|呈现)(?:了|的是|出)?)(?![的面])[，,：:\s]*/u;

function stripImageOpening(text: string): string {
  const opening = ENGLISH_IMAGE_OPENING.exec(text) ?? CHINESE_IMAGE_OPENING.exec(text);
  if (!opening) return text;
  const remainder = text.slice(opening[0].length);
  if (remainder.trim() === '') return text;
  return capitalizeFirst(remainder);
}

function capitalizeFirst(text: string): string {
  const first = characterAt(text, 0);
  return first.toUpperCase() + text.slice(first.length);
}

// ---------------------------------------------------------------------------------------------
// Filler before the answer and offers after it.

/**
 * Words before the answer that say nothing, each ending in punctuation: "Sure!", "Certainly, here
 * is a description:", "Of course.", "当然可以！", a heading line ("Overview", "## Description",
 * already a plain line here) or a label ("Answer:"). A numbered list's "1." is left to `takeGist`. The listener hears the
 * first message on its own, so it must be the first sentence with content.
 */
const LEADING_FILLER: readonly RegExp[] = [
  /^(?:sure(?: thing)?|certainly|of course|absolutely|okay|ok|alright|all right|no problem|gladly|great question|good question|happy to help|i'?d be (?:happy|glad) to help|i can help with that)(?:[ \t]*[!.,:;…]+|[ \t]+[-—–])+[ \t]*/iu,
  /^here(?:'s|’s|[ \t]+is|[ \t]+are)\b[^.:!?\n…]{0,80}(?::|…|\.\.\.)[ \t]*\n*/iu,
  /^(?:here(?:'s|’s|[ \t]+is|[ \t]+are)|let me (?:describe|take a look at|look at|read|tell you)|i(?:'ll| will) (?:describe|read))\b[^.:!?\n…]{0,60}\b(?:description|summary|breakdown|overview|what i (?:can )?see|the (?:image|photo|picture)|it|this|that)[ \t]*[.:…!][ \t]*\n*/iu,
  /^(?:overview|description|summary|answer|short answer|image description|scene description|photo description|details|analysis|in short|tl;?dr)[ \t]*[:：]?[ \t]*(?:\n+|(?<=[:：])[ \t]*)/iu,
  /^(?:当然(?:可以|没问题)?|好的|没问题|可以的?|很乐意(?:帮忙|为您?效劳)?)[！!，,。.~～]+\s*/u,
  /^(?:以下是|下面是|这是)[^。：:\n]{0,30}(?:描述|说明|内容|回答|概述)[：:。]\s*/u,
  /^(?:概述|描述|总结|图片描述|回答|答案|简要回答)[ \t]*[:：]?[ \t]*(?:\n+|(?<=[:：])\s*)/u,
  /^¡?(?:claro(?: que sí)?|por supuesto|desde luego|con gusto)[!¡.,]*[ \t]*/iu,
];

function stripLeadingFiller(text: string): string {
  for (const filler of LEADING_FILLER) {
    const match = filler.exec(text);
    if (!match || match[0] === '') continue;
    const remainder = text.slice(match[0].length).trim();
    // "Of course." alone is the whole answer; leave it.
    if (remainder === '') return text;
    return capitalizeFirst(remainder);
  }
  return text;
}

/**
 * Offers at the end ("Let me know if you need anything else!", "I hope this helps.",
 * "如果还有其他问题…") end every answer the same way and cost the listener time. Only the last
 * line, from a sentence start to its end.
 */
const CLOSING_OFFER = new RegExp(
  String.raw`(?<=^|[\n.!?…。！？])[ \t]*(?:` +
    [
      String.raw`(?:please )?(?:let me know|tell me) if (?:you (?:need|have|want|would like|'d like)|there(?:'s| is)) (?:any|anything|more|further|other|something)`,
      String.raw`(?:i )?hope (?:this|that|it) (?:helps|was helpful|is helpful)`,
      String.raw`feel free to (?:ask|let me know|send|reach out)`,
      String.raw`if you (?:have|need) (?:any )?(?:other|more|further|additional)? ?(?:questions|help|details)`,
      String.raw`is there anything else`,
      String.raw`(?:do you need|would you like) (?:anything else|any(?:thing)? more help)`,
      String.raw`如果(?:您|你)?(?:还)?有(?:任何)?(?:其他|更多|别的)?(?:问题|需要|疑问)`,
      String.raw`希望(?:这|以上|这些)?(?:信息|内容|回答|描述)?(?:对(?:您|你))?(?:能)?(?:有所|有)?(?:帮助|用)`,
      String.raw`如需(?:更多|其他|进一步的?)?(?:帮助|信息)`,
      String.raw`还有(?:什么|其他|别的)(?:需要|可以|想)`,
      String.raw`请随时(?:告诉|问|联系|提问)`,
      String.raw`espero que (?:esto|te|le) (?:sirva|ayude)`,
      String.raw`si necesitas? (?:algo más|más ayuda)`,
      String.raw`¡?(?:avísame|dime) si necesitas`,
    ].join('|') +
    String.raw`)[^\n]*$`,
  'iu',
);

function stripClosingOffer(text: string): string {
  const stripped = text.replace(CLOSING_OFFER, '').trimEnd();
  return stripped === '' ? text : stripped;
}
