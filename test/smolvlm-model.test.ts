import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  AutoModelForVision2Seq,
  AutoProcessor,
  env,
  RawImage,
  TextStreamer,
  type PreTrainedModel,
  type Processor,
  type Tensor,
} from '@huggingface/transformers';
import { makeTempFolder } from './helpers/temp-folder.js';
import { writeSmolVlmModel, type SmolVlmModelInfo, type SmolVlmModelOptions } from './models/smolvlm-model.js';

// Hugging Face is unreachable here: everything loads from the generated folders.
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = '';

const temp = makeTempFolder();
after(() => temp.remove());

let folderCount = 0;
async function writeModel(options: SmolVlmModelOptions = {}): Promise<SmolVlmModelInfo> {
  folderCount += 1;
  return writeSmolVlmModel(join(temp.path, `model-${folderCount}`), options);
}

/** A small real PNG, decoded by transformers.js itself. Horizontal bands keep it deterministic. */
async function makeImage(top: [number, number, number], bottom: [number, number, number]): Promise<RawImage> {
  const width = 64;
  const height = 48;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    const colour = y < height / 2 ? top : bottom;
    for (let x = 0; x < width; x += 1) pixels.set(colour.map((channel) => (channel + x * 2) % 256), (y * width + x) * 3);
  }
  const png = await sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
  return RawImage.fromBlob(new Blob([png]));
}

type DtypeMap = Record<'vision_encoder' | 'embed_tokens' | 'decoder_model_merged', 'fp32' | 'q4'>;

async function load(folder: string, dtype: 'fp32' | DtypeMap = 'fp32'): Promise<{ processor: Processor; model: PreTrainedModel }> {
  const processor = await AutoProcessor.from_pretrained(folder, { local_files_only: true });
  const model = await AutoModelForVision2Seq.from_pretrained(folder, { dtype, device: 'cpu', local_files_only: true });
  return { processor, model };
}

interface Answer {
  newTokenIds: number[];
  streamed: string;
  imageTokenCount: number;
}

/** The embedded backend's path: chat template, processor, greedy generate with a streamer. */
async function ask(loaded: { processor: Processor; model: PreTrainedModel }, images: RawImage[], question: string): Promise<Answer> {
  const { processor, model } = loaded;
  const messages = [{ role: 'user', content: [...images.map(() => ({ type: 'image' })), { type: 'text', text: question }] }];
  const prompt = processor.apply_chat_template(messages, { add_generation_prompt: true }) as string;
  const inputs = await processor(prompt, images, { do_image_splitting: false });
  const promptIds = (inputs.input_ids as Tensor).tolist()[0] as bigint[];
  const imageTokenId = Number((model.config as unknown as { image_token_id: number }).image_token_id);
  let streamed = '';
  const streamer = new TextStreamer(processor.tokenizer!, { skip_prompt: true, callback_function: (text: string) => (streamed += text) });
  const output = (await model.generate({ ...inputs, max_new_tokens: 8, do_sample: false, streamer })) as Tensor;
  const allIds = (output.tolist()[0] as bigint[]).map(Number);
  return {
    newTokenIds: allIds.slice(promptIds.length),
    streamed,
    imageTokenCount: promptIds.filter((id) => Number(id) === imageTokenId).length,
  };
}

async function folderBytes(info: SmolVlmModelInfo): Promise<Map<string, Buffer>> {
  const entries = await Promise.all(info.files.map(async (file) => [file, await readFile(join(info.folder, file))] as const));
  return new Map(entries);
}

test('the same options write byte-identical folders, and another seed does not', async () => {
  for (const externalData of [false, true]) {
    const first = await folderBytes(await writeModel({ externalData }));
    const second = await folderBytes(await writeModel({ externalData }));
    assert.deepEqual([...first.keys()], [...second.keys()]);
    for (const [file, bytes] of first) assert.ok(bytes.equals(second.get(file)!), `${file} differs between two writes`);
  }
  const first = await folderBytes(await writeModel({ externalData: true }));
  const reseeded = await folderBytes(await writeModel({ externalData: true, seed: 7 }));
  assert.ok(!reseeded.get('onnx/decoder_model_merged.onnx_data')!.equals(first.get('onnx/decoder_model_merged.onnx_data')!));
});

test('the tiny folder is small and lists what it wrote', async () => {
  const info = await writeModel();
  const sizes = await Promise.all(info.files.map(async (file) => (await stat(join(info.folder, file))).size));
  const total = sizes.reduce((sum, size) => sum + size, 0);
  assert.ok(total < 1_000_000, `tiny folder is ${total} bytes`);
  for (const file of ['config.json', 'tokenizer.json', 'onnx/vision_encoder.onnx', 'onnx/embed_tokens.onnx', 'onnx/decoder_model_merged.onnx']) {
    assert.ok(info.files.includes(file), `${file} missing from ${info.files.join(', ')}`);
  }
  const config = JSON.parse(await readFile(join(info.folder, 'config.json'), 'utf8'));
  assert.equal(config.text_config.num_hidden_layers, info.numLayers);
  assert.equal(config.image_token_id, info.tokenIds.image);
  const processorConfig = JSON.parse(await readFile(join(info.folder, 'processor_config.json'), 'utf8'));
  assert.equal(processorConfig.image_seq_len, info.imageSeqLen);
});

