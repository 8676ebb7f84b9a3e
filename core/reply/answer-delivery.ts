import { toSpeechFriendly } from './speech-friendly.js';
import { splitForDelivery, takeGist } from './split.js';

export interface AnswerChunk {
  readonly role: 'gist' | 'detail';
  readonly text: string;
}

/**
 * Turns the model's streamed text into the messages a screen-reader user gets: the gist (first
 * sentence) as soon as it is complete, then the rest split under the platform's limit once the
 * model has finished. Sending the rest as it streams would mean many small messages, each
 * announced separately.
 */
export class AnswerDelivery {
  private raw = '';
  private gistSent: string | undefined;

  constructor(private readonly maxPartLength: number) {}

  /** Adds streamed text; returns the gist once it is known, exactly once. */
  push(delta: string): AnswerChunk[] {
    this.raw += delta;
    if (this.gistSent !== undefined) return [];
    const { gist, rest } = takeGist(toSpeechFriendly(this.raw));
    // Only a sentence followed by more text is known to be complete.
    if (!gist || !rest) return [];
    return this.sendGist(gist);
  }

  /** Adds streamed text without sending anything early: for users who watch drafts instead. */
  append(delta: string): void {
    this.raw += delta;
  }

  /** The answer so far, cut to fit one message, for a draft. */
  draft(): string {
    const text = this.text;
    if (text.length <= this.maxPartLength) return text;
    const cut = text.lastIndexOf(' ', this.maxPartLength - 1);
    return `${text.slice(0, cut > 0 ? cut : this.maxPartLength - 1)}…`;
  }

  /** The remaining messages after the model finished. */
  finish(): AnswerChunk[] {
    const { gist, rest } = takeGist(toSpeechFriendly(this.raw));
    const chunks: AnswerChunk[] = this.gistSent === undefined && gist ? this.sendGist(gist) : [];
    if (rest) {
      chunks.push(...splitForDelivery(rest, this.maxPartLength).map((text) => ({ role: 'detail' as const, text })));
    }
    return chunks;
  }

  /** The speech-friendly text of everything received so far. */
  get text(): string {
    return toSpeechFriendly(this.raw);
  }

  /** The part the user has actually been sent, for recording a turn that failed partway. */
  get deliveredText(): string {
    return this.gistSent ?? '';
  }

  private sendGist(gist: string): AnswerChunk[] {
    this.gistSent = gist;
    // A first "sentence" can be longer than a message (a list read out without full stops).
    return splitForDelivery(gist, this.maxPartLength).map((text) => ({ role: 'gist' as const, text }));
  }
}
