import type { IncomingTurn } from '../turn.js';
import type { Logger } from '../log.js';

/**
 * The seam between the core and a chat platform. An adapter translates the platform's messages
 * into `IncomingTurn`s and implements `ReplyChannel` for the place each one came from; the core's
 * one delivery routine (`TurnDelivery`) does everything else: the send loop, "typing", drafts,
 * fallbacks and recording which platform message carried which turn.
 */

/** What the platform allows, so the core's delivery rules fit it. */
export interface ChannelCapabilities {
  /** Longest text part, with a margin under the platform's real limit (Telegram 4096, Discord 2000). */
  readonly maxPartLength: number;
  /** How often the typing indicator is renewed: it fades after about 5 s on Telegram, 10 s on Discord. */
  readonly typingIntervalMs?: number;
  /** The first part answers the question as a platform reply, so in a group it is clear whom it is for. */
  readonly replyToQuestion: boolean;
  /**
   * Others read along (a group, a server channel): answers that concern only the person go to
   * `privateFallback()` instead.
   */
  readonly shared?: boolean;
}

/** A message the platform accepted; its id lets a later reply to it continue that conversation. */
export interface SentMessage {
  readonly id: string;
}

/** What a part of the reply is, for channels that show them differently (the console's standard error). */
export type PartKind = 'answer' | 'notice' | 'reply' | 'problem';

export interface SendTextOptions {
  /** Send as a platform reply to the incoming message. */
  readonly asReply: boolean;
  readonly kind: PartKind;
}

/**
 * The opt-in streaming view: one message edited as the answer grows. Screen readers announce edits
 * poorly, so the routine removes it once the answer has arrived as new messages.
 */
export interface DraftCapability {
  create(text: string): Promise<SentMessage>;
  edit(message: SentMessage, text: string): Promise<void>;
  remove(message: SentMessage): Promise<void>;
}

/** A spoken reply: OGG/Opus, sent as the platform's own voice message, never as a file. */
export interface OutgoingVoiceNote {
  readonly data: Uint8Array;
  readonly durationSeconds: number;
  /** Up to 256 loudness samples from 0 to 255, for platforms that draw a waveform. */
  readonly waveform?: Uint8Array;
}

/** Where the reply to one incoming message goes: a chat, a channel, an interaction, a terminal. */
export interface ReplyChannel {
  readonly capabilities: ChannelCapabilities;
  sendText(text: string, options: SendTextOptions): Promise<SentMessage | undefined>;
  /** Shows the typing indicator once; the routine repeats it while the assistant works. */
  showTyping?(): Promise<void>;
  /** Present where sent messages can be edited and deleted. */
  readonly drafts?: DraftCapability;
  /** Present where the platform has voice messages. */
  sendVoice?(note: OutgoingVoiceNote): Promise<SentMessage | undefined>;
  /**
   * A private place to answer the same person: for answers that concern only them when others
   * read along, and where the platform refuses a post here (no permission).
   */
  privateFallback?(): ReplyChannel;
}

/**
 * What an adapter reports when the platform refused something, so the routine reacts the same
 * way on every platform:
 * - `forbidden`: the bot may not post here; the routine moves to the private fallback if there is one.
 * - `recipient-gone`: the person blocked the bot or left; the rest of the answer is dropped.
 * - `unchanged`: an edit that would change nothing; ignored.
 */
export type PlatformErrorKind = 'forbidden' | 'recipient-gone' | 'unchanged';

export class PlatformError extends Error {
  override readonly name = 'PlatformError';
  constructor(
    readonly kind: PlatformErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ReceiveOptions {
  readonly signal?: AbortSignal;
  /** The answer is also spoken, whatever the person's voice setting: they asked for it this once (`--speak`). */
  readonly alwaysSpeak?: boolean;
}

/** What the core offers an adapter: hand over a turn and where its reply goes. */
export interface Inbox {
  /** Runs the turn and delivers its reply. Never rejects; resolves once the reply is out. */
  receive(turn: IncomingTurn, channel: ReplyChannel, options?: ReceiveOptions): Promise<void>;
  /** Resolves once every turn received so far has been delivered. */
  idle(): Promise<void>;
  /** Where deliveries wait, durably, until they are answered. */
  readonly journal: DeliveryJournal;
}

/**
 * At-least-once delivery: an adapter keeps each delivery here before it tells the platform the
 * delivery arrived (before Telegram's next getUpdates offset, before a webhook's 200), and hands
 * the unanswered ones to the inbox again when it starts. A delivery leaves the journal when its
 * answer is recorded, or when the adapter drops it (not addressed to the bot); the idempotency
 * record of answered deliveries keeps a replay from answering twice.
 */
export interface DeliveryJournal {
  keep(delivery: KeptDelivery): void;
  drop(platform: string, eventId: string): void;
  /**
   * The platform's unanswered deliveries, oldest first, each counted as one more attempt; one
   * that was tried too often (it keeps killing the process) is dropped and logged instead.
   */
  replay(platform: string): KeptDelivery[];
}

export interface KeptDelivery {
  readonly platform: string;
  /** The id the turn will carry as `eventId` (or, for an album, one of its `inboxIds`). */
  readonly eventId: string;
  /** The platform user it came from, so forget-me deletes it too. */
  readonly userId: string;
  /** The platform's own payload, enough to handle the delivery again. */
  readonly payload: string;
}

/** The one lifecycle every platform has. */
export interface Platform {
  readonly name: string;
  /** Connects and passes each incoming turn to the inbox; resolves once it is receiving. */
  start(inbox: Inbox): Promise<void>;
  /** Stops receiving, lets the turns in progress finish (`inbox.idle()`), then disconnects. */
  stop(): Promise<void>;
  /** Whether it is connected and receiving now, for the health endpoint; absent means unknown. */
  isConnected?(): boolean;
}

/**
 * A start-up failure the person running the bot can fix, in one line: a rejected token, an
 * unreachable API. `exitCode` 2 for configuration, 1 for everything else.
 */
export class PlatformStartError extends Error {
  override readonly name = 'PlatformStartError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What the wiring gives every platform it creates. */
export interface PlatformContext {
  readonly logger: Logger;
  /** Largest attachment downloaded (the image and audio limits decide the rest once it is here). */
  readonly downloadLimitBytes: number;
}

/** Makes a platform once the wiring has what every platform gets; adapters return one from their settings. */
export type PlatformMaker = (context: PlatformContext) => Platform;
