/**
 * A real turn on the embedded model, timed stage by stage: the messages the assistant builds (system
 * prompt, a short history, the question and a photo) on the bench's real-dimension SmolVLM-256M
 * graph (random weights: a forward pass costs the same whatever the weights).
 *
 * Prompt lengths: the generated tokenizer has no merges, so it makes one token per byte, about four
 * times what SmolVLM's real tokenizer makes. Hugging Face is unreachable, so each text is cut to the
 * number of tokens the real tokenizer is estimated to give it: its length over CHARS_PER_TOKEN. That
 * ratio was measured with GPT-2's byte-level BPE (r50k_base, 50,257 entries, the published tokenizer
 * nearest to SmolLM's 49,152-entry byte-level BPE, both trained on English web text) on this very
 * system prompt: 2,107 characters, 502 tokens, 4.2 characters per token (cl100k_base: 4.4; the
 * README: 3.5). A BPE learned here on the few hundred KB of offline English would either memorise the
 * system prompt (it is in the corpus) or fall far from SmolLM's merges, so it would estimate worse.
 * Only lengths matter for the cost; the words are the real prompt's, cut short.
 *
 * The stages come from wrapping onnxruntime's InferenceSession.run, which transformers.js calls for
 * each of the three sessions: preprocessing is the time before the first session runs (chat template,
 * tokenizer, image decode and resize); then embed_tokens, the vision encoder, the prefill (the first
 * decoder run, over the whole prompt) and the first decoding step (the second decoder run, one token
 * over the cache). The first token is streamed right after the prefill. Figures are medians of a few
 * runs: on a shared machine read them as ranges, and state the machine's load beside them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { silentLogger } from '../core/log.js';
import { EmbeddedVisionModel } from '../core/models/embedded/embedded-vision-model.js';
import type { ChatMessage } from '../core/models/index.js';
import { buildPrompt, buildSystemPrompt, type PromptImage } from '../core/prompt/index.js';
import type { TurnRecord } from '../storage/index.js';
import { writeSmolVlmModel } from '../test/models/smolvlm-model.js';

/** Characters per real SmolVLM token for English: see the header. */
export const CHARS_PER_TOKEN = 4.2;

/** `other`: small graphs transformers.js runs on onnxruntime for image preprocessing (resizing). */
type SessionKind = 'vision' | 'embed' | 'decoder' | 'other';

interface SessionRun {
  readonly kind: SessionKind;
  readonly start: number;
  readonly end: number;
  /** The decoder's total context (attention_mask length) and new tokens; 0 for the other sessions. */
  readonly context: number;
  readonly newTokens: number;
}

/** Records every session run while `recording` is set; installed once per process. */
class SessionRecorder {
  private runs: SessionRun[] | undefined;

  constructor() {
    type Run = InferenceSession['run'];
    // transformers.js loads onnxruntime-node with require, and so does this import: one class, one prototype.
    const prototype = (InferenceSession as unknown as { prototype: { run: Run } }).prototype;
    const original = prototype.run;
    const recorder = this;
    prototype.run = async function (this: unknown, ...args: Parameters<Run>) {
      const start = performance.now();
      const result = await original.apply(this, args);
      const runs = recorder.runs;
      if (runs) {
        const feeds = args[0] as Record<string, { dims: readonly number[] }>;
        const kind: SessionKind =
          'pixel_values' in feeds ? 'vision' : 'input_ids' in feeds ? 'embed' : 'inputs_embeds' in feeds ? 'decoder' : 'other';
        runs.push({
          kind,
          start,
          end: performance.now(),
          context: kind === 'decoder' ? (feeds['attention_mask']?.dims[1] ?? 0) : 0,
          newTokens: kind === 'decoder' ? (feeds['inputs_embeds']?.dims[1] ?? 0) : 0,
        });
      }
      return result;
    } as Run;
  }

  async record<T>(work: () => Promise<T>): Promise<{ value: T; runs: SessionRun[] }> {
    const runs: SessionRun[] = [];
    this.runs = runs;
    try {
      return { value: await work(), runs };
    } finally {
      this.runs = undefined;
    }
  }
}

let recorder: SessionRecorder | undefined;

export interface TurnStages {
  /** Tokens of the whole prompt (image tokens included): the context after the prefill. */
  readonly promptTokens: number;
  /** Tokens the prefill ran over: fewer than the prompt when a cached prefix was reused. */
  readonly prefilledTokens: number;
  readonly preprocessMs: number;
  readonly embedMs: number;
  readonly visionMs: number;
  readonly prefillMs: number;
  /** From the generate call to the first streamed token, as the model reports it. */
  readonly firstTokenMs: number;
  /** The second decoder run: one token over the cache. */
  readonly firstStepMs: number;
}

