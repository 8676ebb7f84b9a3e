import type { LanguageSetting } from '../../storage/index.js';
import { displayLanguageName } from './display-name.js';
import { defaultLanguage, findLanguage, languages } from './languages.js';
import type { Messages } from './messages.js';

export type { DescribeCommandTexts, Messages, ServicePhrases, VoiceProblemKind } from './messages.js';
export type { Language } from './languages.js';
export { addLanguage, defaultLanguage, findLanguage, languages } from './languages.js';
export { minutesAndSeconds, plural, retentionPeriod, wholeMegabytes } from './quantities.js';
export { describeStoredData, type StoredDataPhrases } from './stored-data.js';

/** A `code` from the language table. */
export type LanguageCode = string;

/**
 * The language of this reply: the user's setting, else the language of what they wrote,
 * else the platform's hint (e.g. Telegram's `language_code`, Discord's `zh-CN`), else the default.
 * A setting for a language no longer in the table counts as `auto`.
 */
export function resolveLanguage(setting: LanguageSetting, text: string | undefined, platformHint?: string): LanguageCode {
  const chosen = setting === 'auto' ? undefined : findLanguage(setting);
  if (chosen) return chosen.code;
  if (text) {
    const written = languages().find((language) => language.script?.test(text));
    if (written) return written.code;
    if (/\p{L}/u.test(text)) return defaultLanguage().code;
  }
  return (platformHint && languageOfLocale(platformHint)?.code) || defaultLanguage().code;
}

/** `zh-CN`, `zh-hans`, `zh` → Chinese: an exact regional tag first, then the language part of it. */
function languageOfLocale(locale: string) {
  const tag = locale.toLowerCase();
  return (
    languages().find((language) => language.locales.some((candidate) => candidate.toLowerCase() === tag)) ??
    findLanguage(tag.split(/[-_]/u)[0]!)
  );
}

/** The catalogue of a language in the table; the default language's for any other code. */
export function messagesFor(language: LanguageCode): Messages {
  return (findLanguage(language) ?? defaultLanguage()).messages;
}

/**
 * "fr" → "French", or in another language ("fr", "zh" → "法语"): people and models both follow a
 * language's name better than its code. Any ISO code works, not only those in the table.
 */
export function languageName(code: string, inLanguage = 'en'): string {
  const known = inLanguage === 'en' ? findLanguage(code) : undefined;
  return known ? known.englishName : displayLanguageName(code, inLanguage);
}
