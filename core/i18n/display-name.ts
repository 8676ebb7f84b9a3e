/**
 * A language's name written in another language ("zh" in "en" → "Chinese", "en" in "zh" → "英语"),
 * from the runtime's locale data, so a catalogue can name any language in the table without a list
 * of its own. The code itself when the runtime does not know it.
 */
export function displayLanguageName(code: string, inLanguage: string): string {
  try {
    return new Intl.DisplayNames([inLanguage], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}
