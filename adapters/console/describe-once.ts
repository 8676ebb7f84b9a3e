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
  readonly output: NodeJS.WritableStream;
  readonly errors: NodeJS.WritableStream;
  readonly signal?: AbortSignal;
}

/**
 * `describe photo.jpg "question"`: prints the answer and returns the exit code. The answer goes to
 * standard output and problems to standard error, so scripts can tell them apart.
 */
export async function describeOnce(options: DescribeOnceOptions): Promise<number> {
  const line = { imagePath: options.imagePath, text: options.question, ...(options.voicePath ? { audioPath: options.voicePath } : {}) };
  let failed = false;
  const channel = consoleReplyChannel({ output: options.output, errors: options.errors }, () => (failed = true));
  await options.inbox.receive(consoleTurn(line, options.identity, options.limits), channel, options.signal ? { signal: options.signal } : {});
  return failed ? 1 : 0;
}
