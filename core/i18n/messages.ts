import type { ForgetResult, UserExport, UserSettings } from '../../storage/index.js';
import type { CommandName } from '../commands/index.js';
import type { AudioErrorKind } from '../audio/index.js';
import type { MediaErrorDetails, MediaErrorKind } from '../media/index.js';
import type { UnsupportedContent } from '../turn.js';

/** `not-found`: a path typed in the console names no audio file. */
export type VoiceProblemKind = AudioErrorKind | 'download-failed' | 'not-found';

/**
 * Every sentence a user can hear from the assistant itself (not from the model). One object per
 * language; adding a language is one file implementing this interface plus one line in index.ts.
 * Written to be read aloud: plain sentences, no symbols a screen reader would spell out.
 */
export interface Messages {
  /** Name of the language in itself, e.g. "English", "中文". */
  readonly languageName: string;
  readonly welcome: string;
  readonly help: string;
  readonly newConversation: string;
  readonly settings: (current: UserSettings) => string;
  readonly settingsUpdated: (current: UserSettings) => string;
  readonly settingsNotUnderstood: (argument: string) => string;
  readonly unknownCommand: (name: string) => string;
  readonly myData: (data: UserExport) => string;
  readonly noDataStored: string;
  readonly forgotten: (result: ForgetResult) => string;
  readonly nothingToForget: string;
  readonly emptyTurn: string;
  /** `position` is 1-based, `count` is how many images came with the message. */
  readonly imageProblem: (kind: MediaErrorKind, position: number, count: number, details: MediaErrorDetails) => string;
  readonly tooManyImages: (used: number, sent: number) => string;
  /** No speech model on this server: the user is told to type instead. */
  readonly voiceNotSetUp: string;
  readonly voiceProblem: (kind: VoiceProblemKind, details: Readonly<Record<string, string | number>>) => string;
  readonly couldNotHear: string;
  readonly transcriptionFailed: string;
  /** The opt-in echo of a transcript before its answer. */
  readonly heardAs: (transcript: string) => string;
  readonly unsupportedContent: (kind: UnsupportedContent) => string;
  /** One short line per command, for the platform's command menu. */
  readonly commandDescriptions: Readonly<Record<CommandName, string>>;
  readonly modelNotSetUp: string;
  readonly modelUnavailable: string;
  readonly modelFailed: string;
  readonly modelFailedPartway: string;
  readonly modelTimedOut: string;
  readonly contextTooLong: string;
  readonly unexpectedError: string;
  /** What the model is asked when a photo comes without a question. */
  readonly defaultPhotoQuestion: string;
}

