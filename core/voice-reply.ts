import type { VoiceRepliesSetting } from '../storage/index.js';
import { encodeVoiceNote } from './audio/voice-note.js';
import type { SpeechSynthesizer } from './models/index.js';
import type { OutgoingVoiceNote } from './platform/platform.js';
import { splitSentences, takeGist, textForSpeech } from './reply/index.js';
import type { IncomingTurn } from './turn.js';

export interface VoiceReplyOptions {
  /** The voice; a chain of voices picks one per language. */
  readonly synthesizer: SpeechSynthesizer;
  /** Speaking rate; the voice's own when absent. */
  readonly wordsPerMinute?: number;
  /** The most characters spoken: a voice note is for the gist, the text holds everything. */
  readonly maxCharacters: number;
}

/** Same mode back: a spoken question gets a spoken answer, unless the person chose otherwise. */
export function wantsVoiceReply(setting: VoiceRepliesSetting, source: NonNullable<IncomingTurn['textSource']>): boolean {
  return setting === 'always' || (setting === 'spoken' && source === 'voice');
}

/** Sentence ends that give a pause; a line without one is read on into the next without a breath. */
const ENDS_WITH_PAUSE = /[.!?;:,。！？；：，…]$/u;
const HAN = /\p{Script=Han}/gu;
/**
 * A Chinese character takes about as long to say as three Latin letters (measured with espeak-ng:
 * 600 characters were 71 s of English and 109 s of Chinese at 175 words a minute before this
 * weight), so the cap means about the same listening time in both.
 */
const HAN_WEIGHT = 3;

function spokenLength(text: string): number {
  return text.length + (HAN_WEIGHT - 1) * (text.match(HAN)?.length ?? 0);
}
const LETTER = /\p{L}/gu;

/**
 * The part of an answer worth hearing: the gist and the first paragraph (the gist's paragraph, or
 * the one after a gist that stands alone), cut at a sentence boundary within `maxCharacters`, with
 * `restInText` at the end whenever anything was left out, so a shortened voice note never sounds
 * like the whole answer.
 */
export function spokenPart(answer: string, maxCharacters: number, restInText: string, language: string): string {
  const paragraphs = answer
    .trim()
    .split(/\n\s*\n/u)
    .map((paragraph) => paragraph.trim())
    .filter(Boolean);
  const first = paragraphs[0] ?? '';
  const gistAlone = paragraphs.length > 1 && takeGist(first).rest === '';
  const chosen = gistAlone ? [first, paragraphs[1]!] : [first];
  let omitted = paragraphs.length > chosen.length;
  const pause = language === 'zh' ? '。' : '.';
  // Lines inside a paragraph (a list, a label read line by line) each get their own pause.
  const text = chosen
    .flatMap((paragraph) => paragraph.split('\n'))
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => (ENDS_WITH_PAUSE.test(line) ? line : `${line}${pause}`))
    .join(language === 'zh' ? '' : ' ');

  let spoken = '';
  for (const sentence of splitSentences(text, language)) {
    const next = spoken ? `${spoken}${language === 'zh' ? '' : ' '}${sentence.trim()}` : sentence.trim();
    if (spokenLength(next) > maxCharacters) {
      omitted = true;
      break;
    }
    spoken = next;
  }
  // One sentence longer than the cap: its words up to the cap, never a word cut in half.
  if (!spoken) {
    const words = text.slice(0, language === 'zh' ? Math.floor(maxCharacters / HAN_WEIGHT) : maxCharacters);
    const cut = language === 'zh' ? words.length : words.lastIndexOf(' ');
    spoken = words.slice(0, cut > 0 ? cut : words.length).trim();
    omitted = spoken.length < text.length;
  }
  return omitted ? `${spoken}${language === 'zh' ? '' : ' '}${restInText}` : spoken;
}

/**
 * The language to speak a text in: the reply's language, unless the text is mostly Chinese
 * characters (a Chinese label read out to someone whose replies are in English), or the reverse.
 */
export function speechLanguage(text: string, replyLanguage: string): string {
  const letters = text.match(LETTER)?.length ?? 0;
  if (letters === 0) return replyLanguage;
  const han = text.match(HAN)?.length ?? 0;
  if (han / letters > 0.3) return 'zh';
  return replyLanguage === 'zh' && han === 0 ? 'en' : replyLanguage;
}

/**
 * Makes the voice note for an answer: the spoken part, normalised for speech (numbers, units,
 * currency), synthesised and encoded as Ogg/Opus with its duration and waveform.
 */
export class VoiceReplies {
  constructor(private readonly options: VoiceReplyOptions) {}

  /** Which voice speaks, for the log and the bench (e.g. `piper:en_US-lessac-medium+espeak-ng`). */
  get voiceId(): string {
    return this.options.synthesizer.id;
  }

  /** Whether some voice speaks the language at all. */
  speaks(language: string): boolean {
    return this.options.synthesizer.speaks(language);
  }

  /**
   * `restInText`: the closing words in the language the note is spoken in. `cutOff`: the answer
   * itself stopped at the model's limit, so the note must end by saying so (in those words), even
   * when all of it is spoken.
   */
  async make(
    answer: string,
    replyLanguage: string,
    restInText: (language: string) => string,
    signal?: AbortSignal,
    cutOff?: (language: string) => string,
  ): Promise<OutgoingVoiceNote & { readonly language: string; readonly text: string }> {
    const language = speechLanguage(answer, replyLanguage);
    if (!cutOff) return this.speak(spokenPart(answer, this.options.maxCharacters, restInText(language), language), language, signal);
    const closing = cutOff(language);
    const spoken = spokenPart(answer, this.options.maxCharacters, closing, language);
    return this.speak(spoken.endsWith(closing) ? spoken : `${spoken}${language === 'zh' ? '' : ' '}${closing}`, language, signal);
  }

  /** All of `text` as a voice note (`say`), normalised for speech first. */
  async speak(text: string, language: string, signal?: AbortSignal): Promise<OutgoingVoiceNote & { readonly language: string; readonly text: string }> {
    const spoken = textForSpeech(text, language);
    const speech = await this.options.synthesizer.synthesize({
      text: spoken,
      language,
      ...(this.options.wordsPerMinute ? { wordsPerMinute: this.options.wordsPerMinute } : {}),
      ...(signal ? { signal } : {}),
    });
    const note = await encodeVoiceNote(speech.samples, speech.sampleRate, signal ? { signal } : {});
    return { ...note, language, text: spoken };
  }
}
