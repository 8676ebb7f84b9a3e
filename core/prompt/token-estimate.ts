const WIDE_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu;

/**
 * A conservative token count for when the backend has no tokenizer: BPE vocabularies average about
 * four characters per token in English, while each CJK character is usually a token of its own.
 */
export function estimateTokens(text: string): number {
  const wide = text.match(WIDE_SCRIPT)?.length ?? 0;
  return wide + Math.ceil((text.length - wide) / 3.5);
}
