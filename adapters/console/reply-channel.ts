import type { ReplyChannel } from '../../core/index.js';

/** Wide enough for a terminal, short enough that a screen reader user can re-read one part. */
export const CONSOLE_PART_LENGTH = 2000;

export interface ConsoleStreams {
  readonly output: NodeJS.WritableStream;
  /** Where problems go; the output when absent. */
  readonly errors?: NodeJS.WritableStream;
  /** Notices (coaching, dropped photos) go with the problems, leaving the output to the answer. */
  readonly noticesToErrors?: boolean;
}

/** Each part on its own line; problems on standard error, so scripts can tell them apart. */
export function consoleReplyChannel(streams: ConsoleStreams, onProblem?: () => void): ReplyChannel {
  return {
    capabilities: { maxPartLength: CONSOLE_PART_LENGTH, replyToQuestion: false },
    async sendText(text, options) {
      if (options.kind === 'problem') onProblem?.();
      const aside = options.kind === 'problem' || (options.kind === 'notice' && streams.noticesToErrors === true);
      const stream = aside ? (streams.errors ?? streams.output) : streams.output;
      stream.write(`${text}\n`);
      return undefined;
    },
  };
}
