/**
 * `npm run bench`: what the assistant itself costs per turn and its peak memory under bursts of
 * photos, then what the embedded model costs (skip that with `npm run bench -- --no-model`; run one
 * part with `--only PART`; `--help` lists the parts). Prints tables; numbers depend on the machine,
 * and the header says which one.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Assistant, silentLogger, type IncomingTurn } from '../core/index.js';
import { DEFAULT_IMAGE_LIMITS, preprocessImage } from '../core/media/index.js';
import { ScriptedSpeechModel } from '../core/models/testing/scripted-speech-model.js';
import type { GenerateStreamPart, VisionLanguageModel } from '../core/models/index.js';
import { openDatabase, Store } from '../storage/index.js';
import { encodeOggOpus, voiceLike } from '../test/helpers/audio.js';
import { noisyJpeg } from '../test/helpers/images.js';
import { makeTempFolder } from '../test/helpers/temp-folder.js';
import { measureModels, type ModelFigures } from './model-bench.js';
import { decodeRateTable, measureRealTurns, realTurnTable } from './real-turn-bench.js';
import { measureAudio } from './audio-bench.js';
import { measureDiscord } from './discord-bench.js';
import { measureMemory, memoryTable } from './memory-bench.js';
import { measureOpenAi } from './openai-bench.js';
import { measureBarcodes } from './barcode-bench.js';
import { measureOcr, ocrTable } from './ocr-bench.js';
import { measurePerception } from './perception-bench.js';
import { measureScheduler } from './scheduler-bench.js';
import { measureSpeech, type SpeechFigures } from './speech-bench.js';
import { measureTelegram } from './telegram-bench.js';
import { measureVoice } from './voice-bench.js';

interface Row {
  readonly name: string;
  readonly samples: number[];
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

async function time(samples: number[], work: () => Promise<unknown> | unknown): Promise<void> {
  const started = performance.now();
  await work();
  samples.push(performance.now() - started);
}

/**
 * An instant model that keeps nothing. The tests' ScriptedVisionModel records every request, photo
 * included: over 2,000 turns that held about 50 MB of prompts and 400 MB of photo buffers, and the
 * growing heap's full garbage collections (10-90 ms each) were part of the p99 the bench reported.
 */
class InstantVisionModel implements VisionLanguageModel {
  readonly id = 'instant';
  readonly capabilities = { maxImages: 4, contextTokens: 8192 };

  async *generate(): AsyncIterable<GenerateStreamPart> {
    yield { type: 'text-delta', text: 'A cup of tea on a wooden table. ' };
    yield { type: 'text-delta', text: 'The cup is full and still steaming.' };
    yield { type: 'finish', reason: 'stop', usage: { outputTokens: 2 } };
  }
}

function makeAssistant(store: Store): Assistant {
  return new Assistant({
    store,
    logger: silentLogger(),
    model: new InstantVisionModel(),
    limits: {
      image: DEFAULT_IMAGE_LIMITS,
      maxImagesPerTurn: 4,
      mediaRetentionMs: 24 * 60 * 60 * 1000,
      historyTokenBudget: 1500,
      historyTurns: 20,
    },
    voice: { speech: new ScriptedSpeechModel({ text: 'Is the tea still hot?' }), limits: { maxBytes: 20 * 1024 * 1024, maxSeconds: 120 } },
  });
}

/** A voice follow-up with an instant speech model: what the core adds to transcription (decoding, the gate, the turn). */
async function voiceTurns(folder: string, turns: number): Promise<Row> {
  const store = new Store(openDatabase(join(folder, 'voice.sqlite')));
  const assistant = makeAssistant(store);
  const note = encodeOggOpus(voiceLike(5, 48_000, 2), 48_000);
  await drain(assistant, { platform: 'bench', userId: 'u', chatId: 'c', images: [{ fetch: async () => noisyJpeg(640, 480) }] });
  const samples: number[] = [];
  for (let index = 0; index < turns; index += 1) {
    await time(samples, () => drain(assistant, { platform: 'bench', userId: 'u', chatId: 'c', audio: [{ fetch: async () => note }] }));
  }
  store.close();
  return { name: 'core voice turn, 5 s OGG/Opus note, instant speech and vision models', samples };
}

