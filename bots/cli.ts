/**
 * The command line behind `npm start`. Without a command it runs every bot whose token is set,
 * else the console; `console` opens the console anyway; `describe PHOTO ["QUESTION"]` (or
 * `--voice NOTE`, and `--speak FILE` to write the spoken answer) answers once; `read PHOTO` prints the
 * text in a photo, verbatim, with no vision model; `transcribe NOTE` prints what the speech model
 * hears; `say "TEXT" --out FILE` writes TEXT spoken as an Ogg/Opus voice note. Returns
 * the exit code: 0 done, 1 a problem with the input or the model, 2 usage or configuration,
 * 3 no usable model.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { delay, PlatformStartError, TurnDelivery, type PerceptionTools, type Platform, type PlatformMaker, type SpeechToText, type VisionLanguageModel } from '../core/index.js';
import { startApp, type App } from './app.js';
import { ConfigError, loadConfig, type Config } from './config/index.js';
import { runConsole, runDescribe, runSay, runTranscribe } from './console.js';
import { warmUpPerception } from './perception.js';
import { checkHealth, OpsServerStartError, startOpsServer, type OpsServer } from './ops/index.js';
import { PLATFORMS } from './registry.js';
import { startUpProblem } from './start-up-errors.js';

const USAGE =
  'Usage: npm start, npm start -- console, npm start -- describe PHOTO "QUESTION" [--speak REPLY.ogg], npm start -- describe PHOTO --voice NOTE.ogg [--speak REPLY.ogg], ' +
  'npm start -- read PHOTO, npm start -- transcribe NOTE.ogg [--language CODE], or npm start -- say "TEXT" --out FILE.ogg [--language CODE]';
const COMMANDS = new Set(['console', 'describe', 'read', 'transcribe', 'say']);

export async function runCli(
  argv: readonly string[],
  overrides: { model?: VisionLanguageModel; speech?: SpeechToText; perception?: PerceptionTools } = {},
): Promise<number> {
  const [command, ...words] = argv;
  if (command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command !== undefined && !COMMANDS.has(command)) {
    process.stderr.write(`Unknown command "${command}". ${USAGE}\n`);
    return 2;
  }
  const voicePath = takeOption(words, '--voice');
  const language = takeOption(words, '--language');
  const speakPath = takeOption(words, '--speak');
  const outPath = takeOption(words, '--out');
  const rest = words.filter((word) => word !== undefined);
  if (voicePath === null || language === null || speakPath === null || outPath === null) {
    process.stderr.write(`--voice, --language, --speak and --out each need a value. ${USAGE}\n`);
    return 2;
  }
  if (command === 'say' && !rest.join(' ').trim()) {
    process.stderr.write(`say needs some text to speak, in quotes. ${USAGE}\n`);
    return 2;
  }
  if (command === 'say' && !outPath) {
    process.stderr.write(`say needs --out FILE.ogg, the voice note to write. ${USAGE}\n`);
    return 2;
  }
  const writeTo = command === 'say' ? outPath : command === 'describe' ? speakPath : undefined;
  const unwritable = writeTo === undefined ? undefined : await cannotWrite(resolve(writeTo));
  if (unwritable) {
    process.stderr.write(`${unwritable}\n`);
    return 1;
  }
  if (command === 'describe' && !rest[0]) {
    process.stderr.write(`describe needs the path of a photo. ${USAGE}\n`);
    return 2;
  }
  if (command === 'read' && !rest[0]) {
    process.stderr.write(`read needs the path of a photo. ${USAGE}\n`);
    return 2;
  }
  if (command === 'transcribe' && !rest[0]) {
    process.stderr.write(`transcribe needs the path of a voice note or audio file. ${USAGE}\n`);
    return 2;
  }
  if (language !== undefined && !/^[a-z]{2,3}$/.test(language)) {
    process.stderr.write(`--language takes a language code such as en, zh or fr; "${language}" is not one.\n`);
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
  // Each platform whose token is set, ready to be made once the logger exists.
  const platforms = command === undefined ? PLATFORMS.map((platform) => platform.fromSettings(config)).filter((maker) => maker !== undefined) : [];
  const runsBots = platforms.length > 0;
  // The console keeps its screen for answers; a bot is a service, whose log is its screen.
  // A one-shot command loads only the models it uses: start-up time is most of its run time.
  const needs =
    command === 'transcribe'
      ? { vision: false, speech: true }
      : command === 'read'
        ? { vision: false, speech: false }
      : command === 'describe'
        ? { vision: true, speech: voicePath !== undefined, voice: speakPath !== undefined }
        : command === 'say'
          ? { vision: false, speech: false, voice: true }
          : // The console has no voice messages; the bots send them.
            { vision: true, speech: true, voice: runsBots };
  let app: App;
  try {
    app = await startApp({ config, defaultLogLevel: runsBots ? 'info' : 'error', needs, ...overrides });
  } catch (error) {
    const problem = startUpProblem(error, config.DATA_DIR);
    if (problem === undefined) throw error;
    process.stderr.write(`${problem}\n`);
    return 2;
  }
  try {
    if (command === 'describe' || command === 'transcribe' || command === 'say') {
      const hint = needs.vision && app.setupHint ? app.setupHint : needs.speech && app.speechSetupHint ? app.speechSetupHint : needs.voice ? app.voiceSetupHint : undefined;
      if (hint) {
        process.stderr.write(`${hint}\n`);
        return 3;
      }
    }
    if (command === 'describe') {
      return await runDescribe(app, {
        imagePath: resolve(rest[0]!),
        question: rest.slice(1).join(' '),
        ...(voicePath ? { voicePath: resolve(voicePath) } : {}),
        ...(speakPath ? { speakPath: resolve(speakPath) } : {}),
      });
    }
    if (command === 'say') return await runSay(app, { text: rest.join(' ').trim(), outPath: resolve(outPath!), ...(language ? { language } : {}) });
    if (command === 'read') return await runDescribe(app, { imagePath: resolve(rest[0]!), question: '/read', noticesToErrors: true });
    if (command === 'transcribe') return await runTranscribe(app, resolve(rest[0]!), language);
    if (runsBots) return await runPlatforms(app, platforms);
    return await runConsole(app);
  } finally {
    await app.close();
  }
}

/** Runs every configured platform in this one process until SIGINT or SIGTERM, all on one delivery routine. */
async function runPlatforms(app: App, makers: readonly PlatformMaker[]): Promise<number> {
  const context = { logger: app.logger, downloadLimitBytes: app.config.IMAGE_MAX_BYTES };
  const platforms = makers.map((make) => make(context));
  const delivery = new TurnDelivery({ assistant: app.assistant, store: app.store, logger: app.logger, metrics: app.metrics });
  warmUpPerception(app.perception, app.logger);
  // Before anything is replayed: a turn a dead process left half-answered gets a fresh answer.
  delivery.journal.recoverInterruptedTurns();
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started: Platform[] = [];
  let ops: OpsServer | undefined;
  try {
    if (app.config.OPS_PORT !== undefined && app.metricsRegistry) {
      ops = await startOpsServer({
        port: app.config.OPS_PORT,
        host: app.config.OPS_HOST,
        registry: app.metricsRegistry,
        logger: app.logger,
        health: () => checkHealth({ model: () => app.modelHealthy(), databaseWritable: () => app.store.isWritable(), platforms }),
      });
      app.logger.info({ port: ops.port, host: app.config.OPS_HOST }, 'ops endpoint listening (/healthz, /metrics)');
    }
    const stopped = new Promise<'stopped'>((resolve) => {
      if (stop.signal.aborted) resolve('stopped');
      else stop.signal.addEventListener('abort', () => resolve('stopped'), { once: true });
    });
    // One platform failing to start stops the others too, so the process never runs half-configured.
    const starting = Promise.allSettled(
      platforms.map(async (platform) => {
        await platform.start(delivery);
        started.push(platform);
      }),
    );
    if ((await Promise.race([starting, stopped])) === 'stopped') {
      // A signal during start-up (an API that does not answer, a retry pause): the platforms
      // still starting are stopped too, which ends their requests, and the process ends.
      app.logger.info('stopping during start-up');
      await Promise.all(platforms.filter((platform) => !started.includes(platform)).map((platform) => platform.stop()));
      await starting;
      return 0;
    }
    const failure = (await starting).find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
    await stopped;
    return 0;
  } catch (error) {
    if (error instanceof OpsServerStartError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    if (!(error instanceof PlatformStartError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return error.exitCode;
  } finally {
    // People still waiting in line are told the assistant is restarting (their deliveries stay in
    // the journal and are answered after it); the turns in progress get SHUTDOWN_GRACE_S to finish.
    app.assistant.stopTakingTurns();
    const stopping = Promise.all(started.map((platform) => platform.stop()));
    const graceMs = app.config.SHUTDOWN_GRACE_S * 1000;
    const graceTimer = new AbortController();
    const finished = await Promise.race([stopping.then(() => true), delay(graceMs, graceTimer.signal).then(() => false)]);
    // The timer must not keep the process alive once everything has stopped.
    graceTimer.abort();
    if (!finished) {
      app.logger.warn({ graceSeconds: app.config.SHUTDOWN_GRACE_S }, 'turns still running at the end of the grace period; they are answered again after the restart');
      // What still runs would hold the process open: it ends once the closing below is done. The
      // journal keeps those deliveries, so nothing is lost.
      setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
    }
    await ops?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Removes `--name VALUE` (or `--name=VALUE`) from the words: the value, undefined when absent,
 * or null when the option has no value.
 */
function takeOption(words: (string | undefined)[], name: string): string | undefined | null {
  for (const [index, word] of words.entries()) {
    if (word === name) {
      const value = words[index + 1];
      words[index] = undefined;
      if (value === undefined || value.startsWith('--')) return null;
      words[index + 1] = undefined;
      return value;
    }
    if (word?.startsWith(`${name}=`)) {
      words[index] = undefined;
      return word.slice(name.length + 1) || null;
    }
  }
  return undefined;
}

/** Why a file cannot be written there, in one line, before any model is loaded; undefined when it can. */
async function cannotWrite(path: string): Promise<string | undefined> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) return `${path} is a folder; give the path of a file to write, such as reply.ogg.`;
  try {
    await access(existing ? path : dirname(path), constants.W_OK);
    return undefined;
  } catch {
    return existing ? `${path} cannot be written: it is read-only.` : `${dirname(path)} does not exist or cannot be written to; give a path in a folder you can write to.`;
  }
}
