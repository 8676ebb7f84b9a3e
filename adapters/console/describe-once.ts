import type { Assistant } from '../../core/index.js';
import { CONSOLE_PART_LENGTH, consoleTurn, type ConsoleIdentity, type ConsoleLimits } from './console-turn.js';

export interface DescribeOnceOptions {
  readonly assistant: Assistant;
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
  const turn = consoleTurn(line, options.identity, options.limits);
  let failed = false;
  for await (const part of options.assistant.handle(turn, {
    maxPartLength: CONSOLE_PART_LENGTH,
    ...(options.signal ? { signal: options.signal } : {}),
  })) {
    if (part.type === 'problem') {
      failed = true;
      options.errors.write(`${part.text}\n`);
    } else {
      options.output.write(`${part.text}\n`);
    }
  }
  return failed ? 1 : 0;
}