async function coreTurns(folder: string, turns: number, file: string): Promise<Row[]> {
  // As the bot opens it: the write-ahead log is copied back by a worker thread, not inside a turn.
  const store = new Store(openDatabase(join(folder, file)), { backgroundCheckpoints: true });
  const assistant = makeAssistant(store);
  const photo = await noisyJpeg(640, 480);
  const samples: number[] = [];
  const users = 50;
  // Every user first sends a small photo, so the measured turns are follow-ups that load history
  // and re-use the stored photo, as most real turns after the first are.
  for (let user = 0; user < users; user += 1) {
    await drain(assistant, { platform: 'bench', userId: `u${user}`, chatId: 'c', text: 'what is this?', images: [{ fetch: async () => photo }] });
  }
  const unwaited: number[] = [];
  for (let index = 0; index < turns; index += 1) {
    const turn: IncomingTurn = { platform: 'bench', userId: `u${index % users}`, chatId: 'c', text: `follow-up question ${index}` };
    const waitedBefore = runQueueWaitMs();
    await time(samples, () => drain(assistant, turn));
    const waited = waitedBefore === undefined ? undefined : runQueueWaitMs();
    if (waited !== undefined) unwaited.push(samples.at(-1)! - (waited - waitedBefore!));
  }
  store.close();
  const name = `core turn, instant model, follow-up with stored photo (${users} users)`;
  return unwaited.length > 0 ? [{ name, samples }, { name: '  the same, less time waiting for a CPU (a busy machine)', samples: unwaited }] : [{ name, samples }];
}

/**
 * Milliseconds the main thread has spent ready to run but waiting for a CPU (Linux schedstat),
 * undefined elsewhere. On a shared machine most of a turn's tail is this wait; taking it out
 * estimates the figure on a quiet machine. Waits for the disk and the garbage collector stay in.
 */
function runQueueWaitMs(): number | undefined {
  try {
    const waitNs = Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[1]);
    return Number.isFinite(waitNs) ? waitNs / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

async function drain(assistant: Assistant, turn: IncomingTurn): Promise<void> {
  for await (const part of assistant.handle(turn, { maxPartLength: 4096 })) void part;
}

function historyLoadAndAppend(folder: string, turns: number): Row {
  const store = new Store(openDatabase(join(folder, 'history.sqlite')), { backgroundCheckpoints: true });
  const user = store.ensureUser({ platform: 'bench', platformUserId: 'u' });
  const conversation = store.currentConversation(user.id, 'c');
  const samples: number[] = [];
  for (let index = 0; index < turns; index += 1) {
    const started = performance.now();
    store.recentTurns(conversation.id, 20);
    const { turn } = store.beginTurn({
      conversationId: conversation.id,
      userId: user.id,
      question: `question ${index}`,
      questionSource: 'text',
      mediaRetentionMs: 1000,
    });
    store.completeTurn(turn.id, 'An answer of a typical length, one or two sentences long. '.repeat(3));
    samples.push(performance.now() - started);
  }
  store.close();
  return { name: 'history load (20 turns) + append + complete', samples };
}

async function preprocess(runs: number, maxSide: number, photo: Uint8Array): Promise<Row> {
  const samples: number[] = [];
  for (let index = 0; index < runs; index += 1) {
    await time(samples, () => preprocessImage(photo, { ...DEFAULT_IMAGE_LIMITS, maxSide }));
  }
  return { name: `preprocess 12 MP JPEG (${(photo.byteLength / 1e6).toFixed(1)} MB) to ${maxSide} px`, samples };
}

function timingTable(rows: readonly Row[]): string[][] {
  return [
    ['measurement', 'runs', 'median ms', 'p99 ms'],
    ...rows.map((row) => {
      const sorted = [...row.samples].sort((a, b) => a - b);
      return [row.name, String(sorted.length), percentile(sorted, 0.5).toFixed(3), percentile(sorted, 0.99).toFixed(3)];
    }),
  ];
}

function modelTable(figures: readonly ModelFigures[]): string[][] {
  const base = figures[0];
  const ratio = (value: number | undefined, reference: number | undefined): string =>
    value !== undefined && reference !== undefined ? `${(value / reference).toFixed(2)}x` : '';
  return [
    ['SmolVLM-256M structure, random weights, CPU', 'load ms', 'first token ms', 'tokens/s', 'tokens', 'first token vs default', 'tokens/s vs default'],
    ...figures.map((figure) => [
      figure.label,
      figure.loadMs.toFixed(0),
      figure.firstTokenMs.toFixed(0),
      figure.tokensPerSecond.toFixed(1),
      String(figure.tokens),
      ratio(figure.firstTokenMs, base?.firstTokenMs),
      ratio(figure.tokensPerSecond, base?.tokensPerSecond),
    ]),
  ];
}

function speechTable(figures: SpeechFigures): string[][] {
  return [
    [`whisper-base structure, random weights, CPU fp32 (load ${figures.loadMs.toFixed(0)} ms)`, 'ms', 'real-time factor', 'tokens/s'],
    ...figures.rows.map((row) => {
      const prefix = figures.rows[0]!;
      const sameNote = row.noteSeconds === prefix.noteSeconds && row.tokens > 1;
      return [
        row.label,
        row.ms.toFixed(0),
        (row.ms / 1000 / row.noteSeconds).toFixed(3),
        sameNote ? (((row.tokens - 1) * 1000) / (row.ms - prefix.ms)).toFixed(1) : '',
      ];
    }),
  ];
}

function printTable(table: readonly string[][]): void {
  const [header = [], ...body] = table;
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const cells of body) console.log(line(cells));
}

