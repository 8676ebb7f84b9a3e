import type { LanguageSetting, ReplyLength, StreamingSetting, UserSettings, VoiceEchoSetting, VoiceRepliesSetting } from '../../storage/index.js';
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

const SPEAK_WORDS: ReadonlyMap<string, VoiceRepliesSetting> = new Map([
  ['always', 'always'],
  ['on', 'always'],
  ['off', 'off'],
  ['never', 'off'],
  ['spoken', 'spoken'],
  ['voice', 'spoken'],
  ['auto', 'spoken'],
  ['总是', 'always'],
  ['开', 'always'],
  ['关', 'off'],
  ['自动', 'spoken'],
  ['语音', 'spoken'],
]);

const KEYWORDS = new Set(['length', 'language', 'lang', 'streaming', 'stream', '长度', '语言', '流式']);
/** `on` and `off` after one of these set the voice echo; anywhere else they keep meaning streaming. */
const ECHO_KEYWORDS = new Set(['echo', 'voice', 'transcript', '复述', '语音']);
/**
 * The words after one of these set voice replies: `speak always`, `voice replies off`, `朗读 自动`.
 * "voice" alone keeps meaning the echo, as it did before voice replies existed.
 */
const SPEAK_KEYWORDS = new Set(['speak', 'speech', 'replies', 'reply', 'spoken-replies', 'voice-replies', '朗读', '语音回复']);

/**
 * Reads `/settings` arguments such as `length short`, `language zh`, `streaming on`, `echo on`,
 * `speak always` or just `detailed`. Returns undefined when any word is not understood, so nothing is half-applied.
 */
export function parseSettingsArgument(argument: string): Partial<UserSettings> | undefined {
  const patch: {
    replyLength?: ReplyLength;
    language?: LanguageSetting;
    streaming?: StreamingSetting;
    voiceEcho?: VoiceEchoSetting;
    voiceReplies?: VoiceRepliesSetting;
  } = {};
  let after: 'echo' | 'speak' | undefined;
  for (const word of argument.toLowerCase().split(/[\s,=]+/u).filter(Boolean)) {
    if (SPEAK_KEYWORDS.has(word)) {
      after = 'speak';
      continue;
    }
    if (ECHO_KEYWORDS.has(word) && after !== 'speak') {
      after = 'echo';
      continue;
    }
    if (KEYWORDS.has(word)) {
      after = undefined;
      continue;
    }
    const speak = after === 'speak' ? SPEAK_WORDS.get(word) : undefined;
    const language = languageForWord(word);
    const echo = after === 'echo' ? ECHO_WORDS.get(word) : undefined;
    const length = LENGTH_WORDS.get(word);
    const streaming = STREAMING_WORDS.get(word);
    if (speak) patch.voiceReplies = speak;
    else if (echo) patch.voiceEcho = echo;
    else if (length) patch.replyLength = length;
    else if (language) patch.language = language;
    else if (streaming) patch.streaming = streaming;
    else return undefined;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}
