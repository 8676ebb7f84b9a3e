/**
 * Writes a tiny Piper voice: `<name>.onnx` with the graph contract of Piper's `export_onnx.py`
 * (inputs `input` int64 [batch_size, phonemes], `input_lengths` int64 [batch_size], `scales`
 * float32 [3] = noise_scale, length_scale, noise_w, and `sid` int64 [batch_size] for a multi-speaker
 * voice; output `output` float32 [batch_size, 1, 1, time]) and `<name>.onnx.json` in the layout of
 * rhasspy/piper-voices. No learned weights: each phoneme id becomes a segment of
 * floor(SAMPLES_PER_ID x length_scale) samples holding exactly (id + 1 + sid) cycles of a sine, so
 * the length follows the ids and the rate, and the ids the voice sent can be read back from the audio.
 * Only the first `input_lengths` ids are spoken, so a wrong length shows too.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attribute, GraphBuilder } from './onnx-graph.js';

/** Samples per phoneme id at length_scale 1 (4 of Piper's 256-sample hops, 46 ms at 22.05 kHz). */
export const SAMPLES_PER_ID = 1024;
const AMPLITUDE = 0.5;

/**
 * Symbols of the generated voice, ids in this order. The real voices' maps hold the same kind of
 * symbols (Piper's pad, start and end, punctuation, ASCII, IPA and combining marks after NFD); this
 * one covers what espeak-ng makes of the tests' English and Mandarin sentences.
 */
const SYMBOLS = [
  '_', '^', '$', ' ', '!', "'", '(', ')', ',', '-', '.', ':', ';', '?',
  ...'abcdefghijklmnopqrstuvwxyz',
  ...'0123456789',
  ...'æçðøħŋœɐɑɒɔɕəɚɛɜɝɡɣɪɫɬɯɲɹɾʁʂʃʈʊʋʌʎʏʐʑʒʔʲʰˈˌːˑβθχᵻ',
  '\u0303', '\u0327', '\u0329', '\u032A', '\u032F',
];

export interface PiperModelOptions {
  /** File name stem, as on the Hub: `<code>-<dataset>-<quality>`. */
  readonly name?: string;
  readonly espeakVoice?: string;
  /** `language.code` of the config, e.g. `en_US`; its family is the part before `_`. */
  readonly languageCode?: string;
  readonly sampleRate?: number;
  /** inference.length_scale: the voice's own pace. */
  readonly lengthScale?: number;
  /** Above 1 the graph takes `sid` and the config has a speaker map. */
  readonly numSpeakers?: number;
  readonly defaultSpeakerId?: number;
  /** Symbols left out of the phoneme_id_map, to see what the voice does with unknown phonemes. */
  readonly omitSymbols?: readonly string[];
}

export interface PiperModelInfo {
  readonly modelPath: string;
  readonly configPath: string;
  readonly phonemeIdMap: Readonly<Record<string, readonly number[]>>;
  readonly sampleRate: number;
}

export async function writePiperModel(folder: string, options: PiperModelOptions = {}): Promise<PiperModelInfo> {
  const name = options.name ?? 'en_US-test-x_low';
  const languageCode = options.languageCode ?? 'en_US';
  const [family, region] = languageCode.split('_');
  const numSpeakers = options.numSpeakers ?? 1;
  const sampleRate = options.sampleRate ?? 22050;
  const omitted = new Set(options.omitSymbols ?? []);
  const phonemeIdMap = Object.fromEntries(SYMBOLS.map((symbol, id) => [symbol, [id]] as const).filter(([symbol]) => !omitted.has(symbol)));
  await mkdir(folder, { recursive: true });
  const modelPath = join(folder, `${name}.onnx`);
  const configPath = `${modelPath}.json`;
  await buildGraph(numSpeakers > 1).write(modelPath);
  const config = {
    dataset: name.split('-')[1] ?? 'test',
    audio: { sample_rate: sampleRate, quality: name.split('-')[2] ?? 'x_low' },
    espeak: { voice: options.espeakVoice ?? 'en-us' },
    language: { code: languageCode, family, region, name_native: family, name_english: family, country_english: region },
    inference: { noise_scale: 0.667, length_scale: options.lengthScale ?? 1, noise_w: 0.8 },
    phoneme_type: 'espeak',
    phoneme_map: {},
    phoneme_id_map: phonemeIdMap,
    num_symbols: SYMBOLS.length,
    num_speakers: numSpeakers,
    speaker_id_map: numSpeakers > 1 ? Object.fromEntries(Array.from({ length: numSpeakers }, (_, id) => [`speaker${id}`, id])) : {},
    ...(options.defaultSpeakerId !== undefined ? { default_speaker_id: options.defaultSpeakerId } : {}),
    piper_version: '1.0.0',
  };
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return { modelPath, configPath, phonemeIdMap, sampleRate };
}