export interface DecodeRate {
  /** Context (prompt + tokens so far) at the middle of the measured steps. */
  readonly context: number;
  /** From the median interval between decoder runs: session time plus transformers.js's per-step work. */
  readonly tokensPerSecond: number;
  /** Median time inside the decoder session per step. */
  readonly decoderMs: number;
  readonly steps: number;
}

export interface RealTurnFigures {
  readonly label: string;
  /** The bench's old case: "What is in this photo?" alone with the photo. */
  readonly questionOnly: TurnStages & { readonly decode: DecodeRate };
  readonly newPhoto: TurnStages;
  readonly followUp: TurnStages;
  readonly decodeAt200: DecodeRate;
  readonly decodeAt1000: DecodeRate;
}

/** The real text cut to the length in characters that gives its estimated real token count here. */
export function toRealLength(text: string): string {
  // The test tokenizer makes one token per byte: keep to ASCII so that a character is one token.
  const ascii = text.replace(/[^\x20-\x7e\n]/g, '?');
  return ascii.slice(0, Math.max(1, Math.round(text.length / CHARS_PER_TOKEN)));
}

function cutMessages(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.map((message) => ({
    ...message,
    content: message.content.map((part) => (part.type === 'text' ? { ...part, text: toRealLength(part.text) } : part)),
  }));
}

const QUESTIONS = [
  'What is in this photo?',
  'Is the milk carton still in date?',
  'Can you read me the cooking instructions on the side of the box?',
  'Which button on the microwave is the start button?',
];

const ANSWER =
  'A carton of semi-skimmed milk on a kitchen counter, next to a kettle. The best-before date printed on the top ' +
  'reads 28 November, which has passed, so check it with a sniff or ask someone before drinking it. The carton is ' +
  'about half full, and the cap is on. To the right of it there is a box of porridge oats, and behind it the kettle, ' +
  'with its cable towards the back of the counter.';

function turn(index: number, question: string): TurnRecord {
  return {
    id: index + 1,
    conversationId: 1,
    userId: 1,
    createdAt: Date.UTC(2026, 11, 2, 9, index),
    question,
    questionSource: 'text',
    answer: ANSWER,
    status: 'done',
    failure: null,
    incomingMessageId: null,
  };
}

