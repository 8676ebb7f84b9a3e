/**
 * Writes a SmolVLM (Idefics3) model folder with random weights that transformers.js loads exactly like
 * the real one: the same three ONNX sessions, input/output names, cache layout, configs, tokenizer and
 * chat template. `tiny` is for tests (a few hundred KB, milliseconds); `smolvlm-256m` has the real
 * shapes, so its cost is the real model's cost, for benchmarks without a network.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { attribute, GraphBuilder, quantizeSymmetric, SeededWeights } from './onnx-graph.js';
import {
  buildSmolVlmTokenizer,
  imageSeqLen,
  LAYER_NORM_EPSILON,
  RMS_NORM_EPSILON,
  ROPE_THETA,
  smolVlmConfigFiles,
  type SmolVlmDimensions,
  type SmolVlmTokenIds,
} from './smolvlm-files.js';

export type SmolVlmDimensionsName = 'tiny' | 'smolvlm-256m';
export type SmolVlmSessionName = 'vision_encoder' | 'embed_tokens' | 'decoder_model_merged';

export interface SmolVlmModelOptions {
  dimensions?: SmolVlmDimensionsName;
  /** Weights in `<file>.onnx_data` next to each graph (declared in config.json for transformers.js). */
  externalData?: boolean;
  /** File-name suffix per session, e.g. `{ decoder_model_merged: '_q4' }`; the graph stays fp32. */
  suffixes?: Partial<Record<SmolVlmSessionName, string>>;
  /** Big MatMuls as DynamicQuantizeLinear + MatMulInteger, like onnxruntime's quantize_dynamic. */
  int8?: boolean;
  /** `do_image_splitting` in preprocessor_config.json (default false, the CPU setting). */
  imageSplitting?: boolean;
  seed?: number;
}

export interface SmolVlmModelInfo {
  folder: string;
  imageSeqLen: number;
  vocabSize: number;
  numLayers: number;
  /** Paths written, relative to `folder`, sorted. */
  files: string[];
  tokenIds: SmolVlmTokenIds;
}

const DIMENSIONS: Record<SmolVlmDimensionsName, SmolVlmDimensions> = {
  tiny: {
    imageSize: 64, patchSize: 8, visionHidden: 16, visionLayers: 1, visionHeads: 2, visionIntermediate: 32,
    scaleFactor: 2, textHidden: 32, textLayers: 2, textHeads: 4, kvHeads: 2, headDim: 8, textIntermediate: 64,
    vocabSize: 384, firstImageTokenId: 344,
  },
  'smolvlm-256m': {
    imageSize: 512, patchSize: 16, visionHidden: 768, visionLayers: 12, visionHeads: 12, visionIntermediate: 3072,
    scaleFactor: 4, textHidden: 576, textLayers: 30, textHeads: 9, kvHeads: 3, headDim: 64, textIntermediate: 1536,
    vocabSize: 49280, firstImageTokenId: 49152,
  },
};

/** Scales `<end_of_utterance>`'s lm_head column so it wins for some contexts, not all. */
const END_OF_UTTERANCE_LOGIT_GAIN = 2.5;
/**
 * Query/key weights this many times the usual spread: random attention is otherwise nearly uniform,
 * which averages the image away and makes different images give the same greedy answer.
 */
const ATTENTION_SHARPNESS = 3;

/** Building blocks shared by the three graphs; weight names follow the Hugging Face checkpoint. */
class Layers {
  constructor(
    readonly graph: GraphBuilder,
    private readonly weights: SeededWeights,
    private readonly int8: boolean,
  ) {}

  reshape(x: string, shape: number[]): string {
    return this.graph.op('Reshape', [x, this.graph.int64s(shape)]);
  }

  transpose(x: string, perm: number[]): string {
    return this.graph.op('Transpose', [x], { perm: attribute.ints(perm) });
  }

  /** A random fp32 initializer named like the checkpoint's tensor. */
  random(name: string, dims: number[], std: number): string {
    const count = dims.reduce((product, dim) => product * dim, 1);
    return this.graph.initializer(name, this.weights.floats(name, count, std), dims);
  }

  /** Norm scales near 1, with some spread so each channel differs. */
  private scale(name: string, size: number): string {
    const values = this.weights.floats(name, size, 0.1).map((value) => value + 1);
    return this.graph.initializer(name, values, [size]);
  }

