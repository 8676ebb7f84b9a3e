import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  AutoModelForSpeechSeq2Seq,
  AutoProcessor,
  env,
  pipeline,
  Tensor,
  type AutomaticSpeechRecognitionPipeline,
  type PreTrainedModel,
  type Processor,
} from '@huggingface/transformers';
import { makeTempFolder } from './helpers/temp-folder.js';
import { buildWhisperTokenizer, WHISPER_LANGUAGE_CODES } from './models/whisper-files.js';
import { WHISPER_DIMENSIONS, writeWhisperModel, type WhisperModelInfo, type WhisperModelOptions } from './models/whisper-model.js';

// Hugging Face is unreachable here: everything loads from the generated folders.
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = '';

const temp = makeTempFolder();
after(() => temp.remove());

let folderCount = 0;
async function writeModel(options: WhisperModelOptions = {}): Promise<WhisperModelInfo> {
  folderCount += 1;
  return writeWhisperModel(join(temp.path, `whisper-${folderCount}`), options);
}

const SAMPLE_RATE = 16000;

/** A deterministic pseudo-random stream in [-0.5, 0.5) (an LCG: no Math.random in tests). */
function noiseSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296 - 0.5;
  };
}

/** Voiced "syllables": a gliding pitch with harmonics, 4 Hz amplitude bursts and a little breath noise. */
function speechLike(seconds: number, seed = 1): Float32Array {
  const noise = noiseSource(seed);
  return Float32Array.from({ length: SAMPLE_RATE * seconds }, (_, index) => {
    const time = index / SAMPLE_RATE;
    const pitch = 140 + 30 * Math.sin(2 * Math.PI * 0.7 * time);
    const phase = 2 * Math.PI * pitch * time;
    const voiced = Math.sin(phase) + 0.5 * Math.sin(2 * phase) + 0.25 * Math.sin(3 * phase);
    const envelope = Math.max(0, Math.sin(2 * Math.PI * 4 * time));
    return 0.25 * voiced * envelope + 0.02 * noise();
  });
}

function tone(seconds: number, frequency: number): Float32Array {
  return Float32Array.from({ length: SAMPLE_RATE * seconds }, (_, index) => 0.5 * Math.sin((2 * Math.PI * frequency * index) / SAMPLE_RATE));
}

function whiteNoise(seconds: number, seed = 7): Float32Array {
  const noise = noiseSource(seed);
  return Float32Array.from({ length: SAMPLE_RATE * seconds }, () => 0.6 * noise());
}

async function loadPipeline(folder: string, dtype: 'fp32' | 'q8' = 'fp32'): Promise<AutomaticSpeechRecognitionPipeline> {
  return (await pipeline('automatic-speech-recognition', folder, { local_files_only: true, device: 'cpu', dtype })) as AutomaticSpeechRecognitionPipeline;
}

async function loadModel(folder: string): Promise<{ processor: Processor; model: PreTrainedModel }> {
  const processor = await AutoProcessor.from_pretrained(folder, { local_files_only: true });
  const model = await AutoModelForSpeechSeq2Seq.from_pretrained(folder, { local_files_only: true, device: 'cpu', dtype: 'fp32' });
  return { processor, model };
}

function ids(rows: number[][]): Tensor {
  return new Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [rows.length, rows[0]!.length]);
}

function rowOf(tensor: Tensor): number[] {
  return (tensor.tolist() as bigint[][])[0]!.map(Number);
}

function promptOf(info: WhisperModelInfo, language = 'en'): number[] {
  const t = info.tokenIds;
  return [t.startOfTranscript, t.languages[language]!, t.transcribe, t.noTimestamps];
}

// One model, pipeline and set of log-mel features, shared by the tests that only read them.
const shared = (async () => {
  const info = await writeModel();
  const { processor, model } = await loadModel(info.folder);
  const features = async (audio: Float32Array) => (await processor(audio)).input_features as Tensor;
  return {
    info,
    processor,
    model,
    speech: await features(speechLike(3)),
    tone: await features(tone(3, 300)),
    noise: await features(whiteNoise(3)),
  };
})();

async function generateTokens(model: PreTrainedModel, inputFeatures: Tensor, options: Record<string, unknown> = {}): Promise<number[]> {
  return rowOf((await model.generate({ inputs: inputFeatures, ...options })) as Tensor);
}

async function folderBytes(info: WhisperModelInfo): Promise<Map<string, Buffer>> {
  return new Map(await Promise.all(info.files.map(async (file) => [file, await readFile(join(info.folder, file))] as const)));
}

