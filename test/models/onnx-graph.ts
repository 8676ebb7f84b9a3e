/**
 * A small graph builder over onnx-proto for generating test models. Everything it writes is a pure
 * function of its inputs (no clocks, no Math.random), so the same build gives the same bytes.
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import onnxProtoModule from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

// onnx-proto is CommonJS: under Node's ESM loader only its default export is visible.
const { onnx } = onnxProtoModule;

export type Dim = number | string;

/** ONNX TensorProto.DataType codes for the element types these models use. */
export const DataType = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 } as const;
export type DataTypeName = keyof typeof DataType;

export type TensorValues = Float32Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;

/** Opset 17 is the newest that keeps ReduceMean's axes as an attribute and has LayerNormalization. */
export const DEFAULT_OPSET = 17;
/** ONNX IR version that goes with opset 17. */
const IR_VERSION = 8;

export type AttributeValue = OnnxTypes.IAttributeProto;

/** Typed attribute constructors: a bare number could not tell an int from a float. */
export const attribute = {
  int: (value: number): AttributeValue => ({ type: onnx.AttributeProto.AttributeType.INT, i: value }),
  float: (value: number): AttributeValue => ({ type: onnx.AttributeProto.AttributeType.FLOAT, f: value }),
  ints: (values: number[]): AttributeValue => ({ type: onnx.AttributeProto.AttributeType.INTS, ints: values }),
  string: (value: string): AttributeValue => ({
    type: onnx.AttributeProto.AttributeType.STRING,
    s: new TextEncoder().encode(value),
  }),
};

interface Initializer {
  name: string;
  dataType: number;
  dims: number[];
  bytes: Uint8Array;
}

function dataTypeOf(values: TensorValues): number {
  if (values instanceof Float32Array) return DataType.float;
  if (values instanceof BigInt64Array) return DataType.int64;
  if (values instanceof Int32Array) return DataType.int32;
  if (values instanceof Int8Array) return DataType.int8;
  return DataType.uint8;
}

function valueInfo(name: string, type: DataTypeName, dims: readonly Dim[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DataType[type],
        shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}

export interface NodeOptions {
  attributes?: Record<string, AttributeValue>;
  /** How many outputs to name automatically, or their names. */
  outputs?: number | string[];
  domain?: string;
}

export class GraphBuilder {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly opsets = new Map<string, number>([['', DEFAULT_OPSET]]);
  private readonly constantsByKey = new Map<string, string>();
  private nameCounter = 0;

  constructor(readonly name: string) {}

  /** Sequential names keep the output deterministic and the graph readable in Netron. */
  uniqueName(prefix: string): string {
    this.nameCounter += 1;
    return `${prefix}_${this.nameCounter}`;
  }

  input(name: string, type: DataTypeName, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: DataTypeName, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  initializer(name: string, values: TensorValues, dims: readonly number[]): string {
    const expected = dims.reduce((product, dim) => product * dim, 1);
    if (expected !== values.length) throw new Error(`${name}: ${values.length} values for dims [${dims.join(', ')}]`);
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    this.initializers.push({ name, dataType: dataTypeOf(values), dims: [...dims], bytes });
    return name;
  }

  /** Shape vectors, axes and scalars, shared when repeated so the graph stays small. */
  int64s(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.sharedConstant('int64', dims, values, () => BigInt64Array.from(values, (value) => BigInt(value)));
  }

  floats(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.sharedConstant('float', dims, values, () => Float32Array.from(values));
  }

  scalarFloat(value: number): string {
    return this.floats([value], []);
  }

  scalarInt64(value: number): string {
    return this.int64s([value], []);
  }

  private sharedConstant(kind: string, dims: readonly number[], values: readonly number[], make: () => TensorValues): string {
    const key = `${kind}:${dims.join('x')}:${values.join(',')}`;
    const existing = this.constantsByKey.get(key);
    if (existing) return existing;
    const name = this.initializer(this.uniqueName(`const_${kind}`), make(), dims);
    this.constantsByKey.set(key, name);
    return name;
  }

  node(opType: string, inputs: readonly string[], options: NodeOptions = {}): string[] {
    const outputNames =
      typeof options.outputs === 'object'
        ? options.outputs
        : Array.from({ length: options.outputs ?? 1 }, () => this.uniqueName(opType.toLowerCase()));
    const domain = options.domain ?? '';
    if (domain !== '' && !this.opsets.has(domain)) this.opsets.set(domain, 1);
    this.nodes.push({
      opType,
      domain,
      name: this.uniqueName(`node_${opType}`),
      input: [...inputs],
      output: outputNames,
      attribute: Object.entries(options.attributes ?? {}).map(([name, value]) => ({ ...value, name })),
    });
    return outputNames;
  }

  /** The common single-output case. */
  op(opType: string, inputs: readonly string[], attributes?: Record<string, AttributeValue>, outputName?: string): string {
    const [output] = this.node(opType, inputs, { attributes, outputs: outputName ? [outputName] : 1 });
    return output!;
  }

  /**
   * Encodes the model as a list of byte chunks to be written one after another. Initializers of at
   * least `thresholdBytes` go to the external data file `dataFileName` (ORT resolves it next to the
   * .onnx file); smaller ones stay inline, because ORT needs shape constants in the graph itself.
   */
  serialize(external?: { dataFileName: string; thresholdBytes: number }): { modelChunks: Uint8Array[]; dataChunks: Uint8Array[] } {
    const inline: OnnxTypes.ITensorProto[] = [];
    const appended: Initializer[] = [];
    const dataChunks: Uint8Array[] = [];
    let offset = 0;
    for (const tensor of this.initializers) {
      const header = { name: tensor.name, dataType: tensor.dataType, dims: tensor.dims };
      if (!external || tensor.bytes.byteLength < external.thresholdBytes) {
        if (tensor.bytes.byteLength < APPEND_THRESHOLD_BYTES) inline.push({ ...header, rawData: tensor.bytes });
        else appended.push(tensor);
        continue;
      }
      // Page-aligned offsets for big tensors, as onnx's own saver writes them, so ORT may memory-map them.
      const alignment = tensor.bytes.byteLength >= 1 << 20 ? 4096 : 64;
      const padding = (alignment - (offset % alignment)) % alignment;
      if (padding > 0) dataChunks.push(new Uint8Array(padding));
      offset += padding;
      dataChunks.push(tensor.bytes);
      inline.push({
        ...header,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: external.dataFileName },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(tensor.bytes.byteLength) },
        ],
      });
      offset += tensor.bytes.byteLength;
    }
    const model = onnx.ModelProto.encode({
      irVersion: IR_VERSION,
      producerName: 'seed-assistant test model generator',
      opsetImport: [...this.opsets].map(([domain, version]) => ({ domain, version })),
      graph: { name: this.name, node: this.nodes, initializer: inline, input: this.inputs, output: this.outputs },
    }).finish();
    return { modelChunks: [model, ...appended.flatMap(appendedInitializer)], dataChunks };
  }

  /** Writes `path` and, with external data, `<path>_data` next to it. Returns the paths written. */
  async write(path: string, options: { externalData?: boolean; thresholdBytes?: number } = {}): Promise<string[]> {
    const dataPath = `${path}_data`;
    const { modelChunks, dataChunks } = this.serialize(
      options.externalData ? { dataFileName: basename(dataPath), thresholdBytes: options.thresholdBytes ?? 1024 } : undefined,
    );
    await writeChunks(path, modelChunks);
    if (!options.externalData) return [path];
    await writeChunks(dataPath, dataChunks);
    return [path, dataPath];
  }
}

