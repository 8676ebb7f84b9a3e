import type { LanguageSetting, ReplyLength, StreamingSetting, UserSettings, VoiceEchoSetting } from '../../storage/index.js';

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

const STREAMING_WORDS: Record<string, StreamingSetting> = {
  on: 'edits',
  edits: 'edits',
  off: 'off',
  开: 'edits',
  关: 'off',
};

const ECHO_WORDS: Record<string, VoiceEchoSetting> = { on: 'on', off: 'off', 开: 'on', 关: 'off' };

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
    if (afterEchoKeyword && word in ECHO_WORDS) patch.voiceEcho = ECHO_WORDS[word];
    else if (word in LENGTH_WORDS) patch.replyLength = LENGTH_WORDS[word];
    else if (word in LANGUAGE_WORDS) patch.language = LANGUAGE_WORDS[word];
    else if (word in STREAMING_WORDS) patch.streaming = STREAMING_WORDS[word];
    else return undefined;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}