/** The parts of the benchmark, in the order they run; `--only` picks some. */
const PARTS = {
  core: 'a turn through the assistant with instant models, a voice turn, history in SQLite, photo preprocessing',
  telegram: 'real grammy against a fake Bot API: one update at a time, and a burst',
  discord: 'real discord.js against a fake gateway and REST: one message at a time, and a burst',
  decode: 'decoding and resampling voice notes and audio files',
  memory: 'peak memory of 500 photo messages at once and of image bombs, each in a fresh process',
  openai: 'the OpenAI-compatible backend against a fake server streaming at full speed',
  reading: 'reading text in photos (beside the raw engine), the photo quality check, colours and barcodes',
  scheduler: 'the fair turn scheduler: 500 people sending a photo at once to a 1 s model with 8 turns at once (about 75 s), and its own cost per turn',
  model: 'the embedded vision model (SmolVLM-256M structure, random weights) on the CPU: the old question-only figures, then the real turn with the caches off and on',
  speech: 'the embedded speech model (whisper-base structure, random weights) on the CPU',
  voice: 'spoken answers: espeak-ng and Piper synthesis with Ogg/Opus encoding per second of speech, and the wait for the voice note on Telegram and Discord',
} as const;
type Part = keyof typeof PARTS;

const USAGE = [
  'Usage: npm run bench [-- OPTIONS]',
  '',
  'Measures what the assistant costs per turn and its peak memory, then the embedded models. Prints tables;',
  'the numbers depend on the machine, and the first line says which one.',
  '',
  'Options:',
  '  --only PART[,PART]  run only these parts',
  '  --no-model          skip the model and speech parts (the slowest)',
  '  --help              print this and exit',
  '',
  'Parts:',
  ...Object.entries(PARTS).map(([name, what]) => `  ${name.padEnd(9)} ${what}`),
].join('\n');

/** The parts the command line asks for, or a line saying what is wrong with it. */
function chosenParts(argv: readonly string[]): { parts: ReadonlySet<Part> } | { help: true } | { problem: string } {
  let only: string | undefined;
  let noModel = false;
  for (let index = 0; index < argv.length; index += 1) {
    const word = argv[index]!;
    if (word === '--help' || word === '-h') return { help: true };
    else if (word === '--no-model') noModel = true;
    else if (word === '--only') {
      only = argv[index + 1];
      index += 1;
      if (only === undefined || only.startsWith('-')) return { problem: `--only needs a part: ${Object.keys(PARTS).join(', ')}.` };
    } else if (word.startsWith('--only=')) only = word.slice('--only='.length);
    else return { problem: `Unknown option "${word}". Run npm run bench -- --help for the options.` };
  }
  const names = only === undefined ? Object.keys(PARTS) : only.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(name in PARTS));
  if (unknown.length > 0 || names.length === 0) {
    return { problem: `Unknown part "${unknown.join(', ')}". The parts are: ${Object.keys(PARTS).join(', ')}.` };
  }
  const parts = new Set(names as Part[]);
  if (noModel) {
    parts.delete('model');
    parts.delete('speech');
  }
  return { parts };
}

