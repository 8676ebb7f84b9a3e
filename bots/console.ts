import { describeOnce, runConsoleChat } from '../adapters/console/index.js';
import { consoleIdentity, type App } from './app.js';

export async function runConsole(app: App): Promise<number> {
  await runConsoleChat({
    assistant: app.assistant,
    identity: consoleIdentity(),
    imageLimits: app.imageLimits,
    input: process.stdin,
    output: process.stdout,
    workingFolder: process.cwd(),
    ...(app.setupHint ? { notice: app.setupHint } : {}),
  });
  return 0;
}

export async function runDescribe(app: App, imagePath: string, question: string): Promise<number> {
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  return describeOnce({
    assistant: app.assistant,
    identity: consoleIdentity(),
    imageLimits: app.imageLimits,
    imagePath,
    question,
    output: process.stdout,
    errors: process.stderr,
    signal: stop.signal,
  });
}
