import type { LanguageSetting, ReplyLength, StreamingSetting, UserSettings, VoiceEchoSetting } from '../../storage/index.js';
import { languages } from '../i18n/index.js';

// Maps, not object literals: a typed word such as "constructor" or "__proto__" must find nothing.
const LENGTH_WORDS: ReadonlyMap<string, ReplyLength> = new Map([
  ['short', 'short'],
  ['brief', 'short'],
  ['normal', 'normal'],
  ['medium', 'normal'],
  ['detailed', 'detailed'],
  ['long', 'detailed'],
  ['简短', 'short'],
  ['普通', 'normal'],
  ['详细', 'detailed'],
]);

const AUTOMATIC_LANGUAGE_WORDS = new Set(['auto', 'automatic', '自动']);

/** `es`, `spanish`, `español`: a language's code or one of its words in the language table. */
function languageForWord(word: string): LanguageSetting | undefined {
  if (AUTOMATIC_LANGUAGE_WORDS.has(word)) return 'auto';
  return languages().find((language) => language.code === word || language.settingWords.includes(word))?.code;
}

const STREAMING_WORDS: ReadonlyMap<string, StreamingSetting> = new Map([
  ['on', 'edits'],
  ['edits', 'edits'],
  ['off', 'off'],
  ['开', 'edits'],
  ['关', 'off'],
]);

const ECHO_WORDS: ReadonlyMap<string, VoiceEchoSetting> = new Map([
  ['on', 'on'],
  ['off', 'off'],
  ['开', 'on'],
  ['关', 'off'],
]);

const KEYWORDS = new Set(['length', 'language', 'lang', 'streaming', 'stream', '长度', '语言', '流式']);
/** `on` and `off` after one of these set the voice echo; anywhere else they keep meaning streaming. */
const ECHO_KEYWORDS = new Set(['echo', 'voice', 'transcript', '复述', '语音']);

/**
 * Reads `/settings` arguments such as `length short`, `language zh`, `streaming on`, `echo on` or
 * just `detailed`. Returns undefined when any word is not understood, so nothing is half-applied.
 */
export function parseSettingsArgument(argument: string): Partial<UserSettings> | undefined {
  const patch: {
    replyLength?: ReplyLength;
    language?: LanguageSetting;
    streaming?: StreamingSetting;
    voiceEcho?: VoiceEchoSetting;
  } = {};
  let afterEchoKeyword = false;
  for (const word of argument.toLowerCase().split(/[\s,=]+/u).filter(Boolean)) {
    if (ECHO_KEYWORDS.has(word)) {
      afterEchoKeyword = true;
      continue;
    }
    if (KEYWORDS.has(word)) {
      afterEchoKeyword = false;
      continue;
    }
    const language = languageForWord(word);
    const echo = afterEchoKeyword ? ECHO_WORDS.get(word) : undefined;
    const length = LENGTH_WORDS.get(word);
    const streaming = STREAMING_WORDS.get(word);
    if (echo) patch.voiceEcho = echo;
    else if (length) patch.replyLength = length;
    else if (language) patch.language = language;
    else if (streaming) patch.streaming = streaming;
    else return undefined;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}
