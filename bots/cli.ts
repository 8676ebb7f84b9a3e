/**
 * The command line behind `npm start`. Without a command it runs every bot whose token is set,
 * else the console; `console` opens the console anyway; `describe PHOTO ["QUESTION"]` answers
 * once. Returns the exit code.
 */
import { resolve } from 'node:path';
import { DiscordjsError, DiscordjsErrorCodes } from 'discord.js';
import { GrammyError, HttpError } from 'grammy';
import { ConfigError, loadConfig, type Config, type VisionLanguageModel } from '../core/index.js';
import { startApp, type App } from './app.js';
import { runConsole, runDescribe } from './console.js';
import { runDiscord } from './discord.js';
import { runTelegram } from './telegram.js';

const USAGE = 'Usage: npm start, npm start -- console, or npm start -- describe PHOTO "QUESTION"';
const COMMANDS = new Set(['console', 'describe']);

export async function runCli(argv: readonly string[], overrides: { model?: VisionLanguageModel } = {}): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command !== undefined && !COMMANDS.has(command)) {
    process.stderr.write(`Unknown command "${command}". ${USAGE}\n`);
    return 2;
  }
  if (command === 'describe' && !rest[0]) {
    process.stderr.write(`describe needs the path of a photo. ${USAGE}\n`);
    return 2;
  }

  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const tokens: BotTokens = command === undefined ? { telegram: config.TELEGRAM_BOT_TOKEN, discord: config.DISCORD_BOT_TOKEN } : {};
  const runsBots = tokens.telegram !== undefined || tokens.discord !== undefined;
  // The console keeps its screen for answers; a bot is a service, whose log is its screen.
  const app = await startApp({ config, defaultLogLevel: runsBots ? 'info' : 'error', ...overrides });
  try {
    if (command === 'describe') {
      if (app.setupHint) {
        process.stderr.write(`${app.setupHint}\n`);
        return 3;
      }
      return await runDescribe(app, resolve(rest[0]!), rest.slice(1).join(' '));
    }
    if (runsBots) return await runBots(app, tokens);
    return await runConsole(app);
  } finally {
    app.close();
  }
}

interface BotTokens {
  readonly telegram?: string | undefined;
  readonly discord?: string | undefined;
}

/** Runs every bot whose token is set, in this one process, until SIGINT or SIGTERM. */
async function runBots(app: App, tokens: BotTokens): Promise<number> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // One bot failing to start stops the other too, so the process never runs half-configured.
    const running = [
      tokens.telegram ? runTelegram(app, tokens.telegram, stop.signal) : undefined,
      tokens.discord ? runDiscord(app, tokens.discord, stop.signal) : undefined,
    ].filter((bot) => bot !== undefined);
    const results = await Promise.allSettled(
      running.map((bot) =>
        bot.catch((error: unknown) => {
          stop.abort();
          throw error;
        }),
      ),
    );
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
    return 0;
  } catch (error) {
    if (error instanceof GrammyError && error.error_code === 401) {
      process.stderr.write('Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized). Copy the token again from @BotFather.\n');
      return 2;
    }
    if (error instanceof DiscordjsError && error.code === DiscordjsErrorCodes.TokenInvalid) {
      process.stderr.write('Discord rejected DISCORD_BOT_TOKEN. Copy the token again from the Discord developer portal.\n');
      return 2;
    }
    if (error instanceof HttpError) {
      process.stderr.write(`Could not reach the Telegram Bot API at ${app.config.TELEGRAM_API_ROOT}: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
