/**
 * Writes a Whisper model folder with random weights that transformers.js loads exactly like an
 * onnx-community/whisper-* export: `onnx/encoder_model.onnx` and the merged
 * `onnx/decoder_model_merged.onnx` (one `If` on `use_cache_branch` over two decoder subgraphs, as
 * optimum merges them), with the real input/output names, symbolic dims, cache layout, configs and
 * token ids. `tiny` is for tests (under 1 MB, milliseconds); `whisper-base` has the real shapes and
 * architecture, so its cost is the real model's cost, for benchmarks without a network.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import onnxProtoModule from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { attribute, GraphBuilder, SeededWeights, type AttributeValue, type Dim } from './onnx-graph.js';
import {
  buildWhisperTokenizer,
  LAYER_NORM_EPSILON,
  orderLanguages,
  WHISPER_LANGUAGE_CODES,
  whisperConfigFiles,
  type WhisperDimensions,
  type WhisperTokenIds,
} from './whisper-files.js';

// onnx-proto is CommonJS: under Node's ESM loader only its default export is visible.
const { onnx } = onnxProtoModule;

export type WhisperDimensionsName = 'tiny' | 'whisper-base';
export type WhisperSessionName = 'encoder_model' | 'decoder_model_merged';
export const WHISPER_SESSIONS: readonly WhisperSessionName[] = ['encoder_model', 'decoder_model_merged'];

export interface WhisperModelOptions {
  dimensions?: WhisperDimensionsName;
  seed?: number;
  /** Language and task tokens in the prompt (default true); false writes a whisper-*.en layout. */
  multilingual?: boolean;
  /** Which language tokens exist (codes, put in Whisper's order); default all 99. */
  languages?: string[];
  /** File-name suffix per session, e.g. `{ encoder_model: '_quantized' }` to match a dtype choice. */
  fileSuffixes?: Partial<Record<WhisperSessionName, string>>;
  /** Weights in `<file>.onnx_data` next to each graph (declared in config.json for transformers.js). */
  externalData?: boolean;
  /** Added to the `<|endoftext|>` logit at every step: positive ends transcripts sooner. Default 0. */
  eosBias?: number;
  /**
   * The decoder position (0-based, the prompt included) from which `<|endoftext|>` always wins, so
   * that a transcript has at most `endOfTextAt - promptLength` text tokens (10 for the multilingual
   * 4-token prompt at the tiny default of 14). `null` leaves the end to the weights (the
   * whisper-base default). Which tokens come before it depends on the audio.
   */
  endOfTextAt?: number | null;
}

export interface WhisperModelInfo {
  folder: string;
  dimensionsName: WhisperDimensionsName;
  dimensions: WhisperDimensions;
  multilingual: boolean;
  /** Language codes that have tokens, in token order. */
  languages: string[];
  vocabSize: number;
  /** Text tokens (bytes and filler words) before `<|endoftext|>`. */
  textVocabSize: number;
  endOfTextAt: number | null;
  /** Paths written, relative to `folder`, sorted. */
  files: string[];
  tokenIds: WhisperTokenIds;
}

export const WHISPER_DIMENSIONS: Record<WhisperDimensionsName, WhisperDimensions> = {
  tiny: {
    dModel: 32, encoderLayers: 1, decoderLayers: 2, encoderHeads: 2, decoderHeads: 2, encoderFfn: 64, decoderFfn: 64,
    numMelBins: 80, maxSourcePositions: 1500, maxTargetPositions: 448, multilingualTextTokens: 320, timestampTokens: 1501,
  },
  'whisper-base': {
    dModel: 512, encoderLayers: 6, decoderLayers: 6, encoderHeads: 8, decoderHeads: 8, encoderFfn: 2048, decoderFfn: 2048,
    numMelBins: 80, maxSourcePositions: 1500, maxTargetPositions: 448, multilingualTextTokens: 50257, timestampTokens: 1501,
  },
};

const DEFAULT_END_OF_TEXT_AT: Record<WhisperDimensionsName, number | null> = { tiny: 14, 'whisper-base': null };