const choice = chosenParts(process.argv.slice(2));
if ('help' in choice) {
  console.log(USAGE);
} else if ('problem' in choice) {
  process.stderr.write(`${choice.problem}\n`);
  process.exitCode = 2;
} else {
  await runBench(choice.parts);
}

async function runBench(parts: ReadonlySet<Part>): Promise<void> {
  const folder = makeTempFolder();
  try {
    const processor = cpus()[0]?.model ?? 'unknown processor';
    console.log(`Machine: ${processor}, ${cpus().length} cores, Node ${process.version}\n`);
    const rows: Row[] = [];
    const lines: string[] = [];
    if (parts.has('core')) {
      const photo = await noisyJpeg(4000, 3000);
      // Warm-up: first calls pay for JIT, SQLite page cache and libvips start-up.
      await coreTurns(folder.path, 100, 'warm-up.sqlite');
      await preprocess(2, 1536, photo);
      rows.push(
        ...(await coreTurns(folder.path, 2000, 'core.sqlite')),
        await voiceTurns(folder.path, 50),
        historyLoadAndAppend(folder.path, 2000),
        await preprocess(20, 1536, photo),
        await preprocess(20, 512, photo),
      );
    }
    if (parts.has('telegram')) {
      const telegram = await measureTelegram(500, 1000);
      rows.push({ name: 'telegram update to answer, real grammy + fake Bot API, one at a time', samples: telegram.latencyMs });
      lines.push(`Telegram burst: ${telegram.burst} updates across 50 chats answered at ${telegram.perSecond.toFixed(0)} updates per second.`);
    }
    if (parts.has('discord')) {
      // discord.js keeps to Discord's global 50 requests a second, which bounds the burst.
      const discord = await measureDiscord(200, 200);
      rows.push({ name: 'discord message to answer, real discord.js + fake gateway and REST, one at a time', samples: discord.latencyMs });
      lines.push(`Discord burst: ${discord.burst} DMs from 50 people answered at ${discord.perSecond.toFixed(0)} messages per second.`);
    }
    if (parts.has('decode')) rows.push(...(await measureAudio()).rows);
    if (rows.length > 0) printTable(timingTable(rows));
    if (lines.length > 0) console.log(`\n${lines.join('\n')}`);
    if (parts.has('memory')) {
      console.log('');
      printTable(memoryTable(await measureMemory()));
    }
    if (parts.has('openai')) {
      const [backend, raw] = await measureOpenAi();
      console.log('');
      printTable([
        ['openai backend, 4,000-token answer at full speed', 'first chunk ms', 'tokens/s'],
        ...[backend!, raw!].map((row) => [row.label, row.firstChunkMs.toFixed(2), row.tokensPerSecond.toFixed(0)]),
        ['backend / raw', (backend!.firstChunkMs / raw!.firstChunkMs).toFixed(2) + 'x', (backend!.tokensPerSecond / raw!.tokensPerSecond).toFixed(2) + 'x'],
      ]);
    }
    if (parts.has('reading')) {
      console.log('');
      printTable(ocrTable(await measureOcr()));
      console.log('');
      printTable(await measurePerception());
      console.log('');
      printTable(await measureBarcodes());
    }
    if (parts.has('scheduler')) {
      for (const section of await measureScheduler()) {
        console.log('');
        printTable(section.table);
        for (const note of section.notes) console.log(note);
      }
    }
    if (parts.has('model')) {
      console.log('');
      printTable(modelTable(await measureModels(folder.path)));
      // The turn the assistant really sends: system prompt, history, question and photo, at the
      // real tokenizer's lengths, with the caches off and on.
      const photo = (await preprocessImage(await noisyJpeg(4000, 3000), DEFAULT_IMAGE_LIMITS)).data;
      const turns = await measureRealTurns(folder.path, photo);
      console.log(`\nLoad average while measuring: ${loadavg().map((value) => value.toFixed(1)).join(', ')}`);
      printTable(realTurnTable(turns));
      console.log('');
      printTable(decodeRateTable(turns));
    }
    if (parts.has('speech')) {
      console.log('');
      printTable(speechTable(await measureSpeech(folder.path)));
    }
    if (parts.has('voice')) {
      for (const section of await measureVoice(folder.path)) {
        console.log('');
        printTable(section.table);
        for (const note of section.notes) console.log(note);
      }
    }
  } finally {
    folder.remove();
  }
}