  linear(x: string, name: string, inputs: number, outputs: number, options: { bias?: boolean; std?: number; columnGain?: Map<number, number> } = {}): string {
    const values = this.weights.floats(`${name}.weight`, inputs * outputs, options.std ?? 1 / Math.sqrt(inputs));
    for (const [column, gain] of options.columnGain ?? []) {
      for (let row = 0; row < inputs; row += 1) values[row * outputs + column]! *= gain;
    }
    let y: string;
    if (this.int8) {
      const quantized = quantizeSymmetric(values);
      const weight = this.graph.initializer(`${name}.weight_quantized`, quantized.values, [inputs, outputs]);
      const [xQuantized, xScale, xZeroPoint] = this.graph.node('DynamicQuantizeLinear', [x], { outputs: 3 });
      const product = this.graph.op('MatMulInteger', [xQuantized!, weight, xZeroPoint!]);
      const scale = this.graph.op('Mul', [xScale!, this.graph.scalarFloat(quantized.scale)]);
      y = this.graph.op('Mul', [this.graph.op('Cast', [product], { to: attribute.int(1) }), scale]);
    } else {
      y = this.graph.op('MatMul', [x, this.graph.initializer(`${name}.weight`, values, [inputs, outputs])]);
    }
    if (!options.bias) return y;
    return this.graph.op('Add', [y, this.random(`${name}.bias`, [outputs], 0.02)]);
  }

  layerNorm(x: string, name: string, size: number): string {
    const bias = this.random(`${name}.bias`, [size], 0.02);
    return this.graph.op('LayerNormalization', [x, this.scale(`${name}.weight`, size), bias], {
      axis: attribute.int(-1),
      epsilon: attribute.float(LAYER_NORM_EPSILON),
    });
  }

  /** Llama's RMSNorm in the Pow/ReduceMean/Sqrt/Div form that onnxruntime fuses. */
  rmsNorm(x: string, name: string, size: number): string {
    const meanSquare = this.graph.op('ReduceMean', [this.graph.op('Pow', [x, this.graph.scalarFloat(2)])], {
      axes: attribute.ints([-1]),
    });
    const root = this.graph.op('Sqrt', [this.graph.op('Add', [meanSquare, this.graph.scalarFloat(RMS_NORM_EPSILON)])]);
    return this.graph.op('Mul', [this.graph.op('Div', [x, root]), this.scale(`${name}.weight`, size)]);
  }

  /** SigLIP's gelu_pytorch_tanh, written out because Gelu only joined the default domain in opset 20. */
  gelu(x: string): string {
    const g = this.graph;
    const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
    const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [cube, g.scalarFloat(0.044715)])]), g.scalarFloat(Math.sqrt(2 / Math.PI))]);
    const half = g.op('Mul', [x, g.scalarFloat(0.5)]);
    return g.op('Mul', [half, g.op('Add', [g.op('Tanh', [inner]), g.scalarFloat(1)])]);
  }
}