/**
 * Query/key weights this many times the usual spread: random attention is otherwise nearly uniform,
 * which averages the audio away and makes different audio give the same greedy transcript.
 */
const ATTENTION_SHARPNESS = 3;
/**
 * Sharper still for cross-attention: 3 s of sound is a tenth of the 1500 encoder rows, and a broad
 * average over them lets the padding decide. With 8, a tone, noise and a chirp start differently.
 */
const CROSS_ATTENTION_SHARPNESS = 8;
/** How strongly the audio (the cross-attention output) moves the residual stream. */
const CROSS_ATTENTION_OUTPUT_GAIN = 3;
/**
 * Embedding rows all of this spread and the same norm: with tied logits, a row of larger norm
 * otherwise wins most steps, and a large token term makes every token predict itself.
 */
const TOKEN_EMBEDDING_STD = 0.5;
/** The byte tokens come first in the text vocabulary, in GPT-2's order. */
const BYTE_TOKENS = 256;
/** Logit offset for byte, special and timestamp tokens, so random weights write words, not `<|ja|><|3.40|>`. */
const NON_TEXT_LOGIT_BIAS = -1e4;
/** What `endOfTextAt` adds to the `<|endoftext|>` logit. */
const FORCED_END_LOGIT = 1e4;

/**
 * Random and fixed initializers in one graph, each made once: both decoder branches name the same
 * weights, which live in the outer graph as in optimum's merged export.
 */
class WeightStore {
  private readonly made = new Set<string>();

  constructor(
    readonly graph: GraphBuilder,
    private readonly seeded: SeededWeights,
  ) {}

  /** `shift` moves the mean (norm scales near 1); `equalRows` rescales each row of a table to the same norm. */
  random(name: string, dims: number[], std: number, options: { shift?: number; equalRows?: boolean } = {}): string {
    if (this.made.has(name)) return name;
    this.made.add(name);
    const count = dims.reduce((product, dim) => product * dim, 1);
    const values = this.seeded.floats(name, count, std);
    const shift = options.shift ?? 0;
    if (shift !== 0) for (let index = 0; index < count; index += 1) values[index]! += shift;
    if (options.equalRows) {
      const width = dims.at(-1)!;
      for (let start = 0; start < count; start += width) {
        let squares = 0;
        for (let index = start; index < start + width; index += 1) squares += values[index]! ** 2;
        const scale = (std * Math.sqrt(width)) / Math.sqrt(squares || 1);
        for (let index = start; index < start + width; index += 1) values[index]! *= scale;
      }
    }
    return this.graph.initializer(name, values, dims);
  }

  fixed(name: string, dims: number[], make: () => Float32Array): string {
    if (this.made.has(name)) return name;
    this.made.add(name);
    return this.graph.initializer(name, make(), dims);
  }
}

/** A builder whose every generated name carries a scope, so a subgraph never reuses an outer name. */
class ScopedGraphBuilder extends GraphBuilder {
  constructor(private readonly scope: string) {
    super(scope);
  }

  override uniqueName(prefix: string): string {
    return `${this.scope}/${super.uniqueName(prefix)}`;
  }
}

/** The builder's graph as a GraphProto, for an `If` branch. */
function graphAttribute(builder: GraphBuilder): AttributeValue {
  const { modelChunks } = builder.serialize();
  const graph = onnx.ModelProto.decode(Buffer.concat(modelChunks)).graph;
  if (!graph) throw new Error(`${builder.name} serialized without a graph`);
  return { type: onnx.AttributeProto.AttributeType.GRAPH, g: graph };
}

/** Building blocks; weight names follow the Hugging Face checkpoint (Linear weights stored [in, out]). */
class Layers {
  constructor(
    readonly graph: GraphBuilder,
    readonly weights: WeightStore,
  ) {}

  reshape(x: string, shape: number[]): string {
    return this.graph.op('Reshape', [x, this.graph.int64s(shape)]);
  }

