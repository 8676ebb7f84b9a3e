/**
 * `npm run models -- <pull|list|remove|verify> [NAME] [--device cpu|cuda|all]`: installs the
 * presets of core/models/presets.ts into MODELS_DIR, from HF_ENDPOINT (with HF_TOKEN when set).
 * Output is plain sentences, one per line, for screen readers and logs alike.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../bots/config/index.js';
import { findPreset } from '../../core/models/presets.js';
import {
  HubClient,
  type HubClientOptions,
  isModelInstallError,
  ModelStore,
  type InstalledModel,
  type PullDevice,
  type PullStart,
  type VerifyReport,
} from './index.js';

const USAGE = 'Usage: npm run models -- pull NAME [--device cpu|cuda|all], list, remove NAME, or verify NAME';
const DEVICES: readonly PullDevice[] = ['cpu', 'cuda', 'all'];
const PROBLEM_TEXT = { missing: 'is missing', 'wrong-size': 'has the wrong size', 'checksum-mismatch': 'does not match its checksum' };

class UsageError extends Error {}

/** Where the command reads and writes; tests pass their own to run it in-process. */
export interface ModelsCommandIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
  readonly environment: NodeJS.ProcessEnv;
  /** The `.env` file loadConfig reads; `.env` in the working folder unless given. */
  readonly envFile?: string;
  readonly signal?: AbortSignal;
  /** Retries and backoff, so a test's retry takes milliseconds. */
  readonly hubOptions?: Pick<HubClientOptions, 'attempts' | 'backoffMs' | 'stallTimeoutMs'>;
}

type Say = (line: string) => void;

export async function runModelsCommand(argv: readonly string[], io: ModelsCommandIo): Promise<number> {
  const say: Say = (line) => io.stdout.write(`${line}\n`);
  const progress = new ProgressPrinter(io.stdout, say);
  let modelsDirectory: string | undefined;
  let task: string | undefined;
  try {
    const { command, name, device } = parseCommandLine(argv);
    task = findPreset(name)?.task;
    if (command === 'help') {
      say(USAGE);
      return 0;
    }
    const config = loadConfig({ environment: io.environment, ...(io.envFile ? { envFile: io.envFile } : {}) });
    // Only pull talks to the Hub, so a bad HF_ENDPOINT never stops list, remove or verify.
    const hub =
      command === 'pull'
        ? new HubClient({ ...io.hubOptions, endpoint: config.HF_ENDPOINT, token: config.HF_TOKEN })
        : undefined;
    const store = new ModelStore({ modelsDirectory: config.MODELS_DIR, ...(hub ? { hub } : {}) });
    modelsDirectory = store.modelsDirectory;
    switch (command) {
      case 'list':
        return await list(store, say);
      case 'pull':
        return await pull(store, { name, device, signal: io.signal }, progress, say);
      case 'remove': {
        const removed = await store.remove(name);
        say(`Removed ${removed.name}, freeing ${formatBytes(removed.bytesFreed)}.`);
        return 0;
      }
      case 'verify':
        return printVerifyReport(await store.verify(name), say);
    }
  } catch (error) {
    progress.endLine();
    return reportError(error, io.stderr, modelsDirectory, task);
  }
}

function parseCommandLine(argv: readonly string[]): { command: 'help' | 'list' | 'pull' | 'remove' | 'verify'; name: string; device: PullDevice } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { device: { type: 'string', default: 'cpu' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    // parseArgs explains its errors at length; the option's name is what helps here.
    const message = (error as Error).message;
    const option = /^Unknown option '([^']+)'/.exec(message)?.[1];
    const firstLine = message.split('\n')[0]!.replace(/\.?$/, '.');
    throw new UsageError(`${option ? `Unknown option ${option}.` : firstLine} ${USAGE}`);
  }
  const [command, name = '', ...extra] = parsed.positionals;
  const device = parsed.values.device as PullDevice;
  if (parsed.values.help || command === 'help') return { command: 'help', name, device };
  if (command !== 'list' && command !== 'pull' && command !== 'remove' && command !== 'verify') {
    throw new UsageError(command ? `Unknown command "${command}". ${USAGE}` : USAGE);
  }
  if (command !== 'list' && !name) throw new UsageError(`${command} needs the name of a model. ${USAGE}`);
  if (extra.length > 0 || (command === 'list' && name)) throw new UsageError(`Too many arguments. ${USAGE}`);
  if (!DEVICES.includes(device)) throw new UsageError(`--device must be cpu, cuda or all, not "${device}".`);
  return { command, name, device };
}

async function pull(
  store: ModelStore,
  { name, device, signal }: { name: string; device: PullDevice; signal: AbortSignal | undefined },
  progress: ProgressPrinter,
  say: Say,
): Promise<number> {
  const result = await store.pull(name, {
    device,
    ...(signal ? { signal } : {}),
    onStart: (start) => progress.begin(name, device, start),
    onFile: (path) => progress.setFile(path),
    onProgress: (done, total) => progress.update(done, total),
  });
  progress.endLine();
  const fetched = result.fileCount - result.presentFiles;
  if (fetched === 0) say(`All ${result.fileCount} files were already present and verified.`);
  say(`${result.name} is ready in ${result.folder}.`);
  return 0;
}

async function list(store: ModelStore, say: Say): Promise<number> {
  const { installed, available } = await store.list();
  say(`Models folder: ${store.modelsDirectory}`);
  say(installed.length === 0 ? 'Installed: none.' : 'Installed:');
  for (const model of installed) say(`  ${describeInstalled(model)}`);
  say('Available:');
  for (const model of available) {
    const state = model.installed ? 'installed' : 'not installed';
    say(`  ${model.name}, about ${model.approximateCpuMegabytes} MB for CPU, ${state}. ${model.description}.`);
  }
  return 0;
}

