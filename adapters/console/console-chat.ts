import { createInterface, type Interface } from 'node:readline';
import type { Inbox, Platform } from '../../core/index.js';
import { parseConsoleLine } from './console-line.js';
import { consoleReplyChannel } from './reply-channel.js';
import { CONSOLE_PLATFORM, consoleTurn, type ConsoleIdentity, type ConsoleLimits } from './console-turn.js';

export interface ConsoleChatOptions {
  readonly identity: ConsoleIdentity;
  readonly limits: ConsoleLimits;
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  readonly workingFolder: string;
  /** One line printed before the first prompt, e.g. what to set up. */
  readonly notice?: string;
}

export interface ConsoleChat extends Platform {
  /** Resolves when the person leaves (quit, Ctrl+D, Ctrl+C at the prompt). */
  readonly finished: Promise<void>;
}

const INTRODUCTION =
  'Seed assistant. Type a question, or the path of a photo followed by a question. To ask by voice, give the path of an audio file, after the photo if there is one. Send /help for commands. Type quit to leave.';

/**
 * The interactive console as a platform: one line in, the answer's parts out, one turn at a time.
 * Ctrl+C stops an answer in progress; at the prompt it leaves.
 */
export function createConsoleChat(options: ConsoleChatOptions): ConsoleChat {
  const { output } = options;
  let lines: Interface | undefined;
  let leave: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (leave = resolve));

  async function converse(inbox: Inbox, readline: Interface): Promise<void> {
    let current: AbortController | undefined;
    readline.on('SIGINT', () => (current ? current.abort() : readline.close()));
    output.write(`${INTRODUCTION}\n`);
    if (options.notice) output.write(`${options.notice}\n`);
    readline.setPrompt('You: ');
    readline.prompt();
    for await (const line of readline) {
      if (/^\s*(quit|exit)\s*$/i.test(line)) break;
      if (line.trim()) {
        current = new AbortController();
        const turn = consoleTurn(parseConsoleLine(line, options.workingFolder), options.identity, options.limits);
        await inbox.receive(turn, consoleReplyChannel({ output }), { signal: current.signal });
        if (current.signal.aborted) output.write('Stopped.\n');
        current = undefined;
        output.write('\n');
      }
      readline.prompt();
    }
    readline.close();
  }

  return {
    name: CONSOLE_PLATFORM,
    finished,
    async start(inbox) {
      lines = createInterface({ input: options.input, output, terminal: isTerminal(options.input) });
      void converse(inbox, lines).finally(leave);
    },
    async stop() {
      lines?.close();
      await finished;
    },
  };
}

function isTerminal(stream: NodeJS.ReadableStream): boolean {
  return 'isTTY' in stream && stream.isTTY === true;
}