  transpose(x: string, perm: number[]): string {
    return this.graph.op('Transpose', [x], { perm: attribute.ints(perm) });
  }

  linear(x: string, name: string, inputs: number, outputs: number, options: { bias?: boolean; std?: number } = {}): string {
    const weight = this.weights.random(`${name}.weight`, [inputs, outputs], options.std ?? 1 / Math.sqrt(inputs));
    const y = this.graph.op('MatMul', [x, weight]);
    if (!options.bias) return y;
    return this.graph.op('Add', [y, this.weights.random(`${name}.bias`, [outputs], 0.02)]);
  }

  layerNorm(x: string, name: string, size: number): string {
    const scale = this.weights.random(`${name}.weight`, [size], 0.1, { shift: 1 });
    const bias = this.weights.random(`${name}.bias`, [size], 0.02);
    return this.graph.op('LayerNormalization', [x, scale, bias], {
      axis: attribute.int(-1),
      epsilon: attribute.float(LAYER_NORM_EPSILON),
    });
  }

  /** Exact GELU, x·½·(1 + erf(x/√2)), the form torch exports and onnxruntime fuses into Gelu. */
  gelu(x: string): string {
    const g = this.graph;
    const erf = g.op('Erf', [g.op('Div', [x, g.scalarFloat(Math.SQRT2)])]);
    return g.op('Mul', [g.op('Mul', [x, g.op('Add', [erf, g.scalarFloat(1)])]), g.scalarFloat(0.5)]);
  }

  /** [batch, sequence, heads·headDim] to [batch, heads, sequence, headDim]. */
  splitHeads(x: string, heads: number, headDim: number): string {
    return this.transpose(this.reshape(x, [0, 0, heads, headDim]), [0, 2, 1, 3]);
  }

  /** Scaled dot-product attention over split heads, merged back to [batch, sequence, heads·headDim]. */
  attend(query: string, key: string, value: string, heads: number, headDim: number, maskBias?: string): string {
    const g = this.graph;
    let scores = g.op('MatMul', [query, this.transpose(key, [0, 1, 3, 2])]);
    if (maskBias) scores = g.op('Add', [scores, maskBias]);
    const probabilities = g.op('Softmax', [scores], { axis: attribute.int(-1) });
    const context = g.op('MatMul', [probabilities, value]);
    return this.reshape(this.transpose(context, [0, 2, 1, 3]), [0, 0, heads * headDim]);
  }

  /** Whisper attention projections: q (scaled by headDim^-½) and v with bias, k without. */
  query(x: string, name: string, size: number, heads: number): string {
    const headDim = size / heads;
    const projected = this.linear(x, `${name}.q_proj`, size, size, { bias: true, std: (name.endsWith('encoder_attn') ? CROSS_ATTENTION_SHARPNESS : ATTENTION_SHARPNESS) / Math.sqrt(size) });
    return this.splitHeads(this.graph.op('Mul', [projected, this.graph.scalarFloat(1 / Math.sqrt(headDim))]), heads, headDim);
  }

  keyValue(x: string, name: string, size: number, heads: number): { key: string; value: string } {
    const headDim = size / heads;
    const key = this.linear(x, `${name}.k_proj`, size, size, { std: (name.endsWith('encoder_attn') ? CROSS_ATTENTION_SHARPNESS : ATTENTION_SHARPNESS) / Math.sqrt(size) });
    const value = this.linear(x, `${name}.v_proj`, size, size, { bias: true });
    return { key: this.splitHeads(key, heads, headDim), value: this.splitHeads(value, heads, headDim) };
  }

  mlp(x: string, name: string, size: number, ffn: number, layers: number): string {
    const normed = this.layerNorm(x, `${name}.final_layer_norm`, size);
    const expanded = this.gelu(this.linear(normed, `${name}.fc1`, size, ffn, { bias: true }));
    return this.graph.op('Add', [x, this.linear(expanded, `${name}.fc2`, ffn, size, { bias: true, std: 1 / Math.sqrt(2 * layers * ffn) })]);
  }
}