test('the same options write byte-identical folders, another seed does not, and the tiny folder is small', async () => {
  const first = await writeModel();
  const second = await writeModel();
  const firstBytes = await folderBytes(first);
  const secondBytes = await folderBytes(second);
  assert.deepEqual([...firstBytes.keys()], [...secondBytes.keys()]);
  for (const [file, bytes] of firstBytes) assert.ok(bytes.equals(secondBytes.get(file)!), `${file} differs between two writes`);
  const reseeded = await folderBytes(await writeModel({ seed: 7 }));
  assert.ok(!reseeded.get('onnx/decoder_model_merged.onnx')!.equals(firstBytes.get('onnx/decoder_model_merged.onnx')!));

  const total = [...firstBytes.values()].reduce((sum, bytes) => sum + bytes.length, 0);
  assert.ok(total < 1_500_000, `tiny folder is ${total} bytes`);
  assert.deepEqual(first.files, [
    'config.json',
    'generation_config.json',
    'onnx/decoder_model_merged.onnx',
    'onnx/encoder_model.onnx',
    'preprocessor_config.json',
    'special_tokens_map.json',
    'tokenizer.json',
    'tokenizer_config.json',
  ]);
});

test('token ids follow the real Whisper layout, and the configs state them', async () => {
  // At the real size the ids are exactly whisper-base's and whisper-base.en's.
  const base = WHISPER_DIMENSIONS['whisper-base'];
  const full = buildWhisperTokenizer(base, WHISPER_LANGUAGE_CODES, true);
  assert.deepEqual([full.ids.endOfText, full.ids.startOfTranscript, full.ids.languages['en'], full.ids.languages['zh']], [50257, 50258, 50259, 50260]);
  assert.deepEqual([full.ids.translate, full.ids.transcribe, full.ids.startOfPrev, full.ids.noTimestamps, full.ids.timestampBegin], [50358, 50359, 50361, 50363, 50364]);
  assert.equal(full.vocabSize, 51865);
  const englishOnly = buildWhisperTokenizer(base, WHISPER_LANGUAGE_CODES, false);
  assert.deepEqual([englishOnly.ids.endOfText, englishOnly.ids.startOfTranscript, englishOnly.ids.noTimestamps, englishOnly.vocabSize], [50256, 50257, 50362, 51864]);

  const { info } = await shared;
  const t = info.tokenIds;
  assert.equal(info.languages.length, 99);
  assert.equal(t.endOfText, info.textVocabSize);
  assert.equal(t.startOfTranscript, t.endOfText + 1);
  assert.equal(t.languages['en'], t.startOfTranscript + 1);
  assert.equal(t.languages['zh'], t.startOfTranscript + 2);
  assert.equal(t.translate, t.startOfTranscript + 1 + info.languages.length);
  assert.deepEqual([t.transcribe, t.startOfLm, t.startOfPrev, t.noSpeech, t.noTimestamps], [1, 2, 3, 4, 5].map((offset) => t.translate + offset));
  assert.equal(t.timestampBegin, t.noTimestamps + 1);
  assert.equal(info.vocabSize, t.timestampBegin + 1501);

  const read = async (file: string) => JSON.parse(await readFile(join(info.folder, file), 'utf8'));
  const config = await read('config.json');
  assert.equal(config.model_type, 'whisper');
  assert.equal(config.vocab_size, info.vocabSize);
  assert.equal(config.decoder_layers, info.dimensions.decoderLayers);
  const generation = await read('generation_config.json');
  assert.equal(generation.decoder_start_token_id, t.startOfTranscript);
  assert.equal(generation.no_timestamps_token_id, t.noTimestamps);
  assert.equal(generation.lang_to_id['<|de|>'], t.languages['de']);
  assert.deepEqual(generation.task_to_id, { transcribe: t.transcribe, translate: t.translate });
  assert.deepEqual(generation.begin_suppress_tokens, [220, t.endOfText]);
  assert.equal(generation.max_length, 448);

  // transformers.js finds the timestamps from <|notimestamps|> and from the last special token.
  const tokenizer = (await shared).processor.tokenizer as unknown as { timestamp_begin: number; all_special_ids: number[] };
  assert.equal(tokenizer.timestamp_begin, t.timestampBegin);
  assert.equal(tokenizer.all_special_ids.at(-1), t.noTimestamps);
});

