import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { z } from 'zod';
import { silentLogger, type Logger } from '../../log.js';
import { Semaphore } from '../../util/semaphore.js';
import { loadOnDevice, type DeviceSetting } from '../embedded/device.js';
import { ModelFilesMissingError } from '../embedded/model-folder-errors.js';
import { ModelError } from '../model-error.js';
import { findPreset, presetFiles, type DeviceKind } from '../presets.js';
import type { SpeechSynthesizer, SynthesizedSpeech, SynthesizeRequest } from '../speech-synthesizer.js';
import type { EspeakEngine } from './espeak-engine.js';
import { BOS, clausePhonemes, EOS, mergeVowelClusters, PAD, phonemeIds, splitSentences, withoutLanguageFlags, type PhonemeIdMap } from './piper-phonemes.js';

/**
 * A Piper voice (VITS exported to ONNX, https://github.com/rhasspy/piper) on onnxruntime-node:
 * `<voice>.onnx` and `<voice>.onnx.json` in one folder, as `npm run models -- pull` leaves them.
 * The graph takes `input` int64 [1, N] phoneme ids, `input_lengths` int64 [1], `scales` float32
 * [noise_scale, length_scale, noise_w] and, for multi-speaker voices, `sid` int64 [1]; it returns
 * `output` float32 [1, 1, 1, samples] (the last axis is the audio, whatever the rank).
 */

/** The rate Piper voices speak at with their own length_scale, close to espeak-ng's default. */
const NATURAL_WORDS_PER_MINUTE = 175;
/** Beyond these a VITS duration predictor's output stops sounding like speech. */
const MIN_RATE_FACTOR = 1 / 3;
const MAX_RATE_FACTOR = 2;
/** Piper's own default pause between sentences; scaled with the rate, so fast listeners get shorter gaps. */
const SENTENCE_SILENCE_SECONDS = 0.2;
/** Sentences longer than this (run-on text with no punctuation) are cut at a clause or a word. */
const MAX_SENTENCE_PHONEMES = 400;
/** Peak after per-sentence normalisation (Piper normalises each sentence too); headroom for the lossy encoder. */
const PEAK = 0.9;
/** How deep below the folder a voice is looked for: a pull keeps the Hub's `en/en_US/lessac/medium/` layout. */
const MAX_SEARCH_DEPTH = 6;

const ESPEAK_LANGUAGES: Readonly<Record<string, string>> = { cmn: 'zh', yue: 'zh' };

const configSchema = z.object({
  audio: z.object({ sample_rate: z.number().int().positive() }),
  espeak: z.object({ voice: z.string().min(1) }).optional(),
  language: z.object({ code: z.string().optional(), family: z.string().optional() }).optional(),
  inference: z
    .object({
      noise_scale: z.number().optional(),
      length_scale: z.number().positive().optional(),
      noise_w: z.number().optional(),
    })
    .optional(),
  phoneme_type: z.string().optional(),
  phoneme_id_map: z.record(z.string(), z.array(z.number().int().nonnegative())),
  num_speakers: z.number().int().positive().optional(),
  default_speaker_id: z.number().int().nonnegative().optional(),
  vowel_clusters: z.array(z.array(z.string())).optional(),
});

export interface PiperVoiceConfig {
  readonly name: string;
  readonly sampleRate: number;
  /** The espeak-ng voice the phonemes come from (`en-us`, `cmn`); absent for `text` voices. */
  readonly espeakVoice: string | undefined;
  /** ISO 639-1 code of what the voice speaks. */
  readonly language: string;
  readonly phonemeType: 'espeak' | 'text';
  readonly noiseScale: number;
  readonly lengthScale: number;
  readonly noiseW: number;
  readonly phonemeIdMap: PhonemeIdMap;
  readonly numSpeakers: number;
  readonly speakerId: number;
  readonly vowelClusters: readonly (readonly string[])[];
}

export interface PiperVoiceOptions {
  /** espeak-ng makes the phonemes; a function is called on first use, so an unused voice costs nothing. */
  readonly espeak: EspeakEngine | (() => Promise<EspeakEngine>);
  readonly device?: DeviceSetting;
  readonly logger?: Logger;
  /** onnxruntime's threads per inference; its default (one per core) unless given. */
  readonly threads?: number;
}