/** Whisper's sinusoidal encoder positions (whisper.model.sinusoids), as the checkpoint stores them. */
function sinusoids(length: number, channels: number): Float32Array {
  const half = channels / 2;
  const increment = Math.log(10000) / (half - 1);
  const values = new Float32Array(length * channels);
  for (let position = 0; position < length; position += 1) {
    for (let channel = 0; channel < half; channel += 1) {
      const angle = position * Math.exp(-increment * channel);
      values[position * channels + channel] = Math.sin(angle);
      values[position * channels + half + channel] = Math.cos(angle);
    }
  }
  return values;
}

/** Two strided Conv1d + GELU, sinusoidal positions, pre-LN self-attention layers, final LayerNorm. */
function buildEncoder(d: WhisperDimensions, layers: Layers): GraphBuilder {
  const g = layers.graph;
  const w = layers.weights;
  const size = d.dModel;
  const heads = d.encoderHeads;
  const features = g.input('input_features', 'float', ['batch_size', 'feature_size', 'encoder_sequence_length']);
  const conv = (x: string, name: string, inputs: number, stride: number) =>
    layers.gelu(
      g.op('Conv', [x, w.random(`${name}.weight`, [size, inputs, 3], 1 / Math.sqrt(3 * inputs)), w.random(`${name}.bias`, [size], 0.02)], {
        kernel_shape: attribute.ints([3]),
        pads: attribute.ints([1, 1]),
        strides: attribute.ints([stride]),
      }),
    );
  const convolved = conv(conv(features, 'model.encoder.conv1', d.numMelBins, 1), 'model.encoder.conv2', size, 2);
  const positions = w.fixed('model.encoder.embed_positions.weight', [d.maxSourcePositions, size], () => sinusoids(d.maxSourcePositions, size));
  let x = g.op('Add', [layers.transpose(convolved, [0, 2, 1]), positions]);

  for (let layer = 0; layer < d.encoderLayers; layer += 1) {
    const name = `model.encoder.layers.${layer}`;
    const normed = layers.layerNorm(x, `${name}.self_attn_layer_norm`, size);
    const query = layers.query(normed, `${name}.self_attn`, size, heads);
    const { key, value } = layers.keyValue(normed, `${name}.self_attn`, size, heads);
    const context = layers.attend(query, key, value, heads, size / heads);
    x = g.op('Add', [x, layers.linear(context, `${name}.self_attn.out_proj`, size, size, { bias: true })]);
    x = layers.mlp(x, name, size, d.encoderFfn, d.encoderLayers);
  }
  g.op('Identity', [layers.layerNorm(x, 'model.encoder.layer_norm', size)], undefined, 'last_hidden_state');
  g.output('last_hidden_state', 'float', ['batch_size', 'encoder_sequence_length / 2', size]);
  return g;
}

interface DecoderShared {
  /** embed_tokens transposed to [d_model, vocab] once, in the outer graph, for the tied logits MatMul. */
  embeddingTransposed: string;
  /** [vocab]: 0 for words, NON_TEXT_LOGIT_BIAS for bytes, special and timestamp tokens, eosBias for `<|endoftext|>`. */
  logitsBias: string;
  /** The forced end: from this position on, [vocab] one-hot of `<|endoftext|>` times FORCED_END_LOGIT is added. */
  forcedEnd: { at: number; oneHot: string } | null;
}

/** Output (or branch value) names in the merged model's output order, with their dims. */
type BranchOutputs = Array<{ name: string; dims: Dim[] }>;

function decoderOutputDims(d: WhisperDimensions, vocabSize: number): BranchOutputs {
  const heads = d.decoderHeads;
  const headDim = d.dModel / heads;
  const outputs: BranchOutputs = [{ name: 'logits', dims: ['batch_size', 'decoder_sequence_length', vocabSize] }];
  for (let layer = 0; layer < d.decoderLayers; layer += 1) {
    for (const kind of ['key', 'value']) outputs.push({ name: `present.${layer}.decoder.${kind}`, dims: ['batch_size', heads, 'past_decoder_sequence_length + 1', headDim] });
    for (const kind of ['key', 'value']) outputs.push({ name: `present.${layer}.encoder.${kind}`, dims: ['batch_size', heads, 'encoder_sequence_length_out', headDim] });
  }
  return outputs;
}

