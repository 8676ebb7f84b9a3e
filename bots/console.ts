import { CONSOLE_PLATFORM, createConsoleChat, describeOnce, transcribeOnce, type ConsoleLimits } from '../adapters/console/index.js';
import { writeFile } from 'node:fs/promises';
import { isModelError, resolveLanguage, speechLanguage, TurnDelivery } from '../core/index.js';
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
  request: { imagePath: string; question: string; voicePath?: string; speakPath?: string; noticesToErrors?: boolean },
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

/**
 * `say "TEXT" --out FILE`: the whole text spoken, as the voice replies speak (numbers, units and
 * currency read out), written as an Ogg/Opus voice note. The language is the one given, else the
 * one the text is written in.
 */
export async function runSay(app: App, request: { text: string; outPath: string; language?: string }): Promise<number> {
  const voice = app.voiceReplies!;
  const language = request.language ?? speechLanguage(request.text, resolveLanguage('auto', request.text, undefined));
  if (!voice.speaks(language)) {
    process.stderr.write(`No voice here speaks the language "${language}". Try --language en, or another TTS_VOICE.\n`);
    return 1;
  }
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  try {
    const note = await voice.speak(request.text, language, stop.signal);
    await writeFile(request.outPath, note.data);
    process.stdout.write(`Wrote ${note.durationSeconds.toFixed(1)} seconds of speech to ${request.outPath}.\n`);
    return 0;
  } catch (error) {
    if (isModelError(error) && error.kind === 'aborted') return 130;
    app.logger.error({ err: error }, 'say failed');
    process.stderr.write(`The text could not be spoken: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

function consoleLimits(app: App): ConsoleLimits {
  return { image: app.imageLimits, audioMaxBytes: app.config.AUDIO_MAX_BYTES };
}

/** What is not set up, one line each: the console is where a newcomer first meets the setup. */
function notice(app: App): string | undefined {
  const lines = [app.setupHint, app.speechSetupHint && `Voice questions are off. ${app.speechSetupHint}`].filter(Boolean);
  return lines.length > 0 ? lines.join('\n') : undefined;
}
