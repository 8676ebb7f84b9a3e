import { writeFile } from 'node:fs/promises';
import type { ReplyChannel } from '../../core/index.js';

/** Wide enough for a terminal, short enough that a screen reader user can re-read one part. */
export const CONSOLE_PART_LENGTH = 2000;

export interface ConsoleStreams {
  readonly output: NodeJS.WritableStream;
  /** Where problems go; the output when absent. */
  readonly errors?: NodeJS.WritableStream;
  /** Notices (coaching, dropped photos) go with the problems, leaving the output to the answer. */
  readonly noticesToErrors?: boolean;
  /** Where a spoken answer is written as an Ogg/Opus voice note (`--speak FILE`); no voice without it. */
  readonly voiceFile?: string;
}

/** Each part on its own line; problems on standard error, so scripts can tell them apart. */
export function consoleReplyChannel(streams: ConsoleStreams, onProblem?: () => void): ReplyChannel {
  const { voiceFile } = streams;
  return {
    capabilities: { maxPartLength: CONSOLE_PART_LENGTH, replyToQuestion: false },
    ...(voiceFile
      ? {
          async sendVoice(note) {
            await writeFile(voiceFile, note.data);
            return undefined;
          },
        }
      : {}),
    async sendText(text, options) {
      if (options.kind === 'problem') onProblem?.();
      const aside = options.kind === 'problem' || (options.kind === 'notice' && streams.noticesToErrors === true);
      const stream = aside ? (streams.errors ?? streams.output) : streams.output;
      stream.write(`${text}\n`);
      return undefined;
    },
  };
}
