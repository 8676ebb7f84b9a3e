import type { ForgetResult, UserExport, UserSettings } from '../../storage/index.js';
import type { CommandName, CommandWithArgument } from '../commands/command-table.js';
import type { VoiceProblemKind } from '../problem-reason.js';
import type { MediaErrorDetails, MediaErrorKind } from '../media/index.js';
import type { UnsupportedContent } from '../turn.js';

export type { VoiceProblemKind } from '../problem-reason.js';

export interface DescribeCommandTexts {
  readonly description: string;
  /** The attached photo. */
  readonly imageOption: string;
  /** The optional question about it. */
  readonly questionOption: string;
  /** The same action on a message that carries a photo; a menu entry, so a few words. */
  readonly menuName: string;
}

/**
 * Every sentence a user can hear from the assistant itself (not from the model). One object per
 * language; adding a language is one file implementing this interface plus one entry in the
 * table in languages.ts. Written to be read aloud: plain sentences, no symbols a screen reader
 * would spell out.
 */
export interface Messages {
  /** Name of the language in itself, e.g. "English", "中文". */
  readonly languageName: string;
  /** `mediaRetentionHours`: how long photos are kept (MEDIA_RETENTION_HOURS). */
  readonly welcome: (mediaRetentionHours: number) => string;
  readonly help: string;
  readonly newConversation: string;
  /** `languageCodes`: the codes `/settings language` accepts, from the language table. */
  readonly settings: (current: UserSettings, languageCodes: readonly string[]) => string;
  readonly settingsUpdated: (current: UserSettings) => string;
  readonly settingsNotUnderstood: (argument: string, languageCodes: readonly string[]) => string;
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
  /** What to type as a command's argument, for menus that describe arguments (slash-command options). */
  readonly commandArgumentDescriptions: Readonly<Record<CommandWithArgument, string>>;
  /** The describe-a-photo command, where a platform lets a photo be attached to a command or a message menu. */
  readonly describeCommand: DescribeCommandTexts;
  readonly modelNotSetUp: string;
  readonly modelUnavailable: string;
  /** The model server answers, but does not have the model the settings name: trying again will not help. */
  readonly modelNotOnServer: string;
  readonly modelFailed: string;
  readonly modelFailedPartway: string;
  /** After an answer cut at the token limit: how to hear the rest (typing the word for "more"). */
  readonly answerCutOff: string;
  readonly modelTimedOut: string;
  readonly contextTooLong: string;
  readonly unexpectedError: string;
  /** Said in a group when the answer to a personal command went to the person privately. */
  readonly answeredPrivately: string;
  /** Said in a group when that private message could not be sent (the person never opened a chat with the bot). */
  readonly privateReplyUnreachable: string;
  /** What the model is asked when a photo comes without a question. */
  readonly defaultPhotoQuestion: string;
}