/** Inline tensors above this size are appended after the encoded model instead of copied into it. */
const APPEND_THRESHOLD_BYTES = 1 << 14;
const MODEL_GRAPH_FIELD = 7;
const GRAPH_INITIALIZER_FIELD = 5;
const TENSOR_RAW_DATA_FIELD = 9;

function lengthDelimitedHeader(fieldNumber: number, length: number): Uint8Array {
  const bytes = [(fieldNumber << 3) | 2];
  for (let rest = length; ; rest = Math.floor(rest / 128)) {
    if (rest < 128) {
      bytes.push(rest);
      break;
    }
    bytes.push((rest % 128) | 128);
  }
  return Uint8Array.from(bytes);
}

/**
 * A big tensor as a trailing `graph { initializer { ... } }` fragment. Protobuf parsers merge repeated
 * occurrences of a message field, so ORT reads it as one more initializer of the same graph, and the
 * weights go to disk without being copied into one model-sized buffer first.
 */
function appendedInitializer(tensor: Initializer): Uint8Array[] {
  const tensorHeader = onnx.TensorProto.encode({ name: tensor.name, dataType: tensor.dataType, dims: tensor.dims }).finish();
  const rawDataHeader = lengthDelimitedHeader(TENSOR_RAW_DATA_FIELD, tensor.bytes.byteLength);
  const tensorLength = tensorHeader.byteLength + rawDataHeader.byteLength + tensor.bytes.byteLength;
  const initializerHeader = lengthDelimitedHeader(GRAPH_INITIALIZER_FIELD, tensorLength);
  const graphHeader = lengthDelimitedHeader(MODEL_GRAPH_FIELD, initializerHeader.byteLength + tensorLength);
  return [graphHeader, initializerHeader, tensorHeader, rawDataHeader, tensor.bytes];
}

async function writeChunks(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const handle = await open(path, 'w');
  try {
    for (const chunk of chunks) await handle.write(chunk);
  } finally {
    await handle.close();
  }
}

/** FNV-1a, to give every weight its own stream: a tensor's values do not depend on build order. */
export function hashText(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Seeded random weights keyed by name. Uniform rather than Gaussian: cheaper, and only the spread matters. */
export class SeededWeights {
  constructor(private readonly seed: number) {}

  /** Values with mean 0 and standard deviation `std` (uniform on ±std·√3). */
  floats(name: string, count: number, std: number): Float32Array {
    // mulberry32, inlined: a closure call per value made the 256M-weight model much slower to write.
    let state = hashText(name, this.seed);
    const halfWidth = std * Math.sqrt(3);
    const step = (2 * halfWidth) / 4294967296;
    const values = new Float32Array(count);
    for (let index = 0; index < count; index += 1) {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      values[index] = ((t ^ (t >>> 14)) >>> 0) * step - halfWidth;
    }
    return values;
  }
}

/**
 * Per-tensor symmetric int8 quantization, as onnxruntime's quantize_dynamic does by default, so an
 * int8 model built from the same seed approximates the fp32 one.
 */
export function quantizeSymmetric(values: Float32Array): { values: Int8Array; scale: number } {
  let largest = 0;
  for (const value of values) largest = Math.max(largest, Math.abs(value));
  const scale = largest > 0 ? largest / 127 : 1;
  const quantized = new Int8Array(values.length);
  for (let index = 0; index < values.length; index += 1) quantized[index] = Math.round(values[index]! / scale);
  return { values: quantized, scale };
}