export async function loadPiperVoice(folder: string, options: PiperVoiceOptions): Promise<PiperVoice> {
  const logger = options.logger ?? silentLogger();
  const { modelPath, configPath } = await findVoiceFiles(folder, options.device === 'cuda' ? 'cuda' : 'cpu');
  const config = await readVoiceConfig(configPath);
  const started = performance.now();
  const sessionOptions: InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
  };
  let loaded;
  try {
    loaded = await loadOnDevice(
      options.device ?? 'cpu',
      (device) => InferenceSession.create(modelPath, { ...sessionOptions, executionProviders: device === 'cuda' ? ['cuda'] : ['cpu'] }),
      { logger },
    );
  } catch (error) {
    throw new ModelError('unavailable', `The Piper voice in ${folder} could not be loaded: ${modelPath} is not a readable ONNX model.`, { cause: error });
  }
  const required = ['input', 'input_lengths', 'scales', ...(config.numSpeakers > 1 ? ['sid'] : [])];
  const absent = required.filter((name) => !loaded.value.inputNames.includes(name));
  if (absent.length > 0) {
    await loaded.value.release().catch(() => undefined);
    throw new ModelError('unavailable', `${modelPath} is not a Piper voice: its graph has no ${absent.join(', ')} input.`);
  }
  logger.info({ voice: config.name, device: loaded.device, sampleRate: config.sampleRate, ms: Math.round(performance.now() - started) }, 'Piper voice loaded');
  return new PiperVoice(config, loaded.value, options.espeak, logger);
}

export class PiperVoice implements SpeechSynthesizer {
  readonly id: string;
  readonly sampleRate: number;
  private espeakEngine: Promise<EspeakEngine> | undefined;
  private readonly reportedMissing = new Set<string>();
  /** One inference at a time: concurrent runs only share the same cores, and sentences of different replies interleave fairly. */
  private readonly runs = new Semaphore(1);

  constructor(
    readonly config: PiperVoiceConfig,
    private readonly session: InferenceSession,
    private readonly espeak: PiperVoiceOptions['espeak'],
    private readonly logger: Logger,
  ) {
    this.id = `piper:${config.name}`;
    this.sampleRate = config.sampleRate;
  }

  speaks(language: string): boolean {
    return primaryLanguage(language) === this.config.language;
  }

  async synthesize(request: SynthesizeRequest): Promise<SynthesizedSpeech> {
    const { signal } = request;
    checkAborted(signal);
    if (!this.speaks(request.language)) {
      throw new ModelError('unsupported-input', `The Piper voice ${this.config.name} speaks ${this.config.language}, not ${request.language}.`);
    }
    const rate = rateFactor(request.wordsPerMinute);
    const scales = Float32Array.from([this.config.noiseScale, this.config.lengthScale * rate, this.config.noiseW]);
    const silence = new Float32Array(Math.round(SENTENCE_SILENCE_SECONDS * rate * this.sampleRate));
    const started = performance.now();
    const pieces: Float32Array[] = [];
    let sentences = 0;
    for await (const phonemes of this.sentencePhonemes(request.text, signal)) {
      const { ids, missing } = phonemeIds(phonemes, this.config.phonemeIdMap);
      this.reportMissing(missing);
      checkAborted(signal);
      const audio = await this.run(ids, scales);
      checkAborted(signal);
      if (audio.length === 0) continue;
      if (pieces.length > 0) pieces.push(silence);
      pieces.push(normalize(audio));
      sentences += 1;
    }
    const samples = concatenate(pieces);
    const ms = performance.now() - started;
    const seconds = samples.length / this.sampleRate;
    this.logger.debug({ voice: this.config.name, sentences, seconds, ms: Math.round(ms), realTimeFactor: seconds > 0 ? ms / 1000 / seconds : undefined }, 'Piper speech made');
    return { samples, sampleRate: this.sampleRate };
  }

  async warmUp(): Promise<void> {
    if (this.config.phonemeType === 'espeak') await this.engine();
    const phonemes = Object.keys(this.config.phonemeIdMap).filter((phoneme) => ![PAD, BOS, EOS].includes(phoneme)).slice(0, 4);
    await this.run(phonemeIds(phonemes, this.config.phonemeIdMap).ids, Float32Array.from([this.config.noiseScale, this.config.lengthScale, this.config.noiseW]));
  }

  /** Releases the ONNX session; the voice cannot speak afterwards. */
  async close(): Promise<void> {
    await this.session.release();
  }