/** The messages the assistant builds for a turn: English, normal length, the default history budget. */
function realTurn(options: { historyTurns: number; question: string; photo: Uint8Array; fromEarlierTurn: boolean; key?: string }): ChatMessage[] {
  const history = Array.from({ length: options.historyTurns }, (_, index) => turn(index, QUESTIONS[index % QUESTIONS.length]!));
  // The key is the stored photo's media id, as the assistant passes it: what the image cache keys on.
  const image: PromptImage = { mediaType: 'image/jpeg', data: options.photo, ...(options.key ? { key: options.key } : {}) };
  const { messages } = buildPrompt({
    systemPrompt: buildSystemPrompt({ replyLength: 'normal', language: 'en', now: new Date(Date.UTC(2026, 11, 2, 10)), timeZone: 'UTC' }),
    history,
    question: options.question,
    questionSource: 'text',
    images: [image],
    imagesFromEarlierTurn: options.fromEarlierTurn,
    // Large enough for the long-context case; the real budget never drops a turn of this short history.
    historyTokenBudget: 100_000,
    countTokens: (text) => Math.ceil(text.length / CHARS_PER_TOKEN),
  });
  return cutMessages(messages);
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function stagesOf(runs: readonly SessionRun[], started: number, firstTokenMs: number): TurnStages {
  // The prefill may be two decoder runs: the system prompt's prefix when its cache misses, then the rest.
  const prefills = runs.filter((run) => run.kind === 'decoder' && run.newTokens > 1);
  const firstStep = runs.find((run) => run.kind === 'decoder' && run.newTokens === 1);
  const lastPrefill = prefills.at(-1);
  const beforeSteps = runs.filter((run) => firstStep === undefined || run.start < firstStep.start);
  const sum = (kind: SessionKind) => beforeSteps.filter((run) => run.kind === kind).reduce((total, run) => total + run.end - run.start, 0);
  return {
    promptTokens: lastPrefill?.context ?? 0,
    prefilledTokens: prefills.reduce((total, run) => total + run.newTokens, 0),
    preprocessMs: (runs.find((run) => run.kind !== 'other')?.start ?? Number.NaN) - started,
    embedMs: sum('embed'),
    visionMs: sum('vision'),
    prefillMs: lastPrefill ? sum('decoder') : Number.NaN,
    firstTokenMs,
    firstStepMs: firstStep ? firstStep.end - firstStep.start : Number.NaN,
  };
}

function decodeRateOf(runs: readonly SessionRun[]): DecodeRate {
  // One-token steps; the first is left out as the one that still allocates.
  const steps = runs.filter((run) => run.kind === 'decoder' && run.newTokens === 1).slice(1);
  const intervals = steps.slice(1).map((run, index) => run.start - steps[index]!.start);
  return {
    context: steps[Math.floor(steps.length / 2)]?.context ?? 0,
    tokensPerSecond: 1000 / median(intervals),
    decoderMs: median(steps.map((run) => run.end - run.start)),
    steps: steps.length,
  };
}

async function timeTurn(model: EmbeddedVisionModel, messages: ChatMessage[], maxOutputTokens: number): Promise<{ stages: TurnStages; decode: DecodeRate }> {
  recorder ??= new SessionRecorder();
  const started = performance.now();
  const { value: firstTokenMs, runs } = await recorder.record(async () => {
    for await (const part of model.generate({ messages, maxOutputTokens })) {
      if (part.type === 'finish') return part.timing?.firstTokenMs ?? Number.NaN;
    }
    throw new Error('the stream ended without a finish part');
  });
  return { stages: stagesOf(runs, started, firstTokenMs), decode: decodeRateOf(runs) };
}

/** The median run of each figure over `repeats` runs, so one stall on a shared machine does not decide. */
async function repeated<T extends object>(repeats: number, measure: () => Promise<T>): Promise<T> {
  const results: T[] = [];
  for (let index = 0; index < repeats; index += 1) results.push(await measure());
  return medians(results);
}

function medians<T extends object>(results: readonly T[]): T {
  const keys = Object.keys(results[0]!) as (keyof T)[];
  return Object.fromEntries(keys.map((key) => [key, median(results.map((result) => result[key] as number))])) as T;
}

function textTokens(messages: readonly ChatMessage[]): number {
  return messages.flatMap((message) => message.content).reduce((total, part) => total + (part.type === 'text' ? part.text.length : 0), 0);
}

/**
 * Messages whose prompt is about `tokens` long. The real turn's system prompt and photo alone are about
 * 600, so a shorter context is the photo and a question padded with plain text; a longer one is the
 * real turn with as many history turns as fit. The template's own text (role names, markers) adds
 * about 30 tokens per prompt and 25 per history turn here.
 */
function messagesOfLength(tokens: number, photo: Uint8Array): ChatMessage[] {
  const base = realTurn({ historyTurns: 0, question: QUESTIONS[3]!, photo, fromEarlierTurn: false });
  // 64 image tokens, their markers and the template.
  const fixed = textTokens(base) + 95;
  if (tokens < fixed) {
    const filler = toRealLength(ANSWER.repeat(20)).slice(0, Math.max(0, tokens - 95));
    return [{ role: 'user', content: [{ type: 'file', mediaType: 'image/jpeg', data: photo }, { type: 'text', text: filler }] }];
  }
  const perTurn = textTokens(realTurn({ historyTurns: 1, question: QUESTIONS[3]!, photo, fromEarlierTurn: false })) - textTokens(base) + 25;
  return realTurn({ historyTurns: Math.round((tokens - fixed) / perTurn), question: QUESTIONS[3]!, photo, fromEarlierTurn: false });
}

export interface RealTurnOptions {
  readonly int8: boolean;
  /** The embedded backend's prompt-prefix and image-feature caches (default on, as the app runs). */
  readonly caches?: boolean;
  /** Runs per figure; the median is kept. */
  readonly repeats?: number;
}

export async function measureRealTurn(folder: string, label: string, options: RealTurnOptions, photo: Uint8Array): Promise<RealTurnFigures> {
  const modelFolder = join(folder, options.int8 ? 'smolvlm-256m-int8' : 'smolvlm-256m');
  if (!existsSync(join(modelFolder, 'config.json'))) {
    await writeSmolVlmModel(modelFolder, { dimensions: 'smolvlm-256m', int8: options.int8 });
  }
  const model = await EmbeddedVisionModel.load({
    location: { folder: modelFolder },
    device: 'cpu',
    imageSplitting: false,
    timeoutMs: 600_000,
    logger: silentLogger(),
    ...(options.caches === false ? { imageCacheBytes: 0, prefixCacheBytes: 0 } : {}),
  });
  const repeats = options.repeats ?? 3;
  try {
    const questionOnlyMessages: ChatMessage[] = [
      { role: 'user', content: [{ type: 'file', mediaType: 'image/jpeg', data: photo }, { type: 'text', text: 'What is in this photo?' }] },
    ];
    // Warm-up: allocations and kernel selection, and the system prompt's cache, as in a bot that has
    // answered before (the first turn after a start pays for that prefix once more).
    await timeTurn(model, questionOnlyMessages, 2);
    await timeTurn(model, realTurn({ historyTurns: 0, question: QUESTIONS[0]!, photo, fromEarlierTurn: false, key: 'bench-warm-up' }), 2);
    const questionOnly = await repeated(repeats, async () => (await timeTurn(model, questionOnlyMessages, 2)).stages);
    const questionOnlyDecode = (await timeTurn(model, questionOnlyMessages, 32)).decode;
    // Each new photo has a media id of its own (the image cache misses, the system prompt's cache may
    // hit, as in a running bot); the follow-up that comes after it asks about the same stored photo.
    const pairs: Array<{ newPhoto: TurnStages; followUp: TurnStages }> = [];
    for (let index = 0; index < repeats; index += 1) {
      const key = `bench-photo-${index}`;
      const newPhoto = (await timeTurn(model, realTurn({ historyTurns: 1, question: QUESTIONS[1]!, photo, fromEarlierTurn: false, key }), 2)).stages;
      const followUp = (await timeTurn(model, realTurn({ historyTurns: 2, question: QUESTIONS[2]!, photo, fromEarlierTurn: true, key }), 2)).stages;
      pairs.push({ newPhoto, followUp });
    }
    const newPhoto = medians(pairs.map((pair) => pair.newPhoto));
    const followUp = medians(pairs.map((pair) => pair.followUp));
    const decodeAt = async (tokens: number) =>
      repeated(repeats, async () =>
        (await timeTurn(model, messagesOfLength(tokens, photo), 24)).decode,
      );
    return {
      label,
      questionOnly: { ...questionOnly, decode: questionOnlyDecode },
      newPhoto,
      followUp,
      decodeAt200: await decodeAt(200),
      decodeAt1000: await decodeAt(1000),
    };
  } finally {
    await model.dispose();
  }
}

const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} ms` : '-');
const rate = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '-');

/** Rows for bench/run.ts's printTable: one per case, the stages as columns. */
export function realTurnTable(figures: readonly RealTurnFigures[]): string[][] {
  const rows = [['model', 'case', 'prompt tokens', 'prefilled', 'preprocess', 'embed', 'vision', 'prefill', 'first token', '1st step']];
  for (const figure of figures) {
    const stageRow = (name: string, stages: TurnStages) => [
      figure.label,
      name,
      String(stages.promptTokens),
      String(stages.prefilledTokens),
      ms(stages.preprocessMs),
      ms(stages.embedMs),
      ms(stages.visionMs),
      ms(stages.prefillMs),
      ms(stages.firstTokenMs),
      ms(stages.firstStepMs),
    ];
    rows.push(stageRow('question only (old bench)', figure.questionOnly));
    rows.push(stageRow('real turn, new photo', figure.newPhoto));
    rows.push(stageRow('real turn, follow-up on the photo', figure.followUp));
  }
  return rows;
}

export function decodeRateTable(figures: readonly RealTurnFigures[]): string[][] {
  const rows = [['model', 'case', 'context tokens', 'tokens/s', 'decoder run', 'steps']];
  for (const figure of figures) {
    for (const [name, decode] of [
      ['question only (old bench)', figure.questionOnly.decode],
      ['about 200 tokens', figure.decodeAt200],
      ['about 1,000 tokens', figure.decodeAt1000],
    ] as const) {
      rows.push([figure.label, name, String(Math.round(decode.context)), rate(decode.tokensPerSecond), ms(decode.decoderMs), String(decode.steps)]);
    }
  }
  return rows;
}

/**
 * The rows bench/run.ts prints: int8 (the CPU preset's vision dtype; the preset's q4 decoder is not
 * generated, int8 is its nearest stand-in) without and with the caches, and fp32 with them.
 */
export async function measureRealTurns(folder: string, photo: Uint8Array, repeats?: number): Promise<RealTurnFigures[]> {
  const times = repeats ? { repeats } : {};
  return [
    await measureRealTurn(folder, 'int8, caches off', { int8: true, caches: false, ...times }, photo),
    await measureRealTurn(folder, 'int8, caches on', { int8: true, ...times }, photo),
    await measureRealTurn(folder, 'fp32, caches on', { int8: false, ...times }, photo),
  ];
}