/** SigLIP: patch Conv, position embeddings, pre-LN layers, then Idefics3's pixel shuffle and projection. */
function buildVisionEncoder(d: SmolVlmDimensions, layers: Layers): GraphBuilder {
  const g = layers.graph;
  const size = d.imageSize;
  const grid = size / d.patchSize;
  const patches = grid * grid;
  const hidden = d.visionHidden;
  const heads = d.visionHeads;
  const headDim = hidden / heads;
  const pixelValues = g.input('pixel_values', 'float', ['batch_size', 'num_images', 3, size, size]);
  const pixelMask = g.input('pixel_attention_mask', 'bool', ['batch_size', 'num_images', size, size]);

  // A batch whose prompts hold different numbers of images pads with all-false frames; like the real
  // model, those are dropped so that the feature rows match the `<image>` tokens.
  const frames = layers.reshape(pixelValues, [-1, 3, size, size]);
  const maskPerFrame = layers.reshape(g.op('Cast', [pixelMask], { to: attribute.int(1) }), [-1, size * size]);
  const frameHasPixels = g.op('ReduceMax', [maskPerFrame], { axes: attribute.ints([1]), keepdims: attribute.int(0) });
  const realFrames = g.op('Compress', [frames, g.op('Cast', [frameHasPixels], { to: attribute.int(9) })], { axis: attribute.int(0) });

  const prefix = 'model.vision_model';
  const patchEmbeddings = g.op('Conv', [
    realFrames,
    layers.random(`${prefix}.embeddings.patch_embedding.weight`, [hidden, 3, d.patchSize, d.patchSize], 1 / Math.sqrt(3 * d.patchSize ** 2)),
    layers.random(`${prefix}.embeddings.patch_embedding.bias`, [hidden], 0.02),
  ], { kernel_shape: attribute.ints([d.patchSize, d.patchSize]), strides: attribute.ints([d.patchSize, d.patchSize]) });
  let x = layers.transpose(layers.reshape(patchEmbeddings, [0, hidden, patches]), [0, 2, 1]);
  x = g.op('Add', [x, layers.random(`${prefix}.embeddings.position_embedding.weight`, [patches, hidden], 0.1)]);

  for (let layer = 0; layer < d.visionLayers; layer += 1) {
    const name = `${prefix}.encoder.layers.${layer}`;
    const normed = layers.layerNorm(x, `${name}.layer_norm1`, hidden);
    const split = (projection: string) => {
      const std = (projection === 'v_proj' ? 1 : ATTENTION_SHARPNESS) / Math.sqrt(hidden);
      return layers.reshape(layers.linear(normed, `${name}.self_attn.${projection}`, hidden, hidden, { bias: true, std }), [0, patches, heads, headDim]);
    };
    const query = g.op('Mul', [layers.transpose(split('q_proj'), [0, 2, 1, 3]), g.scalarFloat(1 / Math.sqrt(headDim))]);
    const keyTransposed = layers.transpose(split('k_proj'), [0, 2, 3, 1]);
    const value = layers.transpose(split('v_proj'), [0, 2, 1, 3]);
    const probabilities = g.op('Softmax', [g.op('MatMul', [query, keyTransposed])], { axis: attribute.int(-1) });
    const context = layers.reshape(layers.transpose(g.op('MatMul', [probabilities, value]), [0, 2, 1, 3]), [0, patches, hidden]);
    x = g.op('Add', [x, layers.linear(context, `${name}.self_attn.out_proj`, hidden, hidden, { bias: true })]);
    const mlpInput = layers.layerNorm(x, `${name}.layer_norm2`, hidden);
    const expanded = layers.gelu(layers.linear(mlpInput, `${name}.mlp.fc1`, hidden, d.visionIntermediate, { bias: true }));
    x = g.op('Add', [x, layers.linear(expanded, `${name}.mlp.fc2`, d.visionIntermediate, hidden, { bias: true })]);
  }
  x = layers.layerNorm(x, `${prefix}.post_layernorm`, hidden);

  // Idefics3Connector.pixel_shuffle: each s×s block of patches becomes one row of s²·hidden values.
  const s = d.scaleFactor;
  x = layers.transpose(layers.reshape(x, [-1, grid, grid / s, hidden * s]), [0, 2, 1, 3]);
  x = layers.transpose(layers.reshape(x, [-1, grid / s, grid / s, hidden * s * s]), [0, 2, 1, 3]);
  x = layers.reshape(x, [-1, patches / (s * s), hidden * s * s]);
  const features = layers.linear(x, 'model.connector.modality_projection.proj', hidden * s * s, d.textHidden);
  g.op('Identity', [features], undefined, 'image_features');
  g.output('image_features', 'float', ['num_frames', patches / (s * s), d.textHidden]);
  return g;
}

function buildEmbedTokens(d: SmolVlmDimensions, layers: Layers): GraphBuilder {
  const g = layers.graph;
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const table = layers.random('model.text_model.embed_tokens.weight', [d.vocabSize, d.textHidden], 1);
  g.op('Gather', [table, inputIds], undefined, 'inputs_embeds');
  g.output('inputs_embeds', 'float', ['batch_size', 'sequence_length', d.textHidden]);
  return g;
}

