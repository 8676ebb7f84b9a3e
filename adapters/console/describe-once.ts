import { randomUUID } from 'node:crypto';
import type { Inbox } from '../../core/index.js';
import { consoleReplyChannel } from './reply-channel.js';
import { consoleTurn, type ConsoleIdentity, type ConsoleLimits } from './console-turn.js';

export interface DescribeOnceOptions {
  readonly inbox: Inbox;
  readonly identity: ConsoleIdentity;
  readonly limits: ConsoleLimits;
  readonly imagePath: string;
  readonly question: string;
  /** A voice note whose words are the question (`--voice NOTE.ogg`). */
  readonly voicePath?: string;
  /** Where the spoken answer is written (`--speak FILE`): the answer is spoken whatever the voice setting. */
  readonly speakPath?: string;
  readonly output: NodeJS.WritableStream;
  readonly errors: NodeJS.WritableStream;
  /**
   * Notes about the input (retake coaching) go to standard error too, so that standard output is
   * the reading alone (`read PHOTO`).
   */
  readonly noticesToErrors?: boolean;
  readonly signal?: AbortSignal;
  /** Called with the one-shot's own identity once it is answered, so its conversation can be closed. */
  readonly endConversation?: (identity: ConsoleIdentity) => void;
}

/**
 * `describe photo.jpg "question"`: prints the answer and returns the exit code. The answer goes to
 * standard output and problems to standard error, so scripts can tell them apart. Each one-shot is
 * its own conversation, in a chat of its own: no earlier question or answer goes with its photo.
 */
export async function describeOnce(options: DescribeOnceOptions): Promise<number> {
  const line = { imagePath: options.imagePath, text: options.question, ...(options.voicePath ? { audioPath: options.voicePath } : {}) };
  let failed = false;
  const channel = consoleReplyChannel(
    {
      output: options.output,
      errors: options.errors,
      noticesToErrors: options.noticesToErrors === true,
      ...(options.speakPath ? { voiceFile: options.speakPath } : {}),
    },
    () => (failed = true),
  );
  const identity: ConsoleIdentity = { userId: options.identity.userId, chatId: `${options.identity.chatId}-once-${randomUUID()}` };
  await options.inbox.receive(consoleTurn(line, identity, options.limits), channel, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.speakPath ? { alwaysSpeak: true } : {}),
  });
  options.endConversation?.(identity);
  return failed ? 1 : 0;
}