function describeInstalled(model: InstalledModel): string {
  const size = `${formatBytes(model.bytesOnDisk)} on disk`;
  if (!model.complete) return `${model.name}, incomplete, ${size}. Run pull again to finish or repair it.`;
  const manifest = model.manifest!;
  const devices = manifest.devices.length > 0 ? `, for ${manifest.devices.join(' and ')}` : '';
  return `${model.name}, complete, ${size}${devices}, commit ${manifest.commit.slice(0, 8)}.`;
}

function printVerifyReport(report: VerifyReport, say: Say): number {
  for (const { path, problem } of report.problems) say(`Problem: ${path} ${PROBLEM_TEXT[problem]}.`);
  if (report.problems.length === 0) {
    say(`All ${report.filesChecked} files of ${report.name} are intact.`);
    return 0;
  }
  const count = report.problems.length === 1 ? '1 problem' : `${report.problems.length} problems`;
  say(`${report.name} has ${count} in ${report.filesChecked} files. Run npm run models -- pull ${report.name} to repair it.`);
  return 1;
}

/** Every failure ends here: one plain line on standard error (two when the network is missing), never a stack trace. */
function reportError(error: unknown, stderr: ModelsCommandIo['stderr'], modelsDirectory: string | undefined, task: string | undefined): number {
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
  if (error instanceof UsageError || error instanceof ConfigError) {
    stderr.write(`${message}\n`);
    return 2;
  }
  if (!isModelInstallError(error)) {
    stderr.write(`Model setup failed: ${message}\n`);
    return 1;
  }
  const hint = error.kind === 'network' ? ' Run the same command again to retry; what was downloaded is kept.' : '';
  stderr.write(`${message}${hint}\n`);
  if (error.kind === 'network') {
    // Hosts without internet access are common (a server behind a firewall): say the two other ways.
    const folder = modelsDirectory ? ` (${modelsDirectory})` : '';
    // A served model is the other way only for the models a server can stand in for.
    const served =
      task === 'text-to-speech'
        ? ''
        : task === 'speech-to-text'
          ? ', or use a GPU host that serves it: set STT_BACKEND=openai and STT_BASE_URL'
          : ', or use a GPU host that serves the model: set VLM_BACKEND=openai and VLM_BASE_URL';
    stderr.write(`Without network access here, ${served ? 'either ' : ''}copy a model folder pulled on another machine into MODELS_DIR${folder}${served}.\n`);
  }
  if (error.kind === 'aborted') return 130;
  return error.kind === 'unknown-model' || error.kind === 'invalid' ? 2 : 1;
}

/**
 * On a terminal, one line rewritten at most twice a second; elsewhere (a pipe, a log, some screen
 * readers' terminals) a new line per tenth of the total, so nothing floods the reader.
 */
class ProgressPrinter {
  private readonly isTerminal: boolean;
  private lineOpen = false;
  private lastTenth = -1;
  private lastDrawMs = 0;
  private startMs = 0;
  private startBytes = 0;
  private currentFile = '';

  constructor(
    private readonly stream: ModelsCommandIo['stdout'],
    private readonly say: Say,
  ) {
    this.isTerminal = stream.isTTY === true;
  }

  begin(name: string, device: PullDevice, start: PullStart): void {
    const devices = device === 'all' ? 'cpu and cuda' : device;
    const size = formatBytes(start.totalBytes);
    this.say(`Pulling ${name} for ${devices}, commit ${start.commit.slice(0, 8)}: ${start.fileCount} files, ${size}.`);
    if (start.presentFiles > 0 && start.presentFiles < start.fileCount) {
      this.say(`${start.presentFiles} files, ${formatBytes(start.presentBytes)}, are already present and verified.`);
    }
    this.startMs = Date.now();
    this.startBytes = start.presentBytes;
    this.lastTenth = Math.floor(tenths(start.presentBytes, start.totalBytes));
  }

  setFile(path: string): void {
    this.currentFile = path;
  }

  update(done: number, total: number): void {
    if (done === this.startBytes && done !== total) return;
    const percent = Math.floor(tenths(done, total) * 10);
    if (this.isTerminal) {
      const now = Date.now();
      if (now - this.lastDrawMs < 500 && done !== total) return;
      this.lastDrawMs = now;
      const text = `${percent} percent, ${formatBytes(done)} of ${formatBytes(total)}${this.speed(done, now)}, ${this.currentFile}`;
      this.stream.write(`\r${text}\u001b[K`);
      this.lineOpen = true;
      return;
    }
    const tenth = Math.floor(tenths(done, total));
    if (tenth <= this.lastTenth) return;
    this.lastTenth = tenth;
    this.say(`Downloaded ${tenth * 10} percent, ${formatBytes(done)} of ${formatBytes(total)}.`);
  }

  endLine(): void {
    if (this.lineOpen) this.stream.write('\n');
    this.lineOpen = false;
  }

  private speed(done: number, now: number): string {
    const seconds = (now - this.startMs) / 1000;
    return seconds < 1 ? '' : `, ${formatBytes((done - this.startBytes) / seconds)} per second`;
  }
}

function tenths(done: number, total: number): number {
  return total === 0 ? 10 : (done / total) * 10;
}

function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${Math.round(bytes)} bytes`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} KB`;
  if (bytes < 1_000_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  return `${(bytes / 1_000_000_000).toFixed(2)} GB`;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  return script !== undefined && import.meta.url === pathToFileURL(realpathSync(script)).href;
}

if (isEntryPoint()) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const io = { stdout: process.stdout, stderr: process.stderr, environment: process.env, signal: controller.signal };
  process.exitCode = await runModelsCommand(process.argv.slice(2), io);
}