test('the tokenizer round-trips text and decodes timestamps', async () => {
  const { info, processor } = await shared;
  const tokenizer = processor.tokenizer!;
  const text = 'A blue door, 3 steps; café';
  const encoded = tokenizer.encode(text, { add_special_tokens: false });
  assert.ok(encoded.every((id) => id < info.textVocabSize));
  assert.equal(tokenizer.decode(encoded), text);
  const t = info.tokenIds;
  const word = info.textVocabSize - 1;
  const decoded = tokenizer.decode([...promptOf(info).slice(0, 3), t.timestampBegin + 50, word, t.timestampBegin + 75, word], { decode_with_timestamps: true } as never);
  assert.match(decoded, /^<\|startoftranscript\|><\|en\|><\|transcribe\|><\|1\.00\|> \w+<\|1\.50\|> \w+$/);
});

test('the decoder session has the merged export contract transformers.js builds its cache from', async () => {
  const { info, model } = await shared;
  const sessions = (model as unknown as { sessions: Record<string, { inputNames: string[]; outputNames: string[]; inputMetadata: Array<{ name: string; shape: Array<string | number> }> }> }).sessions;
  const { decoderHeads: heads, dModel, decoderLayers } = info.dimensions;
  const headDim = dModel / heads;
  const encoder = sessions['model']!;
  assert.deepEqual(encoder.inputNames, ['input_features']);
  assert.deepEqual(encoder.outputNames, ['last_hidden_state']);

  const decoder = sessions['decoder_model_merged']!;
  const perLayer = (prefix: string) =>
    Array.from({ length: decoderLayers }, (_, layer) => ['decoder.key', 'decoder.value', 'encoder.key', 'encoder.value'].map((kind) => `${prefix}.${layer}.${kind}`)).flat();
  assert.deepEqual(decoder.inputNames, ['input_ids', 'encoder_hidden_states', ...perLayer('past_key_values'), 'use_cache_branch']);
  assert.deepEqual(decoder.outputNames, ['logits', ...perLayer('present')]);
  const shapes = Object.fromEntries(decoder.inputMetadata.map(({ name, shape }) => [name, shape]));
  assert.deepEqual(shapes['past_key_values.0.decoder.key'], ['batch_size', heads, 'past_decoder_sequence_length', headDim]);
  assert.deepEqual(shapes['past_key_values.0.encoder.value'], ['batch_size', heads, 'encoder_sequence_length_out', headDim]);
  assert.deepEqual(shapes['encoder_hidden_states'], ['batch_size', 'encoder_sequence_length / 2', dModel]);
  assert.deepEqual(shapes['use_cache_branch'], [1]);
});

test('the pipeline transcribes: with and without a language, deterministically, and audio-dependently', async () => {
  const { info } = await shared;
  const asr = await loadPipeline(info.folder);

  const speech = speechLike(3);
  const english = (await asr(speech, { language: 'english', task: 'transcribe', max_new_tokens: 12 })) as { text: string };
  assert.equal(typeof english.text, 'string');
  assert.match(english.text, /^( [a-z]+){10}$/, 'ten filler words (endOfTextAt 14), each with its leading space');
  // No language on a multilingual model: transformers.js warns and uses <|en|>; the same audio gives
  // the same text, so this also shows the transcript is deterministic.
  assert.deepEqual(await asr(speech, { max_new_tokens: 12 }), english);
  // Other audio, another transcript: a test downstream can tell the audio reached the model.
  const toneText = ((await asr(tone(3, 300), { language: 'english', max_new_tokens: 12 })) as { text: string }).text;
  assert.notEqual(toneText, english.text);
  await asr.dispose();
});

test('a tone and noise generate different tokens, the same audio the same ones', async () => {
  const { info, model, tone: toneFeatures, noise, speech } = await shared;
  const prompt = promptOf(info);
  const fromTone = await generateTokens(model, toneFeatures, { decoder_input_ids: [prompt], max_new_tokens: 8 });
  const fromNoise = await generateTokens(model, noise, { decoder_input_ids: [prompt], max_new_tokens: 8 });
  assert.deepEqual(fromTone.slice(0, 4), prompt);
  assert.notDeepEqual(fromTone, fromNoise);
  assert.deepEqual(await generateTokens(model, toneFeatures, { decoder_input_ids: [prompt], max_new_tokens: 8 }), fromTone);
  // Every generated token is a word: bytes, special and timestamp tokens are biased away.
  const fromSpeech = await generateTokens(model, speech, { language: 'en', max_new_tokens: 8 });
  for (const id of [fromTone, fromNoise, fromSpeech].flatMap((tokens) => tokens.slice(prompt.length))) {
    assert.ok(id >= 256 && id < info.textVocabSize, `token ${id} is not a word`);
  }
});

