import type { OutgoingVoiceNote } from './platform/platform.js';
import type { ProblemReason } from './problem-reason.js';

export type { FailureReason, ProblemReason } from './problem-reason.js';

/**
 * The one normalised incoming message every adapter produces. The core never reads a platform's
 * raw payload; adapters never decide what to answer.
 */
export interface IncomingTurn {
  /** e.g. `telegram`, `discord`, `console`. */
  readonly platform: string;
  /** The platform's user id. Memory is per user, also inside group chats. */
  readonly userId: string;
  /** The platform chat (DM, group, channel, console session) the turn arrived in. */
  readonly chatId: string;
  /** The platform's id of this message, if it has one: lets replies to it be follow-ups. */
  readonly messageId?: string;
  /**
   * The platform's id of this delivery (a Telegram update id). A delivery already answered is
   * skipped, so a redelivery after a restart or a webhook retry gets no second answer.
   */
  readonly eventId?: string;
  /**
   * The journal entries this turn answers when they differ from `eventId`: the updates of an
   * album answered as one turn.
   */
  readonly inboxIds?: readonly string[];
  readonly text?: string;
  /**
   * `voice` when the text is a transcript of a voice note; `forwarded` when the message (its text,
   * caption or voice note) was forwarded from someone else. Only typed text can be a command; the
   * others are untrusted.
   */
  readonly textSource?: 'text' | 'voice' | 'forwarded';
  /** Set by adapters with native commands (slash commands); otherwise parsed from typed text. */
  readonly command?: { readonly name: string; readonly argument: string };
  readonly images?: readonly IncomingImage[];
  /** Voice notes and audio files. */
  readonly audio?: readonly IncomingAudio[];
  /** Something the assistant cannot take (a sticker, a location): the user is told what it can take. */
  readonly unsupportedContent?: UnsupportedContent;
  /** The message this one replies to, when the user used the platform's reply feature. */
  readonly replyTo?: { readonly messageId: string };
  /** The platform's idea of the user's language (e.g. Telegram `language_code`). */
  readonly languageHint?: string;
}

/** An image attachment whose bytes are fetched only when the core needs them (platform auth stays in the adapter). */
export interface IncomingImage {
  fetch(): Promise<Uint8Array>;
  /** What the platform says the type is; the core checks the bytes anyway. */
  readonly mediaType?: string;
  /** Alt text supplied by the sender. */
  readonly description?: string;
}

export interface IncomingAudio {
  fetch(): Promise<Uint8Array>;
  readonly mediaType?: string;
  readonly durationSeconds?: number;
}

export type UnsupportedContent = 'sticker' | 'location' | 'poll' | 'video' | 'contact' | 'document' | 'other';

export interface TurnOptions {
  /** Longest message the platform takes; parts are split below it. */
  readonly maxPartLength: number;
  /** Cancels the turn (the adapter is shutting down, the user went away). */
  readonly signal?: AbortSignal;
  /** The platform can edit a sent message: users who opted in get `draft` parts while the model writes. */
  readonly supportsDrafts?: boolean;
  /** The platform has voice messages: users who want them get a `voice` part after the text. */
  readonly supportsVoice?: boolean;
  /** Speak the answer whatever the person's voice setting (they asked for it this once). */
  readonly alwaysSpeak?: boolean;
}

/**
 * What the assistant says, as a stream of parts an adapter sends as they come.
 * - `answer`: the model's answer; `gist` is the first sentence, sent on its own first.
 * - `notice`: a short note about what the assistant did with the input (a dropped photo).
 * - `reply`: the assistant's own text, e.g. a command's result.
 * - `problem`: a kind message that something failed and what to try.
 * - `draft`: the answer so far, for users who opted in to streaming: show it by editing one message
 *   (at most one draft a second); the final answer still follows as new messages.
 * - `voice`: the answer spoken, after its text, sent as the platform's voice message; `refused` is
 *   what to tell the person in text when the platform will not take a voice message from the bot.
 */
export type ReplyPart =
  | { readonly type: 'draft'; readonly text: string; readonly turnId: number }
  | { readonly type: 'answer'; readonly role: 'gist' | 'detail'; readonly text: string; readonly turnId: number }
  | { readonly type: 'notice'; readonly text: string }
  | {
      readonly type: 'reply';
      readonly text: string;
      /**
       * The answer concerns only the person (their data, their settings): in a group it goes to
       * them privately, and the group hears `inGroup`, or `unreachable` when that is not possible.
       */
      readonly privately?: { readonly inGroup: string; readonly unreachable: string };
    }
  | { readonly type: 'problem'; readonly text: string; readonly reason: ProblemReason; readonly turnId?: number }
  | {
      readonly type: 'voice';
      readonly note: OutgoingVoiceNote;
      /** The words spoken, as the voice was given them. */
      readonly text: string;
      readonly turnId: number;
      readonly refused: string;
      readonly failed: string;
    };