test('the tokenizer keeps the image and turn tokens whole and round-trips text', async () => {
  const info = await writeModel();
  const { processor } = await load(info.folder);
  const tokenizer = processor.tokenizer!;
  const ids = tokenizer.encode('<|im_start|>User:<fake_token_around_image><global-img><image><row_2_col_3>Hi é<end_of_utterance>', { add_special_tokens: false });
  assert.equal(ids[0], info.tokenIds.imStart);
  assert.equal(ids[6], info.tokenIds.fakeTokenAroundImage);
  assert.equal(ids[8], info.tokenIds.image);
  assert.equal(ids.at(-1), info.tokenIds.endOfUtterance);
  assert.equal(tokenizer.decode(tokenizer.encode('A blue door, 3 steps; café', { add_special_tokens: false })), 'A blue door, 3 steps; café');
  assert.ok(Math.max(...ids) < info.vocabSize);
});

test('transformers.js loads the folder and generates from one image, streaming the answer', async () => {
  const info = await writeModel();
  const loaded = await load(info.folder);
  const red = await makeImage([220, 30, 30], [240, 240, 240]);
  const answer = await ask(loaded, [red], 'What is in this image?');
  assert.equal(answer.imageTokenCount, info.imageSeqLen);
  assert.ok(answer.newTokenIds.length > 0 && answer.newTokenIds.length <= 8);
  assert.ok(answer.newTokenIds.every((id) => id >= 0 && id < info.vocabSize));
  const decoded = loaded.processor.tokenizer!.decode(answer.newTokenIds, { skip_special_tokens: true });
  assert.equal(answer.streamed, decoded);
  assert.ok(answer.streamed.trim().length > 0, 'nothing was streamed');

  // Greedy decoding is deterministic, and the answer depends on both the image and the question.
  assert.deepEqual((await ask(loaded, [red], 'What is in this image?')).newTokenIds, answer.newTokenIds);
  const blue = await makeImage([20, 40, 230], [10, 10, 10]);
  assert.notDeepEqual((await ask(loaded, [blue], 'What is in this image?')).newTokenIds, answer.newTokenIds);
  assert.notDeepEqual((await ask(loaded, [red], 'Read the sign.')).newTokenIds, answer.newTokenIds);
});

test('two images in one prompt each get their own image tokens', async () => {
  const info = await writeModel();
  const loaded = await load(info.folder);
  const images = [await makeImage([220, 30, 30], [240, 240, 240]), await makeImage([20, 40, 230], [10, 10, 10])];
  const answer = await ask(loaded, images, 'Which is darker?');
  assert.equal(answer.imageTokenCount, 2 * info.imageSeqLen);
  assert.ok(answer.newTokenIds.length > 0);
});

test('external data files load and answer exactly like the inline folder', async () => {
  const image = await makeImage([30, 160, 60], [250, 250, 0]);
  const inline = await writeModel();
  const external = await writeModel({ externalData: true });
  assert.ok(external.files.includes('onnx/decoder_model_merged.onnx_data'));
  const decoderSize = (await stat(join(external.folder, 'onnx/decoder_model_merged.onnx'))).size;
  assert.ok(decoderSize < 50_000, `the external-data graph still holds ${decoderSize} bytes`);
  const expected = await ask(await load(inline.folder), [image], 'Describe it.');
  assert.deepEqual((await ask(await load(external.folder), [image], 'Describe it.')).newTokenIds, expected.newTokenIds);
});

test('suffixed files are what a dtype map loads', async () => {
  const info = await writeModel({ suffixes: { decoder_model_merged: '_q4' } });
  assert.ok(info.files.includes('onnx/decoder_model_merged_q4.onnx'));
  assert.ok(!info.files.includes('onnx/decoder_model_merged.onnx'));
  const loaded = await load(info.folder, { vision_encoder: 'fp32', embed_tokens: 'fp32', decoder_model_merged: 'q4' });
  const answer = await ask(loaded, [await makeImage([200, 200, 200], [0, 0, 0])], 'What is this?');
  assert.ok(answer.newTokenIds.length > 0);
  await assert.rejects(load(info.folder, 'fp32'), /decoder_model_merged\.onnx/);
});

test('int8 MatMuls give a working model that stays close to fp32', async () => {
  const image = await makeImage([120, 60, 200], [255, 255, 255]);
  const fp32 = await ask(await load((await writeModel()).folder), [image], 'What colour?');
  const int8 = await ask(await load((await writeModel({ int8: true })).folder), [image], 'What colour?');
  assert.ok(int8.newTokenIds.length > 0);
  assert.equal(int8.newTokenIds[0], fp32.newTokenIds[0]);
});

test('image splitting in preprocessor_config.json adds a frame per tile plus the global image', async () => {
  const info = await writeModel({ imageSplitting: true });
  const { processor, model } = await load(info.folder);
  const image = await makeImage([220, 30, 30], [240, 240, 240]);
  const messages = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'Hi' }] }];
  const prompt = processor.apply_chat_template(messages, { add_generation_prompt: true }) as string;
  assert.match(prompt, /^<\|im_start\|>User:<image>Hi<end_of_utterance>\nAssistant:$/);
  const inputs = await processor(prompt, [image]);
  // 64×48 scales to 256×192 (size.longest_edge is 4 frames), then 4×3 tiles of 64 plus the global frame.
  assert.deepEqual((inputs.pixel_values as Tensor).dims, [1, 13, 3, 64, 64]);
  const output = (await model.generate({ ...inputs, max_new_tokens: 3, do_sample: false })) as Tensor;
  assert.ok(output.dims[1]! > (inputs.input_ids as Tensor).dims[1]!);
});