test('generate with explicit decoder_input_ids and the default end of text', async () => {
  const { info, model, speech } = await shared;
  const prompt = promptOf(info);
  const five = await generateTokens(model, speech, { decoder_input_ids: [prompt], max_new_tokens: 5 });
  assert.equal(five.length, prompt.length + 5);
  assert.deepEqual(five.slice(0, 4), prompt);

  // With no length limit, <|endoftext|> comes at position endOfTextAt (14 for tiny): 10 words.
  const unlimited = await generateTokens(model, speech, { language: 'en' });
  assert.equal(unlimited.length, info.endOfTextAt! + 1);
  assert.equal(unlimited.at(-1), info.tokenIds.endOfText);
  assert.deepEqual(unlimited.slice(0, 9), five);
});

test('the cached decoder steps give the logits and tokens of a full recompute', async () => {
  const { info, model, speech } = await shared;
  type Outputs = Record<string, Tensor>;
  const forward = (inputs: Record<string, unknown>) => (model as unknown as { forward(inputs: Record<string, unknown>): Promise<Outputs> }).forward(inputs);
  const encoderSession = (model as unknown as { sessions: Record<string, { run(feeds: Record<string, unknown>): Promise<Record<string, { type: string; data: Float32Array; dims: number[] }>> }> }).sessions['model']!;
  const encoded = (await encoderSession.run({ input_features: (speech as unknown as { ort_tensor: unknown }).ort_tensor }))['last_hidden_state']!;
  const encoderOutputs = new Tensor('float32', encoded.data, encoded.dims);
  assert.deepEqual(encoderOutputs.dims, [1, 1500, info.dimensions.dModel]);

  // What generate applies: suppress_tokens always, begin_suppress_tokens at the first new token.
  const generation = model.generation_config as unknown as { suppress_tokens: number[]; begin_suppress_tokens: number[] };
  const greedy = (logits: Float32Array, first: boolean): number => {
    const banned = new Set([...generation.suppress_tokens, ...(first ? generation.begin_suppress_tokens : [])]);
    let best = -1;
    for (let id = 0; id < logits.length; id += 1) if (!banned.has(id) && (best < 0 || logits[id]! > logits[best]!)) best = id;
    return best;
  };
  const lastRow = (logits: Tensor): Float32Array => {
    const vocab = logits.dims[2]!;
    return (logits.data as Float32Array).slice(logits.data.length - vocab);
  };

  // Cached: the prompt without cache, then one token at a time through use_cache_branch.
  const prompt = promptOf(info);
  const steps = 6;
  let outputs = await forward({ encoder_outputs: encoderOutputs, decoder_input_ids: ids([prompt]) });
  const past: Record<string, Tensor> = {};
  const keepPresent = (result: Outputs) => {
    for (const [name, tensor] of Object.entries(result)) {
      if (!name.startsWith('present.')) continue;
      // Like transformers.js: the encoder entries come from the first step, and later steps return
      // optimum's empty placeholders for them.
      if (name.includes('.encoder.') && name.replace('present', 'past_key_values') in past) {
        assert.equal(tensor.dims[0], 0, `${name} of a cached step is a placeholder`);
        continue;
      }
      past[name.replace('present', 'past_key_values')] = tensor;
    }
  };
  keepPresent(outputs);
  assert.deepEqual(past['past_key_values.0.encoder.key']!.dims, [1, info.dimensions.decoderHeads, 1500, info.dimensions.dModel / info.dimensions.decoderHeads]);
  const cachedTokens: number[] = [];
  const cachedLogits: Float32Array[] = [lastRow(outputs['logits']!)];
  for (let step = 0; step < steps; step += 1) {
    const next = greedy(cachedLogits.at(-1)!, step === 0);
    cachedTokens.push(next);
    outputs = await forward({ encoder_outputs: encoderOutputs, decoder_input_ids: ids([[next]]), past_key_values: { ...past } });
    assert.deepEqual(outputs['logits']!.dims, [1, 1, info.vocabSize]);
    assert.equal(outputs['present.0.decoder.key']!.dims[2], prompt.length + step + 1);
    keepPresent(outputs);
    cachedLogits.push(lastRow(outputs['logits']!));
  }

  // Full recompute of the whole sequence without cache, row by row.
  const full = await forward({ encoder_outputs: encoderOutputs, decoder_input_ids: ids([[...prompt, ...cachedTokens]]) });
  const fullLogits = full['logits']!;
  const vocab = info.vocabSize;
  for (let step = 0; step <= steps; step += 1) {
    const row = (fullLogits.data as Float32Array).subarray((prompt.length - 1 + step) * vocab, (prompt.length + step) * vocab);
    let largest = 0;
    for (let id = 0; id < vocab; id += 1) {
      if (Math.abs(row[id]!) < 1e3) largest = Math.max(largest, Math.abs(row[id]! - cachedLogits[step]![id]!));
    }
    assert.ok(largest < 1e-3, `step ${step}: cached logits differ from the full recompute by ${largest}`);
  }
  const recomputedTokens = Array.from({ length: steps }, (_, step) =>
    greedy((fullLogits.data as Float32Array).slice((prompt.length - 1 + step) * vocab, (prompt.length + step) * vocab), step === 0),
  );
  assert.deepEqual(recomputedTokens, cachedTokens);

  // And generate's own cache handling agrees.
  const generated = await generateTokens(model, speech, { decoder_input_ids: [prompt], max_new_tokens: steps });
  assert.deepEqual(generated.slice(prompt.length), cachedTokens);
});

