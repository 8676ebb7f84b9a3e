import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { createLogger } from '../core/log.js';
import { ModelError } from '../core/models/model-error.js';
import { loadOnDevice } from '../core/models/embedded/device.js';
import { assertModelPresent, chooseDtypes, locateModel, parseDtypeSetting, SMOLVLM_SESSIONS } from '../core/models/embedded/model-folder.js';
import { InvalidDtypeSettingError, ModelFilesMissingError } from '../core/models/embedded/model-folder-errors.js';
import { toSmolVlmPrompt } from '../core/models/embedded/smolvlm-messages.js';
import { TokenQueue } from '../core/models/embedded/token-queue.js';
import { findPreset, onnxFiles } from '../core/models/presets.js';
import { modelSetupHint } from '../bots/model-setup-hints.js';
import { makeTempFolder } from './helpers/temp-folder.js';

function recordingLogger(): { logger: ReturnType<typeof createLogger>; lines: () => Array<Record<string, unknown>> } {
  let written = '';
  const sink = new Writable({ write: (chunk, _encoding, done) => ((written += String(chunk)), done()) });
  return {
    logger: createLogger({ level: 'info', destination: sink }),
    lines: () => written.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

test('chat messages become the template shape, images in order, audio refused by name', () => {
  const jpeg = (byte: number) => ({ type: 'file' as const, mediaType: 'image/jpeg', data: new Uint8Array([byte]) });
  const prompt = toSmolVlmPrompt(
    [
      { role: 'system', content: [{ type: 'text', text: 'rules' }] },
      { role: 'user', content: [jpeg(1), jpeg(2), { type: 'text', text: 'compare' }] },
    ],
    4,
  );
  assert.deepEqual(prompt.messages, [
    { role: 'system', content: [{ type: 'text', text: 'rules' }] },
    { role: 'user', content: [{ type: 'image' }, { type: 'image' }, { type: 'text', text: 'compare' }] },
  ]);
  assert.deepEqual(prompt.images.map((image) => image[0]), [1, 2]);
  assert.throws(
    () => toSmolVlmPrompt([{ role: 'user', content: [{ type: 'file', mediaType: 'audio/ogg', data: new Uint8Array() }] }], 4),
    (error: unknown) => error instanceof ModelError && error.kind === 'unsupported-input' && /audio\/ogg/.test(error.message),
  );
  assert.throws(() => toSmolVlmPrompt([{ role: 'user', content: [jpeg(1), jpeg(2)] }], 1), /at most 1 images/);
});

test('dtype settings map to the transformers.js file names', () => {
  assert.deepEqual(parseDtypeSetting('q4'), { vision_encoder: 'q4', embed_tokens: 'q4', decoder_model_merged: 'q4' });
  assert.deepEqual(parseDtypeSetting('vision_encoder=int8, decoder_model_merged=q4f16'), {
    vision_encoder: 'int8',
    decoder_model_merged: 'q4f16',
  });
  assert.equal(parseDtypeSetting(undefined), undefined);
  assert.throws(() => parseDtypeSetting('decoder=q4'), InvalidDtypeSettingError);
  assert.throws(
    () => parseDtypeSetting('decoder=q4'),
    (error: unknown) =>
      modelSetupHint(error) ===
      'VLM_DTYPE "decoder=q4" is not understood; expected one of fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4, or session=dtype pairs such as vision_encoder=int8,decoder_model_merged=q4.',
  );
  const preset = findPreset('smolvlm-256m')!;
  assert.deepEqual(onnxFiles(preset, 'cpu'), [
    'onnx/vision_encoder_int8.onnx',
    'onnx/embed_tokens_int8.onnx',
    'onnx/decoder_model_merged_q4.onnx',
  ]);
  assert.deepEqual(onnxFiles(preset, 'cuda'), [
    'onnx/vision_encoder_fp16.onnx',
    'onnx/embed_tokens_fp16.onnx',
    'onnx/decoder_model_merged_q4f16.onnx',
  ]);
});

test('a folder prepared by hand: dtypes follow the files present; missing files name the fix', () => {
  const folder = makeTempFolder();
  try {
    const modelFolder = join(folder.path, 'my-model');
    mkdirSync(join(modelFolder, 'onnx'), { recursive: true });
    for (const file of ['vision_encoder.onnx', 'embed_tokens_quantized.onnx', 'decoder_model_merged_q4.onnx', 'decoder_model_merged.onnx']) {
      writeFileSync(join(modelFolder, 'onnx', file), '');
    }
    const location = locateModel(modelFolder, '/unused');
    assert.equal(location.preset, undefined);
    assert.deepEqual(chooseDtypes(location, 'cpu', SMOLVLM_SESSIONS), { vision_encoder: 'fp32', embed_tokens: 'q8', decoder_model_merged: 'q4' });
    assert.deepEqual(chooseDtypes(location, 'cpu', SMOLVLM_SESSIONS, { decoder_model_merged: 'fp32' }).decoder_model_merged, 'fp32');
    assert.throws(
      () => assertModelPresent(location, chooseDtypes(location, 'cpu', SMOLVLM_SESSIONS), 'cpu'),
      (error: unknown) => error instanceof ModelFilesMissingError && /is missing .*config\.json and 3 more files/.test(modelSetupHint(error) ?? ''),
    );

    const preset = locateModel('SmolVLM-500M', join(folder.path, 'models'));
    assert.equal(preset.preset?.name, 'smolvlm-500m');
    assert.throws(
      () => assertModelPresent(preset, chooseDtypes(preset, 'cuda', SMOLVLM_SESSIONS), 'cuda'),
      (error: unknown) =>
        error instanceof ModelFilesMissingError &&
        modelSetupHint(error) === 'The vision model smolvlm-500m is not installed. Run: npm run models -- pull smolvlm-500m --device cuda',
    );
  } finally {
    folder.remove();
  }
});

test('device: cuda falls back to cpu when the provider libraries are absent, with one log line', async () => {
  const { logger, lines } = recordingLogger();
  const tried: string[] = [];
  const result = await loadOnDevice('cuda', async (device) => (tried.push(device), device), {
    logger,
    checkCuda: () => 'libonnxruntime_providers_cuda.so not found',
  });
  assert.equal(result.device, 'cpu');
  assert.deepEqual(tried, ['cpu']);
  assert.equal(lines().length, 1);
  assert.match(String(lines()[0]!.msg), /CUDA not used: libonnxruntime_providers_cuda\.so not found; running on CPU/);
});

test('device: auto falls back to cpu when CUDA session creation throws; cpu never tries CUDA', async () => {
  const { logger, lines } = recordingLogger();
  const tried: string[] = [];
  const result = await loadOnDevice(
    'auto',
    async (device) => {
      tried.push(device);
      if (device === 'cuda') throw new Error('libcudnn.so.9: cannot open shared object file');
      return device;
    },
    { logger, checkCuda: () => undefined },
  );
  assert.equal(result.device, 'cpu');
  assert.deepEqual(tried, ['cuda', 'cpu']);
  assert.match(String(lines()[0]!.msg), /CUDA session creation failed; running on CPU/);

  const cpuOnly: string[] = [];
  await loadOnDevice('cpu', async (device) => cpuOnly.push(device), { logger, checkCuda: () => undefined });
  assert.deepEqual(cpuOnly, ['cpu']);
});

test('the token queue hands over text in order, then the end or the failure', async () => {
  const queue = new TokenQueue();
  setTimeout(() => {
    queue.push('a');
    queue.push('');
    queue.push('b');
    setTimeout(() => queue.fail(new Error('broke')), 1);
  }, 1);
  const received: string[] = [];
  await assert.rejects(async () => {
    for await (const text of queue.drain()) received.push(text);
  }, /broke/);
  assert.deepEqual(received, ['a', 'b']);
});