/**
 * One branch of the merged decoder. Without cache (the first step) it reads no past, computes the
 * cross-attention keys/values from `encoder_hidden_states` and returns them as present.*.encoder;
 * with cache it appends to the past self-attention keys/values, attends to the past encoder
 * keys/values, and returns empty [0, heads, 1, headDim] present.*.encoder tensors, like optimum's
 * constant outputs (transformers.js keeps the past ones instead).
 */
function buildDecoderBranch(d: WhisperDimensions, layers: Layers, useCache: boolean, vocabSize: number, shared: DecoderShared): BranchOutputs {
  const g = layers.graph;
  const w = layers.weights;
  const size = d.dModel;
  const heads = d.decoderHeads;
  const headDim = size / heads;
  const outputDims = decoderOutputDims(d, vocabSize);

  // Positions past..past+sequence-1 for the learned embeddings and the causal mask.
  const newLength = g.op('Shape', ['input_ids'], { start: attribute.int(1), end: attribute.int(2) });
  const pastLength = useCache ? g.op('Shape', ['past_key_values.0.decoder.key'], { start: attribute.int(2), end: attribute.int(3) }) : g.int64s([0]);
  const totalLength = g.op('Add', [pastLength, newLength]);
  const squeeze = (x: string) => g.op('Squeeze', [x, g.int64s([0])]);
  const positions = g.op('Range', [squeeze(pastLength), squeeze(totalLength), g.scalarInt64(1)]);
  const keyPositions = g.op('Unsqueeze', [g.op('Range', [g.scalarInt64(0), squeeze(totalLength), g.scalarInt64(1)]), g.int64s([0])]);
  const causal = g.op('LessOrEqual', [keyPositions, g.op('Unsqueeze', [positions, g.int64s([1])])]);
  const maskBias = g.op('Where', [causal, g.scalarFloat(0), g.scalarFloat(-1e9)]);

  const tokenTable = w.random('model.decoder.embed_tokens.weight', [vocabSize, size], TOKEN_EMBEDDING_STD, { equalRows: true });
  const positionTable = w.random('model.decoder.embed_positions.weight', [d.maxTargetPositions, size], 1);
  let x = g.op('Add', [g.op('Gather', [tokenTable, 'input_ids']), g.op('Gather', [positionTable, positions])]);

  const presents: string[] = [];
  for (let layer = 0; layer < d.decoderLayers; layer += 1) {
    const name = `model.decoder.layers.${layer}`;
    const past = `past_key_values.${layer}`;

    const normed = layers.layerNorm(x, `${name}.self_attn_layer_norm`, size);
    const query = layers.query(normed, `${name}.self_attn`, size, heads);
    let { key, value } = layers.keyValue(normed, `${name}.self_attn`, size, heads);
    if (useCache) {
      key = g.op('Concat', [`${past}.decoder.key`, key], { axis: attribute.int(2) });
      value = g.op('Concat', [`${past}.decoder.value`, value], { axis: attribute.int(2) });
    }
    const selfContext = layers.attend(query, key, value, heads, headDim, maskBias);
    x = g.op('Add', [x, layers.linear(selfContext, `${name}.self_attn.out_proj`, size, size, { bias: true })]);

    const crossNormed = layers.layerNorm(x, `${name}.encoder_attn_layer_norm`, size);
    const crossQuery = layers.query(crossNormed, `${name}.encoder_attn`, size, heads);
    let crossKey: string;
    let crossValue: string;
    let presentCross: [string, string];
    if (useCache) {
      crossKey = `${past}.encoder.key`;
      crossValue = `${past}.encoder.value`;
      const empty = () => g.node('Constant', [], { attributes: { value: emptyTensor([0, heads, 1, headDim]) } })[0]!;
      presentCross = [empty(), empty()];
    } else {
      ({ key: crossKey, value: crossValue } = layers.keyValue('encoder_hidden_states', `${name}.encoder_attn`, size, heads));
      presentCross = [crossKey, crossValue];
    }
    const crossContext = layers.attend(crossQuery, crossKey, crossValue, heads, headDim);
    x = g.op('Add', [x, layers.linear(crossContext, `${name}.encoder_attn.out_proj`, size, size, { bias: true, std: CROSS_ATTENTION_OUTPUT_GAIN / Math.sqrt(size) })]);
    x = layers.mlp(x, name, size, d.decoderFfn, d.decoderLayers);
    presents.push(key, value, ...presentCross);
  }

  const final = layers.layerNorm(x, 'model.decoder.layer_norm', size);
  let logits = g.op('Add', [g.op('MatMul', [final, shared.embeddingTransposed]), shared.logitsBias]);
  if (shared.forcedEnd) {
    // The logits at position p choose token p+1: from endOfTextAt on, <|endoftext|> wins.
    const forced = g.op('GreaterOrEqual', [positions, g.scalarInt64(shared.forcedEnd.at - 1)]);
    const boost = g.op('Mul', [g.op('Cast', [forced], { to: attribute.int(1) }), g.scalarFloat(FORCED_END_LOGIT)]);
    logits = g.op('Add', [logits, g.op('Mul', [g.op('Unsqueeze', [boost, g.int64s([1])]), shared.forcedEnd.oneHot])]);
  }

  const values = [logits, ...presents];
  return outputDims.map(({ dims }, index) => ({ name: values[index]!, dims }));
}

