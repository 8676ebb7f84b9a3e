/**
 * Peak memory of the assistant under a burst of photos: 500 photo messages at once, and 8 image
 * bombs at once (interlaced PNG and progressive JPEG, tiny files that decode to hundreds of
 * megabytes). Each scenario runs in a fresh Node process, so one scenario's heap and libvips' caches
 * never count towards another's; the process's peak RSS is the kernel's high-water mark (VmHWM),
 * which no sampling interval can miss. Photos are downloaded over loopback from a file server in
 * this (the parent) process, through the same download helper the adapters use, and every turn goes
 * through the real Assistant with an instant scripted model and a real SQLite store.
 *
 *   npx tsx bench/memory-bench.ts          prints the table on its own
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Assistant, downloadWithRetry, silentLogger, type IncomingTurn, type ReplyPart } from '../core/index.js';
import { DEFAULT_IMAGE_LIMITS } from '../core/media/index.js';
import { ScriptedVisionModel } from '../core/models/testing/scripted-vision-model.js';
import { openDatabase, Store } from '../storage/index.js';
import { noisyJpeg } from '../test/helpers/images.js';
import { makeTempFolder } from '../test/helpers/temp-folder.js';

export interface MemoryRow {
  readonly name: string;
  /** Peak RSS once the process was set up (modules, SQLite, sharp), before the first message. */
  readonly baselineMiB: number;
  readonly peakMiB: number;
  readonly seconds: number;
  /** What the users were told, counted: e.g. "500 answered", "8 refused". */
  readonly outcome: string;
}

interface Scenario {
  readonly name: string;
  /** Served by the parent at /NAME. */
  readonly file: string;
  readonly messages: number;
}

/** What a child reports on its last line of output. */
interface ChildReport {
  readonly baselineMiB: number;
  readonly peakMiB: number;
  readonly seconds: number;
  readonly answered: number;
  readonly refused: number;
  readonly failed: number;
}

const MIB = 1024 * 1024;

/** Test images made on the spot; the bombs are a flat colour, so a few hundred kilobytes each. */
async function makeFiles(folder: string): Promise<Record<string, Uint8Array>> {
  const flat = (side: number) => sharp({ create: { width: side, height: side, channels: 3, background: '#7a8899' } });
  const files: Record<string, Uint8Array> = {
    // Noise compresses like nothing real does: 0.8 MB, several times a real photo of this size.
    'photo.jpg': await noisyJpeg(1280, 960),
    'interlaced-10000.png': await flat(10_000).png({ progressive: true }).toBuffer(),
    'progressive-10000.jpg': await flat(10_000).jpeg({ progressive: true, quality: 80 }).toBuffer(),
    'interlaced-8000.png': await flat(8000).png({ progressive: true }).toBuffer(),
    'interlaced-6800.png': await flat(6800).png({ progressive: true }).toBuffer(),
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(folder, name), bytes);
  return files;
}

const SCENARIOS: readonly Scenario[] = [
  { name: '500 photo messages at once (1280×960 JPEG, 0.8 MB each)', file: 'photo.jpg', messages: 500 },
  { name: '8 interlaced PNG bombs at once (10000×10000, 0.3 MB each)', file: 'interlaced-10000.png', messages: 8 },
  { name: '8 progressive JPEG bombs at once (10000×10000, 0.6 MB each)', file: 'progressive-10000.jpg', messages: 8 },
  { name: '8 interlaced PNG bombs at once (8000×8000, 64 MP, within the pixel limit)', file: 'interlaced-8000.png', messages: 8 },
  { name: '8 interlaced PNGs at once (6800×6800, 46 MP, the largest the decode budget takes)', file: 'interlaced-6800.png', messages: 8 },
];

/** Runs every scenario, each in its own process, and returns one row per scenario. */
export async function measureMemory(): Promise<MemoryRow[]> {
  const folder = makeTempFolder();
  let server: Server | undefined;
  try {
    const files = await makeFiles(folder.path);
    server = await serveFiles(files);
    const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const rows: MemoryRow[] = [];
    for (const scenario of SCENARIOS) {
      const report = await runChild([`${root}/${scenario.file}`, String(scenario.messages), folder.path]);
      const outcome = [
        report.answered ? `${report.answered} answered` : '',
        report.refused ? `${report.refused} refused` : '',
        report.failed ? `${report.failed} failed` : '',
      ].filter(Boolean);
      rows.push({ name: scenario.name, baselineMiB: report.baselineMiB, peakMiB: report.peakMiB, seconds: report.seconds, outcome: outcome.join(', ') });
    }
    return rows;
  } finally {
    server?.close();
    folder.remove();
  }
}