  private async *sentencePhonemes(text: string, signal: AbortSignal | undefined): AsyncGenerator<string[]> {
    for (const sentence of splitSentences(text)) {
      let phonemes: string[] = [];
      for (const clause of sentence) {
        checkAborted(signal);
        const ipa = this.config.phonemeType === 'text' ? clause.text : withoutLanguageFlags((await this.phonemize(clause.text)).join(' '));
        if (!ipa.trim()) continue;
        const next = mergeVowelClusters(clausePhonemes(ipa, clause.end), this.config.vowelClusters);
        if (phonemes.length > 0 && phonemes.length + next.length > MAX_SENTENCE_PHONEMES) {
          yield phonemes;
          phonemes = [];
        }
        phonemes.push(...next);
        while (phonemes.length > MAX_SENTENCE_PHONEMES) {
          const cut = wordBreakBefore(phonemes, MAX_SENTENCE_PHONEMES);
          yield phonemes.slice(0, cut);
          phonemes = phonemes.slice(cut);
        }
      }
      if (phonemes.length > 0) yield phonemes;
    }
  }

  private async phonemize(text: string): Promise<string[]> {
    const engine = await this.engine();
    try {
      return await engine.phonemes(text, this.config.espeakVoice!);
    } catch (error) {
      if (error instanceof ModelError) throw error;
      throw new ModelError('failed', `espeak-ng could not make phonemes for the Piper voice ${this.config.name}.`, { cause: error });
    }
  }

  private engine(): Promise<EspeakEngine> {
    if (!this.espeakEngine) {
      const espeak = this.espeak;
      this.espeakEngine = typeof espeak === 'function' ? espeak() : Promise.resolve(espeak);
      // A failed load (the optional package missing) is tried again by the next request, not remembered forever.
      this.espeakEngine.catch(() => {
        this.espeakEngine = undefined;
      });
    }
    return this.espeakEngine;
  }

  private async run(ids: readonly number[], scales: Float32Array): Promise<Float32Array> {
    const feeds: Record<string, Tensor> = {
      input: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      input_lengths: new Tensor('int64', BigInt64Array.of(BigInt(ids.length)), [1]),
      scales: new Tensor('float32', scales, [3]),
    };
    if (this.config.numSpeakers > 1) feeds.sid = new Tensor('int64', BigInt64Array.of(BigInt(this.config.speakerId)), [1]);
    const release = await this.runs.acquire();
    try {
      const outputs = await this.session.run(feeds);
      const output = outputs.output ?? outputs[this.session.outputNames[0]!];
      if (!output || output.type !== 'float32') throw new Error('the voice gave no float32 output');
      return Float32Array.from(output.data as Float32Array);
    } catch (error) {
      throw new ModelError('failed', `The Piper voice ${this.config.name} could not speak.`, { cause: error });
    } finally {
      release();
    }
  }

  private reportMissing(missing: readonly string[]): void {
    const fresh = [...new Set(missing)].filter((phoneme) => !this.reportedMissing.has(phoneme));
    if (fresh.length === 0) return;
    for (const phoneme of fresh) this.reportedMissing.add(phoneme);
    const codepoints = fresh.map((phoneme) => [...phoneme].map((char) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(' '));
    this.logger.warn({ voice: this.config.name, codepoints }, 'Phonemes missing from the Piper voice were skipped');
  }
}

/** Length-scale multiplier for a speaking rate: 175 words a minute is the voice's own pace. */
export function rateFactor(wordsPerMinute: number | undefined): number {
  if (wordsPerMinute === undefined || !Number.isFinite(wordsPerMinute) || wordsPerMinute <= 0) return 1;
  return Math.min(MAX_RATE_FACTOR, Math.max(MIN_RATE_FACTOR, NATURAL_WORDS_PER_MINUTE / wordsPerMinute));
}

/** Reads and checks `<voice>.onnx.json`. */
export async function readVoiceConfig(configPath: string): Promise<PiperVoiceConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(configPath, 'utf8'));
  } catch (error) {
    throw new ModelError('unavailable', `The Piper voice config ${configPath} could not be read as JSON.`, { cause: error });
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelError('unavailable', `${configPath} is not a Piper voice config (${issue?.path.join('.') || 'root'}: ${issue?.message}).`);
  }
  const config = parsed.data;
  const phonemeType = config.phoneme_type ?? 'espeak';
  if (phonemeType !== 'espeak' && phonemeType !== 'text') {
    throw new ModelError('unavailable', `${configPath} asks for ${phonemeType} phonemes; only espeak and text voices are supported.`);
  }
  const absentSymbols = [PAD, BOS, EOS].filter((symbol) => !config.phoneme_id_map[symbol]?.length);
  if (absentSymbols.length > 0) throw new ModelError('unavailable', `${configPath} has no ids for ${absentSymbols.join(' ')} in its phoneme_id_map.`);
  if (phonemeType === 'espeak' && !config.espeak) throw new ModelError('unavailable', `${configPath} names no espeak voice.`);
  const language = voiceLanguage(config);
  if (!language) throw new ModelError('unavailable', `${configPath} says neither its language nor its espeak voice.`);
  return {
    name: basename(configPath, '.onnx.json'),
    sampleRate: config.audio.sample_rate,
    espeakVoice: config.espeak?.voice,
    language,
    phonemeType,
    noiseScale: config.inference?.noise_scale ?? 0.667,
    lengthScale: config.inference?.length_scale ?? 1,
    noiseW: config.inference?.noise_w ?? 0.8,
    phonemeIdMap: config.phoneme_id_map,
    numSpeakers: config.num_speakers ?? 1,
    speakerId: config.default_speaker_id ?? 0,
    vowelClusters: config.vowel_clusters ?? [],
  };
}