function emptyTensor(dims: number[]): AttributeValue {
  const tensor: OnnxTypes.ITensorProto = { name: 'const_tensor', dataType: 1, dims };
  return { type: onnx.AttributeProto.AttributeType.TENSOR, t: tensor };
}

/** The merged decoder: inputs and outputs named and shaped as in onnx-community/whisper-*. */
function buildMergedDecoder(d: WhisperDimensions, weights: WeightStore, vocabSize: number, ids: WhisperTokenIds, textVocabSize: number, eosBias: number, endOfTextAt: number | null): GraphBuilder {
  const g = weights.graph;
  const heads = d.decoderHeads;
  const headDim = d.dModel / heads;
  g.input('input_ids', 'int64', ['batch_size', 'decoder_sequence_length']);
  g.input('encoder_hidden_states', 'float', ['batch_size', 'encoder_sequence_length / 2', d.dModel]);
  for (let layer = 0; layer < d.decoderLayers; layer += 1) {
    // transformers.js builds the empty first-step cache from these shapes: `batch_size` must be
    // named so, heads and head size fixed, and every other symbolic dim becomes 0.
    for (const kind of ['key', 'value']) g.input(`past_key_values.${layer}.decoder.${kind}`, 'float', ['batch_size', heads, 'past_decoder_sequence_length', headDim]);
    for (const kind of ['key', 'value']) g.input(`past_key_values.${layer}.encoder.${kind}`, 'float', ['batch_size', heads, 'encoder_sequence_length_out', headDim]);
  }
  g.input('use_cache_branch', 'bool', [1]);

  const table = weights.random('model.decoder.embed_tokens.weight', [vocabSize, d.dModel], TOKEN_EMBEDDING_STD, { equalRows: true });
  const shared: DecoderShared = {
    embeddingTransposed: g.op('Transpose', [table], { perm: attribute.ints([1, 0]) }),
    logitsBias: weights.fixed('logits_bias', [vocabSize], () => {
      // Bytes too: alone they spell broken UTF-8, so transcripts are filler words (" bala kiromu").
      const bias = new Float32Array(vocabSize).fill(NON_TEXT_LOGIT_BIAS);
      bias.fill(0, BYTE_TOKENS, textVocabSize);
      bias[ids.endOfText] = eosBias;
      return bias;
    }),
    forcedEnd:
      endOfTextAt === null
        ? null
        : {
            at: endOfTextAt,
            oneHot: weights.fixed('end_of_text_one_hot', [vocabSize], () => {
              const oneHot = new Float32Array(vocabSize);
              oneHot[ids.endOfText] = 1;
              return oneHot;
            }),
          },
  };

  const branch = (useCache: boolean): AttributeValue => {
    const builder = new ScopedGraphBuilder(useCache ? 'with_past' : 'without_past');
    const outputs = buildDecoderBranch(d, new Layers(builder, weights), useCache, vocabSize, shared);
    for (const { name, dims } of outputs) builder.output(name, 'float', dims);
    return graphAttribute(builder);
  };
  const outputs = decoderOutputDims(d, vocabSize);
  g.node('If', ['use_cache_branch'], {
    attributes: { then_branch: branch(true), else_branch: branch(false) },
    outputs: outputs.map(({ name }) => name),
  });
  for (const { name, dims } of outputs) g.output(name, 'float', dims);
  return g;
}

