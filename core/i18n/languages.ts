import { en } from './en.js';
import type { Messages } from './messages.js';
import { zh } from './zh.js';

/**
 * One language the assistant speaks. Everything that lists languages reads the table below: the
 * settings parser, the system prompt, the language of a reply, and the adapters' command menus
 * and localisations.
 */
export interface Language {
  /**
   * Two or three lowercase letters (ISO 639): what /settings stores, what a speech model is told,
   * and what platforms that send a bare language code (Telegram's language_code) send.
   */
  readonly code: string;
  /** Every sentence the assistant itself says, in this language. */
  readonly messages: Messages;
  /** The name in English, for the model's instructions and the logs. */
  readonly englishName: string;
  /** The model's instruction when the user has chosen this language. */
  readonly promptRule: string;
  /** What people type for it after `/settings language`, besides the code itself; lowercase. */
  readonly settingWords: readonly string[];
  /**
   * Regional locale tags (BCP 47) this catalogue suits, for platforms that localise by region
   * rather than by language (Discord: zh-CN, es-ES). A platform uses those it supports.
   */
  readonly locales: readonly string[];
  /**
   * Typed text in this script is taken to be in this language. Absent when the script is shared
   * with other languages (Latin): such text is read as the default language unless a setting or
   * the platform's hint says otherwise.
   */
  readonly script?: RegExp;
}

/**
 * The languages, the default first. Adding one is a catalogue file implementing `Messages`
 * (core/i18n/en.ts is the model) plus one entry here.
 */
const LANGUAGES: Language[] = [
  {
    code: 'en',
    messages: en,
    englishName: 'English',
    promptRule: 'Always reply in English.',
    settingWords: ['english', '英文'],
    locales: ['en-US', 'en-GB'],
  },
  {
    code: 'zh',
    messages: zh,
    englishName: 'Chinese',
    promptRule: 'Always reply in Simplified Chinese.',
    settingWords: ['chinese', '中文'],
    // Simplified Chinese only: zh-TW readers expect traditional characters.
    locales: ['zh-CN'],
    script: /\p{Script=Han}/u,
  },
];

/** Matches the storage schema's check on the language column (migration 7). */
const LANGUAGE_CODE = /^[a-z]{2,3}$/;

/** Every language, the default first. Read at each use, so a language added later is seen everywhere. */
export function languages(): readonly Language[] {
  return LANGUAGES;
}

/** The language replies fall back to, and the one platforms show when they have no localisation. */
export function defaultLanguage(): Language {
  return LANGUAGES[0]!;
}

export function findLanguage(code: string): Language | undefined {
  return LANGUAGES.find((language) => language.code === code);
}

/**
 * Adds a language while the program runs (a test, or a deployment's own catalogue); returns the
 * function that removes it again. The built-in ones are the entries above.
 */
export function addLanguage(language: Language): () => void {
  if (!LANGUAGE_CODE.test(language.code)) {
    throw new RangeError(`language code "${language.code}" must be two or three lowercase letters`);
  }
  if (findLanguage(language.code)) throw new RangeError(`language "${language.code}" is already in the table`);
  LANGUAGES.push(language);
  return () => {
    const index = LANGUAGES.indexOf(language);
    if (index > 0) LANGUAGES.splice(index, 1);
  };
}
