import type { ForgetResult, UserExport, UserSettings } from '../../storage/index.js';
import type { CommandName, CommandWithArgument } from '../commands/command-table.js';
import type { VoiceProblemKind } from '../problem-reason.js';
import type { MediaErrorDetails, MediaErrorKind } from '../media/index.js';
import type { UnsupportedContent } from '../turn.js';
import type { Barcode } from '../perception/barcode-scanner.js';
import type { ColourName, ColourReading } from '../perception/colours.js';
import type { PhotoIntent } from '../perception/photo-intent.js';
import type { PhotoProblem } from '../perception/photo-quality.js';

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

/** What the assistant says about a photo it looked at without the vision model. */
export interface PerceptionTexts {
  /** Retake coaching, most important problem first: what is wrong and how to fix it, short. */
  readonly coaching: (problems: readonly PhotoProblem[]) => string;
  /** After the coaching, when nothing at all can be made out, instead of an answer. */
  readonly nothingRecognisable: string;
  /** No text in the photo; `problems` give the most likely reason. */
  readonly noTextFound: (problems: readonly PhotoProblem[]) => string;
  /** Put after a line the reader was not sure of, inside the verbatim text: short and spoken. */
  readonly uncertainMark: string;
  /** After a reading with unsure lines: which ones, and what helps. */
  readonly uncertainNote: (lines: number) => string;
  /** Before each photo's text when several were read: "Photo 2 of 3." */
  readonly photoHeading: (position: number, count: number) => string;
  /** One barcode said plainly: the product number, the web address as text, the network name. */
  readonly barcode: (barcode: Barcode) => string;
  /** `/read` or `/color` with no photo now and none earlier in the conversation. */
  readonly needPhoto: (intent: PhotoIntent) => string;
  /** The reader is not available or failed: nothing was read. */
  readonly readingFailed: string;
  /** The colours and light of a photo; `aboutLight` when the question was whether a light is on. */
  readonly colours: (reading: ColourReading, aboutLight: boolean) => string;
  readonly colourNames: Readonly<Record<ColourName, string>>;
  /** The photo could not be opened again to look at its colours. */
  readonly coloursFailed: string;
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
  /** `canSpeak`: this server can make voice replies; when not, the voice setting says so. */
  readonly settings: (current: UserSettings, languageCodes: readonly string[], canSpeak: boolean) => string;
  readonly settingsUpdated: (current: UserSettings, canSpeak: boolean) => string;
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
  readonly voiceReplies: VoiceReplyPhrases;
  readonly service: ServicePhrases;
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
  readonly perception: PerceptionTexts;
}

/** What voice replies need in words. */
export interface VoiceReplyPhrases {
  /** Spoken at the end of a voice reply that holds only the start of a long answer. */
  readonly restInText: string;
  /** The voice reply could not be made; the text answer already went out. */
  readonly failed: string;
  /** The platform or the person's privacy settings refuse voice messages from the bot. */
  readonly forbidden: string;
}

/** What the person hears when the assistant is shared by many: the line, the limits, a restart. */
export interface ServicePhrases {
  /** Said once when a turn waits longer than a few seconds; `position` 1 is next. */
  readonly placeInLine: (position: number, seconds: number) => string;
  /** The waiting line is full; nothing of the message was kept. */
  readonly busy: string;
  /** The assistant is restarting while the message waited; it is kept and answered after the restart. */
  readonly restarting: string;
  /** An allow-list is set and this person is not on it; `accountId` (platform:user) is what the owner adds. */
  readonly notAllowed: (accountId: string) => string;
  /** Too many questions in a minute; `seconds` until the next one is taken. */
  readonly rateLimited: (seconds: number) => string;
  /** Today's questions are used up; `limit` per day, `seconds` until they reset (local midnight). */
  readonly quotaReached: (limit: number, seconds: number) => string;
}

