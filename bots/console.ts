import { CONSOLE_PLATFORM, createConsoleChat, describeOnce, transcribeOnce, type ConsoleLimits } from '../adapters/console/index.js';
import { TurnDelivery } from '../core/index.js';
import { consoleIdentity, type App } from './app.js';

export async function runConsole(app: App): Promise<number> {
  const chat = createConsoleChat({
    identity: consoleIdentity(),
    limits: consoleLimits(app),
    input: process.stdin,
    output: process.stdout,
    workingFolder: process.cwd(),
    ...(notice(app) ? { notice: notice(app)! } : {}),
  });
  await chat.start(new TurnDelivery({ assistant: app.assistant, store: app.store, logger: app.logger }));
  await chat.finished;
  await chat.stop();
  return 0;
}

export async function runDescribe(
  app: App,
  request: { imagePath: string; question: string; voicePath?: string; noticesToErrors?: boolean },
): Promise<number> {
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  return describeOnce({
    inbox: new TurnDelivery({ assistant: app.assistant, store: app.store, logger: app.logger }),
    identity: consoleIdentity(),
    limits: consoleLimits(app),
    ...request,
    output: process.stdout,
    errors: process.stderr,
    signal: stop.signal,
    // Closed, the one-shot's conversation is history like any other: the retention sweep deletes it
    // with its questions and answers.
    endConversation: (identity) => {
      const user = app.store.findUser({ platform: CONSOLE_PLATFORM, platformUserId: identity.userId });
      if (user) app.store.closeConversation(user.id, identity.chatId);
    },
  });
}

export async function runTranscribe(app: App, audioPath: string, language: string | undefined): Promise<number> {
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  return transcribeOnce({
    voice: app.voice,
    audioPath,
    ...(language ? { language } : {}),
    output: process.stdout,
    errors: process.stderr,
    logger: app.logger,
    signal: stop.signal,
  });
}

function consoleLimits(app: App): ConsoleLimits {
  return { image: app.imageLimits, audioMaxBytes: app.config.AUDIO_MAX_BYTES };
}

/** What is not set up, one line each: the console is where a newcomer first meets the setup. */
function notice(app: App): string | undefined {
  const lines = [app.setupHint, app.speechSetupHint && `Voice questions are off. ${app.speechSetupHint}`].filter(Boolean);
  return lines.length > 0 ? lines.join('\n') : undefined;
}
