import { createInterface } from 'node:readline';
import type { Assistant } from '../../core/index.js';
import { parseConsoleLine } from './console-line.js';
import { CONSOLE_PART_LENGTH, consoleTurn, type ConsoleIdentity, type ConsoleLimits } from './console-turn.js';

export interface ConsoleChatOptions {
  readonly assistant: Assistant;
  readonly identity: ConsoleIdentity;
  readonly limits: ConsoleLimits;
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  readonly workingFolder: string;
  /** One line printed before the first prompt, e.g. what to set up. */
  readonly notice?: string;
}

const INTRODUCTION =
  'Seed assistant. Type a question, or the path of a photo followed by a question. To ask by voice, give the path of an audio file, after the photo if there is one. Send /help for commands. Type quit to leave.';

/**
 * The interactive console: one line in, the answer's parts out, one turn at a time. Ctrl+C stops
 * an answer in progress; at the prompt it leaves.
 */
export async function runConsoleChat(options: ConsoleChatOptions): Promise<void> {
  const { output } = options;
  const lines = createInterface({ input: options.input, output, terminal: isTerminal(options.input) });
  let current: AbortController | undefined;
  lines.on('SIGINT', () => (current ? current.abort() : lines.close()));

  output.write(`${INTRODUCTION}\n`);
  if (options.notice) output.write(`${options.notice}\n`);
  lines.setPrompt('You: ');
  lines.prompt();
  for await (const line of lines) {
    if (/^\s*(quit|exit)\s*$/i.test(line)) break;
    if (line.trim()) {
      current = new AbortController();
      const turn = consoleTurn(parseConsoleLine(line, options.workingFolder), options.identity, options.limits);
      for await (const part of options.assistant.handle(turn, { maxPartLength: CONSOLE_PART_LENGTH, signal: current.signal })) {
        output.write(`${part.text}\n`);
      }
      if (current.signal.aborted) output.write('Stopped.\n');
      current = undefined;
      output.write('\n');
    }
    lines.prompt();
  }
  lines.close();
}

function isTerminal(stream: NodeJS.ReadableStream): boolean {
  return 'isTTY' in stream && stream.isTTY === true;
}