function voiceLanguage(config: z.output<typeof configSchema>): string | undefined {
  const stated = config.language?.family ?? config.language?.code;
  if (stated) return primaryLanguage(stated);
  const espeak = config.espeak?.voice.toLowerCase();
  return espeak ? (ESPEAK_LANGUAGES[espeak] ?? primaryLanguage(espeak)) : undefined;
}

function primaryLanguage(code: string): string {
  return code.toLowerCase().split(/[-_]/)[0]!;
}

/**
 * The one `<voice>.onnx` with its `.onnx.json` beside it, at the top of the folder or below it.
 * Missing files are reported as ModelFilesMissingError, as for the other models, so the operator is
 * told which preset to pull.
 */
async function findVoiceFiles(folder: string, device: DeviceKind): Promise<{ modelPath: string; configPath: string }> {
  const folderExists = await stat(folder).then(
    (info) => info.isDirectory(),
    () => false,
  );
  const found: string[] = [];
  if (folderExists) await collectVoices(folder, 0, found);
  if (found.length === 0) {
    const preset = findPreset(basename(folder));
    const voicePreset = preset?.task === 'text-to-speech' ? preset : undefined;
    const expected = voicePreset ? presetFiles(voicePreset, device).filter((path) => path.endsWith('.onnx') || path.endsWith('.onnx.json')) : ['<voice>.onnx', '<voice>.onnx.json'];
    throw new ModelFilesMissingError({
      task: 'text-to-speech',
      folder,
      preset: voicePreset,
      missingFiles: expected.map((path) => join(folder, path)),
      folderExists,
      device,
    });
  }
  if (found.length > 1) {
    const names = found.map((path) => relative(folder, path)).join(', ');
    throw new ModelError('unavailable', `${folder} holds ${found.length} Piper voices (${names}); give the folder of one of them.`);
  }
  return { modelPath: found[0]!, configPath: `${found[0]!}.json` };
}

async function collectVoices(folder: string, depth: number, found: string[]): Promise<void> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  const names = new Set(entries.filter((entry) => entry.isFile()).map((entry) => entry.name));
  for (const name of [...names].sort()) {
    if (name.endsWith('.onnx') && names.has(`${name}.json`)) found.push(join(folder, name));
  }
  if (depth >= MAX_SEARCH_DEPTH) return;
  for (const entry of entries) {
    if (entry.isDirectory() && !entry.name.startsWith('.')) await collectVoices(join(folder, entry.name), depth + 1, found);
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ModelError('aborted', 'Speaking was cancelled.');
}

/** The last word break at or before `limit`, so a run-on sentence is never cut inside a word. */
function wordBreakBefore(phonemes: readonly string[], limit: number): number {
  const space = phonemes.lastIndexOf(' ', limit - 1);
  return space > 0 ? space + 1 : limit;
}

function normalize(audio: Float32Array): Float32Array {
  let peak = 0;
  for (const sample of audio) peak = Math.max(peak, Math.abs(sample));
  // As Piper: a near-silent sentence is not blown up to full scale.
  const gain = PEAK / Math.max(0.01, peak);
  for (let index = 0; index < audio.length; index += 1) audio[index] = Math.max(-1, Math.min(1, audio[index]! * gain));
  return audio;
}

function concatenate(pieces: readonly Float32Array[]): Float32Array {
  const samples = new Float32Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    samples.set(piece, offset);
    offset += piece.length;
  }
  return samples;
}
