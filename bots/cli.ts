/**
 * The command line behind `npm start`: the console (until platform bots exist), or a one-shot
 * command: `npm start -- describe PHOTO ["QUESTION"]`. Returns the exit code.
 */
import { resolve } from 'node:path';
import { ConfigError, type VisionLanguageModel } from '../core/index.js';
import { startApp, type App } from './app.js';
import { runConsole, runDescribe } from './console.js';

const USAGE = 'Usage: npm start, or npm start -- describe PHOTO "QUESTION"';

export async function runCli(argv: readonly string[], overrides: { model?: VisionLanguageModel } = {}): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command !== undefined && command !== 'describe') {
    process.stderr.write(`Unknown command "${command}". ${USAGE}\n`);
    return 2;
  }
  if (command === 'describe' && !rest[0]) {
    process.stderr.write(`describe needs the path of a photo. ${USAGE}\n`);
    return 2;
  }

  let app: App;
  try {
    app = await startApp({ defaultLogLevel: 'error', ...overrides });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  try {
    if (command === 'describe') {
      if (app.setupHint) {
        process.stderr.write(`${app.setupHint}\n`);
        return 3;
      }
      return await runDescribe(app, resolve(rest[0]!), rest.slice(1).join(' '));
    }
    return await runConsole(app);
  } finally {
    app.close();
  }
}