/** Llama decoder over a key/value cache: RMSNorm, RoPE, grouped-query attention, gated SiLU MLP. */
function buildDecoder(d: SmolVlmDimensions, layers: Layers, endOfUtteranceId: number): GraphBuilder {
  const g = layers.graph;
  const hidden = d.textHidden;
  const { headDim, kvHeads, textHeads: heads } = d;
  const groups = heads / kvHeads;
  const inputsEmbeds = g.input('inputs_embeds', 'float', ['batch_size', 'sequence_length', hidden]);
  const attentionMask = g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length']);
  const positionIds = g.input('position_ids', 'int64', ['batch_size', 'sequence_length']);
  g.output('logits', 'float', ['batch_size', 'sequence_length', d.vocabSize]);
  for (let layer = 0; layer < d.textLayers; layer += 1) {
    // transformers.js builds the empty first cache from these shapes: `batch_size` must be named so,
    // heads and head size fixed.
    for (const kind of ['key', 'value']) g.input(`past_key_values.${layer}.${kind}`, 'float', ['batch_size', kvHeads, 'past_sequence_length', headDim]);
  }

  // Rotary tables from position_ids, shaped [batch, 1, sequence, headDim] to broadcast over heads.
  const inverseFrequencies = Array.from({ length: headDim / 2 }, (_, index) => ROPE_THETA ** (-(2 * index) / headDim));
  const positions = g.op('Unsqueeze', [g.op('Cast', [positionIds], { to: attribute.int(1) }), g.int64s([-1])]);
  const angles = g.op('Mul', [positions, g.floats(inverseFrequencies)]);
  const fullAngles = g.op('Unsqueeze', [g.op('Concat', [angles, angles], { axis: attribute.int(-1) }), g.int64s([1])]);
  const cos = g.op('Cos', [fullAngles]);
  const sin = g.op('Sin', [fullAngles]);
  const rotate = (x: string) => {
    const half = headDim / 2;
    const first = g.op('Slice', [x, g.int64s([0]), g.int64s([half]), g.int64s([-1])]);
    const second = g.op('Slice', [x, g.int64s([half]), g.int64s([headDim]), g.int64s([-1])]);
    const rotated = g.op('Concat', [g.op('Neg', [second]), first], { axis: attribute.int(-1) });
    return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotated, sin])]);
  };

  // Causal + padding mask over past+new positions, [batch, 1, 1, sequence, total] for the 5-D scores.
  const totalLength = g.op('Shape', [attentionMask], { start: attribute.int(1), end: attribute.int(2) });
  const newLength = g.op('Shape', [inputsEmbeds], { start: attribute.int(1), end: attribute.int(2) });
  const total = g.op('Squeeze', [totalLength, g.int64s([0])]);
  const past = g.op('Squeeze', [g.op('Sub', [totalLength, newLength]), g.int64s([0])]);
  const keyPositions = g.op('Unsqueeze', [g.op('Range', [g.scalarInt64(0), total, g.scalarInt64(1)]), g.int64s([0])]);
  const queryPositions = g.op('Unsqueeze', [g.op('Range', [past, total, g.scalarInt64(1)]), g.int64s([1])]);
  const causal = g.op('LessOrEqual', [keyPositions, queryPositions]);
  const notPadding = g.op('Unsqueeze', [g.op('Cast', [attentionMask], { to: attribute.int(9) }), g.int64s([1, 2, 3])]);
  const maskBias = g.op('Where', [g.op('And', [causal, notPadding]), g.scalarFloat(0), g.scalarFloat(-1e9)]);

  let x = inputsEmbeds;
  const outputStd = 1 / Math.sqrt(2 * d.textLayers);
  for (let layer = 0; layer < d.textLayers; layer += 1) {
    const name = `model.text_model.layers.${layer}`;
    const normed = layers.rmsNorm(x, `${name}.input_layernorm`, hidden);
    const headsFirst = (projection: string, count: number) => {
      const std = (projection === 'v_proj' ? 1 : ATTENTION_SHARPNESS) / Math.sqrt(hidden);
      const projected = layers.linear(normed, `${name}.self_attn.${projection}`, hidden, count * headDim, { std });
      return layers.transpose(layers.reshape(projected, [0, 0, count, headDim]), [0, 2, 1, 3]);
    };
    // Query heads grouped under their key/value head: [batch, kvHeads, groups, sequence, headDim],
    // so one broadcasting MatMul serves every group without copying the cache.
    const query = layers.reshape(rotate(headsFirst('q_proj', heads)), [0, kvHeads, groups, -1, headDim]);
    const presentKey = g.op('Concat', [`past_key_values.${layer}.key`, rotate(headsFirst('k_proj', kvHeads))], { axis: attribute.int(2) }, `present.${layer}.key`);
    const presentValue = g.op('Concat', [`past_key_values.${layer}.value`, headsFirst('v_proj', kvHeads)], { axis: attribute.int(2) }, `present.${layer}.value`);
    // Unsqueeze first, so the Transpose feeds the MatMul directly: onnxruntime folds it into the MatMul
    // (FusedMatMul transB) instead of copying the whole key cache at every step. The real export's
    // attention reads the cache without that copy too.
    const keyTransposed = layers.transpose(g.op('Unsqueeze', [presentKey, g.int64s([2])]), [0, 1, 2, 4, 3]);
    const scores = g.op('MatMul', [g.op('Mul', [query, g.scalarFloat(1 / Math.sqrt(headDim))]), keyTransposed]);
    const probabilities = g.op('Softmax', [g.op('Add', [scores, maskBias])], { axis: attribute.int(-1) });
    const context = g.op('MatMul', [probabilities, g.op('Unsqueeze', [presentValue, g.int64s([2])])]);
    const merged = layers.reshape(layers.transpose(layers.reshape(context, [0, heads, -1, headDim]), [0, 2, 1, 3]), [0, 0, heads * headDim]);
    x = g.op('Add', [x, layers.linear(merged, `${name}.self_attn.o_proj`, heads * headDim, hidden, { std: outputStd / Math.sqrt(heads * headDim) })]);

    const mlpInput = layers.rmsNorm(x, `${name}.post_attention_layernorm`, hidden);
    const gate = layers.linear(mlpInput, `${name}.mlp.gate_proj`, hidden, d.textIntermediate);
    const up = layers.linear(mlpInput, `${name}.mlp.up_proj`, hidden, d.textIntermediate);
    const activated = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
    x = g.op('Add', [x, layers.linear(activated, `${name}.mlp.down_proj`, d.textIntermediate, hidden, { std: outputStd / Math.sqrt(d.textIntermediate) })]);
    g.output(`present.${layer}.key`, 'float', ['batch_size', kvHeads, 'total_sequence_length', headDim]);
    g.output(`present.${layer}.value`, 'float', ['batch_size', kvHeads, 'total_sequence_length', headDim]);
  }
  const final = layers.rmsNorm(x, 'model.text_model.norm', hidden);
  const logits = layers.linear(final, 'lm_head', hidden, d.vocabSize, {
    std: 2 / Math.sqrt(hidden),
    columnGain: new Map([[endOfUtteranceId, END_OF_UTTERANCE_LOGIT_GAIN]]),
  });
  g.op('Identity', [logits], undefined, 'logits');
  return g;
}

