/** Rows as the rest of the program sees them. Times are epoch milliseconds. */

export interface UserKey {
  /** e.g. `telegram`, `discord`, `console`. */
  readonly platform: string;
  /** The platform's own user id, as a string. */
  readonly platformUserId: string;
}

export interface UserRecord extends UserKey {
  readonly id: number;
  readonly createdAt: number;
}

export type ReplyLength = 'short' | 'normal' | 'detailed';
/**
 * `auto`: the language the user writes in, else the platform's hint, else the default language.
 * Otherwise a code from the core's language table (`en`, `zh`): storage only checks its shape, so
 * adding a language needs no migration.
 */
export type LanguageSetting = string;

/** `edits`: show the answer growing in one message (edited at most once a second) before the final messages. */
export type StreamingSetting = 'off' | 'edits';

/** `on`: a voice question is answered with "You asked: …" first, so the user can tell it was heard right. */
export type VoiceEchoSetting = 'off' | 'on';

/**
 * Whether answers are also spoken, as a voice note after the text: `spoken` only when the person
 * asked by voice (the default: same mode back), `always`, or `off`.
 */
export type VoiceRepliesSetting = 'off' | 'always' | 'spoken';

export interface UserSettings {
  readonly replyLength: ReplyLength;
  readonly language: LanguageSetting;
  readonly streaming: StreamingSetting;
  readonly voiceEcho: VoiceEchoSetting;
  readonly voiceReplies: VoiceRepliesSetting;
}

export const DEFAULT_SETTINGS: UserSettings = { replyLength: 'normal', language: 'auto', streaming: 'off', voiceEcho: 'off', voiceReplies: 'spoken' };

export interface ConversationRecord {
  readonly id: number;
  readonly userId: number;
  /** The platform chat the conversation lives in (a DM, a group, a console session). */
  readonly chatId: string;
  readonly startedAt: number;
  /** Set when the user starts a new conversation; a closed conversation is never continued. */
  readonly closedAt: number | null;
}

/**
 * Where the question came from: typed text, a voice transcript (untrusted), or a message the user
 * forwarded from someone else (untrusted: someone else's words).
 */
export type QuestionSource = 'text' | 'voice' | 'forwarded';
export type TurnStatus = 'pending' | 'done' | 'failed';

export interface TurnRecord {
  readonly id: number;
  readonly conversationId: number;
  readonly userId: number;
  readonly createdAt: number;
  readonly question: string;
  readonly questionSource: QuestionSource;
  readonly answer: string | null;
  readonly status: TurnStatus;
  /** A short machine-readable reason for a failed turn, e.g. `model-failed`; never message text. */
  readonly failure: string | null;
  /** The platform's id of the user's incoming message, when it has one. */
  readonly incomingMessageId: string | null;
}

export interface NewMedia {
  readonly mediaType: string;
  readonly width: number;
  readonly height: number;
  /** The preprocessed image the model gets, never the original upload. */
  readonly data: Uint8Array;
  /**
   * What was seen in the photo when it arrived (its text, barcodes, quality), as the core's JSON;
   * derived from the photo, so it is kept and deleted with it.
   */
  readonly findings?: string | null;
}

export interface MediaRecord extends NewMedia {
  readonly findings: string | null;
  readonly id: number;
  readonly conversationId: number;
  readonly userId: number;
  readonly turnId: number;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** A media row as an export shows it: its size, never the image bytes themselves. */
export type MediaSummary = Omit<MediaRecord, 'data' | 'findings'> & { readonly bytes: number; readonly hasFindings: boolean };

export interface ConversationExport extends ConversationRecord {
  readonly turns: TurnRecord[];
  readonly media: MediaSummary[];
  /** How many of the assistant's sent messages are linked to this conversation's turns. */
  readonly deliveries: number;
}

/** Everything stored about one user, for a "what do you know about me" request. */
export interface UserExport {
  readonly user: UserRecord;
  readonly settings: UserSettings;
  /** False when the user never changed a setting and `settings` are the defaults. */
  readonly settingsStored: boolean;
  readonly conversations: ConversationExport[];
}

/** Rows deleted per table by a forget request. */
export interface ForgetResult {
  /**
   * Whether the deleted data is also gone from the database files. False while another connection
   * holds an older snapshot: the rows are deleted, and the copies in the write-ahead log are wiped
   * as soon as it lets go.
   */
  readonly wipedFromDisk: boolean;
  readonly users: number;
  readonly settings: number;
  readonly conversations: number;
  readonly turns: number;
  readonly media: number;
  readonly deliveries: number;
  /** Messages received but not yet answered. */
  readonly inbox: number;
}