export function memoryTable(rows: readonly MemoryRow[]): string[][] {
  return [
    ['peak RSS, one fresh process each', 'baseline MiB', 'peak MiB', 'seconds', 'outcome'],
    ...rows.map((row) => [row.name, row.baselineMiB.toFixed(0), row.peakMiB.toFixed(0), row.seconds.toFixed(1), row.outcome]),
  ];
}

function serveFiles(files: Record<string, Uint8Array>): Promise<Server> {
  const server = createServer((request, response) => {
    const bytes = files[(request.url ?? '/').slice(1)];
    if (!bytes) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.byteLength });
    response.end(bytes);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function runChild(args: readonly string[]): Promise<ChildReport> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--child', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const last = output.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`memory bench child exited with ${code}: ${output.slice(-500)}`));
      else resolve(JSON.parse(last) as ChildReport);
    });
  });
}

/**
 * The high-water mark of this process's resident set, in MiB: Linux's VmHWM, which belongs to the
 * process's own memory map. getrusage's maxrss would do elsewhere, but on Linux it carries over
 * the parent's size at fork, and the bench's parent is large.
 */
function peakRssMiB(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return (Number(match[1]) * 1024) / MIB;
  } catch {
    // Not Linux.
  }
  return (process.resourceUsage().maxRSS * 1024) / MIB;
}

/** The child: one scenario through the real Assistant, all messages at once from different users. */
async function child(url: string, messages: number, folder: string): Promise<ChildReport> {
  const store = new Store(openDatabase(join(folder, `memory-${process.pid}.sqlite`)));
  const answer = { chunks: ['A cup of tea on a wooden table. ', 'The cup is full and still steaming.'] };
  // The double records every request for tests to read; here that would keep every photo alive,
  // which no real backend does.
  const model: ScriptedVisionModel = new ScriptedVisionModel(() => {
    model.requests.length = 0;
    return answer;
  });
  const assistant = new Assistant({
    store,
    logger: silentLogger(),
    model,
    limits: {
      image: DEFAULT_IMAGE_LIMITS,
      maxImagesPerTurn: 4,
      mediaRetentionMs: 24 * 60 * 60 * 1000,
      historyTokenBudget: 1500,
      historyTurns: 20,
    },
  });
  // Warm-up: one small photo loads libvips and SQLite, as a running bot has.
  const warmUp = await noisyJpeg(64, 48);
  await collect(assistant, { platform: 'bench', userId: 'warm-up', chatId: 'c', images: [{ fetch: async () => warmUp }] });
  const baselineMiB = peakRssMiB();
  const started = performance.now();
  const turns = Array.from({ length: messages }, (_, index) =>
    collect(assistant, {
      platform: 'bench',
      userId: `user-${index}`,
      chatId: `chat-${index}`,
      text: 'What is this?',
      images: [{ fetch: () => downloadWithRetry(url, { limitBytes: DEFAULT_IMAGE_LIMITS.maxInputBytes }), mediaType: 'image/jpeg' }],
    }),
  );
  const replies = await Promise.all(turns);
  const seconds = (performance.now() - started) / 1000;
  store.close();
  const answered = replies.filter((parts) => parts.some((part) => part.type === 'answer')).length;
  const refused = replies.filter((parts) => parts.some((part) => part.type === 'problem' && part.reason === 'bad-image')).length;
  return { baselineMiB, peakMiB: peakRssMiB(), seconds, answered, refused, failed: messages - answered - refused };
}

async function collect(assistant: Assistant, turn: IncomingTurn): Promise<ReplyPart[]> {
  const parts: ReplyPart[] = [];
  for await (const part of assistant.handle(turn, { maxPartLength: 4096 })) parts.push(part);
  return parts;
}

if (process.argv[2] === '--child') {
  const [url, messages, folder] = process.argv.slice(3);
  const report = await child(url!, Number(messages), folder!);
  console.log(JSON.stringify(report));
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { cpus, totalmem } = await import('node:os');
  console.log(`Machine: ${cpus()[0]?.model ?? 'unknown processor'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`);
  for (const cells of memoryTable(await measureMemory())) console.log(cells.join(' | '));
}