/** Writes the whole folder; the same options always give byte-identical files. */
export async function writeSmolVlmModel(folder: string, options: SmolVlmModelOptions = {}): Promise<SmolVlmModelInfo> {
  const dimensionsName = options.dimensions ?? 'tiny';
  const d = DIMENSIONS[dimensionsName];
  const weights = new SeededWeights(options.seed ?? 20240917);
  const tokenizer = buildSmolVlmTokenizer(d.vocabSize, d.firstImageTokenId);
  await mkdir(join(folder, 'onnx'), { recursive: true });

  const sessions: Array<[SmolVlmSessionName, (layers: Layers) => GraphBuilder]> = [
    ['vision_encoder', (layers) => buildVisionEncoder(d, layers)],
    ['embed_tokens', (layers) => buildEmbedTokens(d, layers)],
    ['decoder_model_merged', (layers) => buildDecoder(d, layers, tokenizer.ids.endOfUtterance)],
  ];
  const written: string[] = [];
  const onnxFileNames: string[] = [];
  for (const [session, build] of sessions) {
    const fileName = `${session}${options.suffixes?.[session] ?? ''}.onnx`;
    // The embedding table is a Gather, not a MatMul: int8 leaves it in fp32.
    const quantize = (options.int8 ?? false) && session !== 'embed_tokens';
    const graph = build(new Layers(new GraphBuilder(session), weights, quantize));
    written.push(...(await graph.write(join(folder, 'onnx', fileName), { externalData: options.externalData ?? false })));
    onnxFileNames.push(fileName);
  }

  const files: Record<string, object> = {
    ...smolVlmConfigFiles(d, tokenizer.ids, options.imageSplitting ?? false, options.externalData ? onnxFileNames : []),
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
    imageSeqLen: imageSeqLen(d),
    vocabSize: d.vocabSize,
    numLayers: d.textLayers,
    files: written.map((path) => relative(folder, path)).sort(),
    tokenIds: tokenizer.ids,
  };
}