function buildGraph(multiSpeaker: boolean): GraphBuilder {
  const graph = new GraphBuilder('piper_test_voice');
  const input = graph.input('input', 'int64', ['batch_size', 'phonemes']);
  const inputLengths = graph.input('input_lengths', 'int64', ['batch_size']);
  const scales = graph.input('scales', 'float', [3]);
  const sid = multiSpeaker ? graph.input('sid', 'int64', ['batch_size']) : undefined;
  graph.output('output', 'float', ['batch_size', 1, 1, 'time']);

  const spoken = graph.op('Slice', [input, graph.int64s([0]), inputLengths, graph.int64s([1])]);
  let cycles = graph.op('Add', [graph.op('Cast', [spoken], { to: attribute.int(1) }), graph.scalarFloat(1)]);
  if (sid) cycles = graph.op('Add', [cycles, graph.op('Cast', [sid], { to: attribute.int(1) })]);
  const column = graph.op('Reshape', [cycles, graph.int64s([-1, 1])]);

  const lengthScale = graph.op('Gather', [scales, graph.scalarInt64(1)], { axis: attribute.int(0) });
  const segment = graph.op('Max', [graph.op('Floor', [graph.op('Mul', [lengthScale, graph.scalarFloat(SAMPLES_PER_ID)])]), graph.scalarFloat(2)]);
  const positions = graph.op('Range', [graph.scalarFloat(0), segment, graph.scalarFloat(1)]);
  const step = graph.op('Div', [graph.scalarFloat(2 * Math.PI), segment]);
  const phase = graph.op('Mul', [graph.op('Mul', [column, graph.op('Unsqueeze', [positions, graph.int64s([0])])]), step]);
  const wave = graph.op('Mul', [graph.op('Sin', [phase]), graph.scalarFloat(AMPLITUDE)]);
  graph.op('Reshape', [wave, graph.int64s([1, 1, 1, -1])], undefined, 'output');
  return graph;
}

/** The segment length the generated graph uses for a length_scale, as float32 arithmetic gives it. */
export function segmentLength(lengthScale: number): number {
  return Math.max(2, Math.floor(Math.fround(Math.fround(lengthScale) * SAMPLES_PER_ID)));
}

/**
 * Reads the ids back from one sentence's audio: in each segment the strongest DFT bin is id + 1 +
 * speaker (the sines are whole cycles, so the bins do not leak into each other).
 */
export function decodeIds(samples: Float32Array, lengthScale: number, speakerId = 0): number[] {
  const length = segmentLength(lengthScale);
  const cos = Float64Array.from({ length }, (_, k) => Math.cos((2 * Math.PI * k) / length));
  const sin = Float64Array.from({ length }, (_, k) => Math.sin((2 * Math.PI * k) / length));
  const ids: number[] = [];
  for (let start = 0; start + length <= samples.length; start += length) {
    let best = 0;
    let bestPower = -1;
    for (let bin = 1; bin < length / 2; bin += 1) {
      let re = 0;
      let im = 0;
      for (let n = 0, k = 0; n < length; n += 1, k = (k + bin) % length) {
        re += samples[start + n]! * cos[k]!;
        im -= samples[start + n]! * sin[k]!;
      }
      const power = re * re + im * im;
      if (power > bestPower) {
        bestPower = power;
        best = bin;
      }
    }
    ids.push(best - 1 - speakerId);
  }
  return ids;
}