test('chunk_length_s 30 splits 45 s of audio into two windows and joins their text', async () => {
  const { info } = await shared;
  const asr = await loadPipeline(info.folder);
  const model = asr.model as unknown as { generate: (...args: unknown[]) => Promise<unknown> };
  const original = model.generate.bind(model);
  let windows = 0;
  model.generate = (...args) => {
    windows += 1;
    return original(...args);
  };
  const audio = new Float32Array(SAMPLE_RATE * 45);
  audio.set(speechLike(20, 3));
  audio.set(tone(25, 440), SAMPLE_RATE * 20);
  const result = (await asr(audio, { language: 'english', chunk_length_s: 30, max_new_tokens: 6 })) as { text: string };
  assert.equal(windows, 2);
  assert.match(result.text, /^( [a-z]+)+$/);
  assert.ok(result.text.trim().split(' ').length > 6, `one window's words only: ${result.text}`);
  await asr.dispose();
});

test('options: English-only layout, a language subset, file suffixes, external data and the end-of-text position', async () => {
  const englishOnly = await writeModel({ multilingual: false, endOfTextAt: 6 });
  assert.equal(englishOnly.tokenIds.endOfText, englishOnly.textVocabSize);
  const { model: english } = await loadModel(englishOnly.folder);
  const { speech } = await shared;
  // The English-only prompt is <|startoftranscript|><|notimestamps|>, so 4 words before position 6.
  const tokens = await generateTokens(english, speech);
  assert.deepEqual(tokens.slice(0, 2), [englishOnly.tokenIds.startOfTranscript, englishOnly.tokenIds.noTimestamps]);
  assert.equal(tokens.length, 7);
  assert.equal(tokens.at(-1), englishOnly.tokenIds.endOfText);
  await assert.rejects(english.generate({ inputs: speech, language: 'english' } as never), /English-only/);

  const subset = await writeModel({ languages: ['fr', 'en', 'de'], fileSuffixes: { encoder_model: '_quantized', decoder_model_merged: '_quantized' } });
  assert.deepEqual(subset.languages, ['en', 'de', 'fr']);
  assert.deepEqual(Object.values(subset.tokenIds.languages), [1, 2, 3].map((offset) => subset.tokenIds.startOfTranscript + offset));
  assert.ok(subset.files.includes('onnx/encoder_model_quantized.onnx') && !subset.files.includes('onnx/encoder_model.onnx'));
  await assert.rejects(loadPipeline(subset.folder, 'fp32'), /encoder_model\.onnx/);
  const external = await writeModel({ externalData: true });
  assert.ok(external.files.includes('onnx/decoder_model_merged.onnx_data'));
  const { info, model, speech: sharedSpeech } = await shared;
  const { model: externalModel } = await loadModel(external.folder);
  const prompt = { decoder_input_ids: [promptOf(info)], max_new_tokens: 4 };
  assert.deepEqual(await generateTokens(externalModel, sharedSpeech, prompt), await generateTokens(model, sharedSpeech, prompt));

  const quantized = await loadPipeline(subset.folder, 'q8');
  const german = (await quantized(speechLike(2), { language: 'german', max_new_tokens: 4 })) as { text: string };
  assert.match(german.text, /^( [a-z]+){4}$/);
  await quantized.dispose();
});

test('a model id under env.localModelPath loads too', async () => {
  const { info } = await shared;
  env.localModelPath = `${dirname(info.folder)}/`;
  try {
    const asr = await loadPipeline(basename(info.folder));
    assert.equal((asr.model.config as unknown as { vocab_size: number }).vocab_size, info.vocabSize);
    await asr.dispose();
  } finally {
    env.localModelPath = '';
  }
});
