import type { Inbox, IncomingTurn, Platform, ReplyChannel } from '../../core/index.js';

/**
 * The smallest complete platform, and the one to copy when adding a real one. A platform is three
 * things: inbound translation (its message → the core's `IncomingTurn`), a `ReplyChannel` for the
 * place a message came from, and a start/stop lifecycle. Everything else (the send loop, splitting,
 * typing, drafts, remembering which message carried which answer, skipping a redelivery) is the
 * core's `TurnDelivery`. Here "the network" is a method the test calls and a list of sent texts.
 */

/** What a person posts, in this platform's own shape (a real one would get it from its API). */
export interface PostedMessage {
  /** The platform's id of the message: posting the same id again is a redelivery. */
  readonly id: string;
  readonly userId: string;
  readonly chatId: string;
  readonly text?: string;
  readonly attachments?: readonly PostedAttachment[];
  /** The id of the message this one replies to, when the person used the reply feature. */
  readonly replyToId?: string;
}

export type PostedAttachment =
  | { readonly kind: 'photo'; readonly bytes: Uint8Array }
  | { readonly kind: 'voice'; readonly bytes: Uint8Array; readonly seconds: number }
  /** Any other file (a PDF, a spreadsheet): the assistant cannot take it. */
  | { readonly kind: 'document'; readonly bytes: Uint8Array };

/** A message the bot sent. */
export interface DeliveredMessage {
  readonly id: string;
  readonly chatId: string;
  readonly text: string;
}

export const IN_MEMORY_PLATFORM = 'in-memory';

export class InMemoryPlatform implements Platform {
  readonly name = IN_MEMORY_PLATFORM;
  readonly sent: DeliveredMessage[] = [];
  private inbox: Inbox | undefined;
  private sentCount = 0;

  /** `maxPartLength`: the longest message this platform takes; short, so splitting shows. */
  constructor(private readonly maxPartLength = 1000) {}

  async start(inbox: Inbox): Promise<void> {
    this.inbox = inbox;
  }

  async stop(): Promise<void> {
    const inbox = this.inbox;
    this.inbox = undefined;
    await inbox?.idle();
  }

  /** A person posts a message; resolves once the bot's answer has been sent. */
  post(message: PostedMessage): Promise<void> {
    if (!this.inbox) throw new Error('The in-memory platform is not started.');
    return this.inbox.receive(toIncomingTurn(message), this.replyChannel(message));
  }

  private replyChannel(question: PostedMessage): ReplyChannel {
    return {
      // Chats here have two members, so an answer need not point at its question (`asReply`).
      capabilities: { maxPartLength: this.maxPartLength, replyToQuestion: false },
      sendText: async (text) => {
        this.sentCount += 1;
        const message: DeliveredMessage = { id: `sent-${this.sentCount}`, chatId: question.chatId, text };
        this.sent.push(message);
        // The id returned is what a later `replyToId` names: the core records it with the turn.
        return { id: message.id };
      },
    };
  }
}

/** Inbound translation only: what to answer is the core's business. */
function toIncomingTurn(message: PostedMessage): IncomingTurn {
  const attachments = message.attachments ?? [];
  const images = attachments.flatMap((attachment) =>
    attachment.kind === 'photo' ? [{ fetch: async () => attachment.bytes, mediaType: 'image/jpeg' }] : [],
  );
  const audio = attachments.flatMap((attachment) =>
    attachment.kind === 'voice' ? [{ fetch: async () => attachment.bytes, mediaType: 'audio/ogg', durationSeconds: attachment.seconds }] : [],
  );
  // A file that is neither photo nor voice note is named to the person rather than dropped in silence.
  const documents = attachments.some((attachment) => attachment.kind === 'document');
  return {
    platform: IN_MEMORY_PLATFORM,
    userId: message.userId,
    chatId: message.chatId,
    messageId: message.id,
    eventId: message.id,
    text: message.text ?? '',
    ...(images.length > 0 ? { images } : {}),
    ...(audio.length > 0 ? { audio } : {}),
    ...(documents && images.length === 0 && audio.length === 0 ? { unsupportedContent: 'document' as const } : {}),
    ...(message.replyToId ? { replyTo: { messageId: message.replyToId } } : {}),
  };
}
