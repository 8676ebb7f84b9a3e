import type { LanguageSetting } from '../../storage/index.js';
import { en } from './en.js';
import type { Messages } from './messages.js';
import { zh } from './zh.js';

export type { Messages } from './messages.js';

export const MESSAGES = { en, zh } as const satisfies Record<string, Messages>;
export type LanguageCode = keyof typeof MESSAGES;

const HAN_SCRIPT = /\p{Script=Han}/u;

/**
 * The language of this reply: the user's setting, else the language of what they wrote,
 * else the platform's hint (e.g. Telegram's `language_code`), else English.
 */
export function resolveLanguage(setting: LanguageSetting, text: string | undefined, platformHint?: string): LanguageCode {
  if (setting !== 'auto') return setting;
  if (text && HAN_SCRIPT.test(text)) return 'zh';
  if (text && /\p{L}/u.test(text)) return 'en';
  const hint = platformHint?.toLowerCase().slice(0, 2);
  return hint && hint in MESSAGES ? (hint as LanguageCode) : 'en';
}

export function messagesFor(language: LanguageCode): Messages {
  return MESSAGES[language];
}

/** "fr" → "French": people and models both follow a language's name better than its code. */
export function languageName(code: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}
