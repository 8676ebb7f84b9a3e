import type { LanguageSetting, ReplyLength, UserSettings } from '../../storage/index.js';

const LENGTH_WORDS: Record<string, ReplyLength> = {
  short: 'short',
  brief: 'short',
  normal: 'normal',
  medium: 'normal',
  detailed: 'detailed',
  long: 'detailed',
  简短: 'short',
  普通: 'normal',
  详细: 'detailed',
};

const LANGUAGE_WORDS: Record<string, LanguageSetting> = {
  auto: 'auto',
  automatic: 'auto',
  en: 'en',
  english: 'en',
  zh: 'zh',
  chinese: 'zh',
  中文: 'zh',
  英文: 'en',
  自动: 'auto',
};

const KEYWORDS = new Set(['length', 'language', 'lang', '长度', '语言']);

/**
 * Reads `/settings` arguments such as `length short`, `language zh` or just `detailed`.
 * Returns undefined when any word is not understood, so nothing is half-applied.
 */
export function parseSettingsArgument(argument: string): Partial<UserSettings> | undefined {
  const patch: { replyLength?: ReplyLength; language?: LanguageSetting } = {};
  for (const word of argument.toLowerCase().split(/[\s,=]+/u).filter(Boolean)) {
    if (KEYWORDS.has(word)) continue;
    if (word in LENGTH_WORDS) patch.replyLength = LENGTH_WORDS[word];
    else if (word in LANGUAGE_WORDS) patch.language = LANGUAGE_WORDS[word];
    else return undefined;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}