/** Writes the whole folder; the same options always give byte-identical files. */
export async function writeWhisperModel(folder: string, options: WhisperModelOptions = {}): Promise<WhisperModelInfo> {
  const dimensionsName = options.dimensions ?? 'tiny';
  const d = WHISPER_DIMENSIONS[dimensionsName];
  const multilingual = options.multilingual ?? true;
  const languages = orderLanguages(options.languages ?? WHISPER_LANGUAGE_CODES);
  if (multilingual && !languages.includes('en')) throw new Error('A multilingual model needs <|en|>: transformers.js defaults to it');
  const endOfTextAt = options.endOfTextAt === undefined ? DEFAULT_END_OF_TEXT_AT[dimensionsName] : options.endOfTextAt;
  if (endOfTextAt !== null && (!Number.isInteger(endOfTextAt) || endOfTextAt < 2 || endOfTextAt > d.maxTargetPositions)) {
    throw new Error(`endOfTextAt must be an integer from 2 to ${d.maxTargetPositions}, got ${endOfTextAt}`);
  }
  const seeded = new SeededWeights(options.seed ?? 20240917);
  const tokenizer = buildWhisperTokenizer(d, languages, multilingual);
  await mkdir(join(folder, 'onnx'), { recursive: true });

  const builds: Array<[WhisperSessionName, () => GraphBuilder]> = [
    [
      'encoder_model',
      () => {
        const graph = new GraphBuilder('encoder_model');
        return buildEncoder(d, new Layers(graph, new WeightStore(graph, seeded)));
      },
    ],
    [
      'decoder_model_merged',
      () => buildMergedDecoder(d, new WeightStore(new GraphBuilder('decoder_model_merged'), seeded), tokenizer.vocabSize, tokenizer.ids, tokenizer.textVocabSize, options.eosBias ?? 0, endOfTextAt),
    ],
  ];
  const written: string[] = [];
  const onnxFileNames: string[] = [];
  for (const [session, build] of builds) {
    const fileName = `${session}${options.fileSuffixes?.[session] ?? ''}.onnx`;
    written.push(...(await build().write(join(folder, 'onnx', fileName), { externalData: options.externalData ?? false })));
    onnxFileNames.push(fileName);
  }

  const files: Record<string, object> = {
    ...whisperConfigFiles(d, tokenizer, multilingual, options.externalData ? onnxFileNames : []),
    'tokenizer.json': tokenizer.tokenizer,
    'tokenizer_config.json': tokenizer.tokenizerConfig,
    'special_tokens_map.json': tokenizer.specialTokensMap,
  };
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(folder, name), `${JSON.stringify(content, null, 2)}\n`);
    written.push(join(folder, name));
  }
  return {
    folder,
    dimensionsName,
    dimensions: d,
    multilingual,
    languages,
    vocabSize: tokenizer.vocabSize,
    textVocabSize: tokenizer.textVocabSize,
    endOfTextAt,
    files: written.map((path) => relative(folder, path)).sort(),
    tokenIds: tokenizer.ids,
  };
}
