/**
 * The languages Whisper knows, by the names its tokenizer gives them: OpenAI's API and
 * whisper.cpp's server answer `"language": "english"` in verbose_json, faster-whisper servers and
 * vLLM answer `"en"`; the core wants the code either way.
 */
const WHISPER_LANGUAGES: Readonly<Record<string, string>> = {
  english: 'en', chinese: 'zh', german: 'de', spanish: 'es', russian: 'ru', korean: 'ko', french: 'fr', japanese: 'ja',
  portuguese: 'pt', turkish: 'tr', polish: 'pl', catalan: 'ca', dutch: 'nl', arabic: 'ar', swedish: 'sv', italian: 'it',
  indonesian: 'id', hindi: 'hi', finnish: 'fi', vietnamese: 'vi', hebrew: 'he', ukrainian: 'uk', greek: 'el', malay: 'ms',
  czech: 'cs', romanian: 'ro', danish: 'da', hungarian: 'hu', tamil: 'ta', norwegian: 'no', thai: 'th', urdu: 'ur',
  croatian: 'hr', bulgarian: 'bg', lithuanian: 'lt', latin: 'la', maori: 'mi', malayalam: 'ml', welsh: 'cy', slovak: 'sk',
  telugu: 'te', persian: 'fa', latvian: 'lv', bengali: 'bn', serbian: 'sr', azerbaijani: 'az', slovenian: 'sl', kannada: 'kn',
  estonian: 'et', macedonian: 'mk', breton: 'br', basque: 'eu', icelandic: 'is', armenian: 'hy', nepali: 'ne', mongolian: 'mn',
  bosnian: 'bs', kazakh: 'kk', albanian: 'sq', swahili: 'sw', galician: 'gl', marathi: 'mr', punjabi: 'pa', sinhala: 'si',
  khmer: 'km', shona: 'sn', yoruba: 'yo', somali: 'so', afrikaans: 'af', occitan: 'oc', georgian: 'ka', belarusian: 'be',
  tajik: 'tg', sindhi: 'sd', gujarati: 'gu', amharic: 'am', yiddish: 'yi', lao: 'lo', uzbek: 'uz', faroese: 'fo',
  'haitian creole': 'ht', pashto: 'ps', turkmen: 'tk', nynorsk: 'nn', maltese: 'mt', sanskrit: 'sa', luxembourgish: 'lb',
  myanmar: 'my', tibetan: 'bo', tagalog: 'tl', malagasy: 'mg', assamese: 'as', tatar: 'tt', lingala: 'ln', hausa: 'ha',
  bashkir: 'ba', sundanese: 'su',
  // No ISO 639-1 code exists for these two; Whisper uses the ISO 639-3 ones.
  hawaiian: 'haw', cantonese: 'yue',
  // Whisper's own code for Javanese is "jw"; the ISO code is "jv".
  javanese: 'jv', jw: 'jv',
  // Other names Whisper's tokenizer accepts for the same languages.
  burmese: 'my', valencian: 'ca', flemish: 'nl', haitian: 'ht', letzeburgesch: 'lb', pushto: 'ps', panjabi: 'pa',
  moldavian: 'ro', moldovan: 'ro', sinhalese: 'si', castilian: 'es', mandarin: 'zh',
};

const CODES = new Set(Object.values(WHISPER_LANGUAGES));

/**
 * The ISO 639-1 code of what a server reported ("english", "English", "en", "en-US"); undefined
 * when it reported nothing or nothing recognisable.
 */
export function languageCode(reported: unknown): string | undefined {
  if (typeof reported !== 'string') return undefined;
  const value = reported.trim().toLowerCase();
  const named = WHISPER_LANGUAGES[value];
  if (named) return named;
  const primary = value.split(/[-_]/u)[0]!;
  return CODES.has(primary) ? primary : undefined;
}

// Scripts that name their language well enough to choose the reply's; Latin and Cyrillic do not.
const SCRIPTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/[\p{Script=Hiragana}\p{Script=Katakana}]/u, 'ja'],
  [/\p{Script=Hangul}/u, 'ko'],
  [/\p{Script=Han}/u, 'zh'],
  [/\p{Script=Greek}/u, 'el'],
  [/\p{Script=Hebrew}/u, 'he'],
  [/\p{Script=Thai}/u, 'th'],
];

/**
 * The language of a transcript from a server that said none (one without verbose_json): the
 * script's when it is telling, else English, the default the embedded Whisper falls back to too.
 * Only the reply's language depends on it.
 */
export function guessLanguage(text: string): string {
  return SCRIPTS.find(([script]) => script.test(text))?.[1] ?? 'en';
}
