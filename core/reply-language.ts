import type { LanguageSetting } from '../storage/index.js';
import { messagesFor, resolveLanguage, type LanguageCode, type Messages } from './i18n/index.js';

/**
 * The language of one turn's reply, decided in one place: the user's setting, else the language
 * of what they said (the language a voice note was heard in) or wrote, else the platform's hint.
 */
export class ReplyLanguage {
  private spoken: string | undefined;

  constructor(
    private readonly setting: LanguageSetting,
    private readonly writtenText: string | undefined,
    private readonly platformHint: string | undefined,
  ) {}

  /** The voice question was heard in this language (ISO 639-1): it decides over the typed caption and the hint. */
  heard(language: string): void {
    this.spoken = language;
  }

  /** The language Whisper heard, when the question was spoken. */
  get spokenLanguage(): string | undefined {
    return this.spoken;
  }

  get code(): LanguageCode {
    return this.spoken === undefined
      ? resolveLanguage(this.setting, this.writtenText, this.platformHint)
      : resolveLanguage(this.setting, undefined, this.spoken);
  }

  get messages(): Messages {
    return messagesFor(this.code);
  }

  /** The same turn after the user changed their language setting (the confirmation is in the new one). */
  withSetting(setting: LanguageSetting): ReplyLanguage {
    return new ReplyLanguage(setting, undefined, this.platformHint);
  }
}
