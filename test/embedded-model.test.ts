import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../core/log.js';
import { ModelError } from '../core/models/model-error.js';
import { EmbeddedVisionModel, type EmbeddedModelOptions } from '../core/models/embedded/embedded-vision-model.js';
import { ModelFilesMissingError } from '../core/models/embedded/model-folder-errors.js';
import { modelSetupHint } from '../bots/model-setup-hints.js';
import type { ChatMessage, GenerateRequest, VisionLanguageModel } from '../core/models/index.js';
import { imageOf, makeHarness } from './helpers/assistant-harness.js';
import { solidJpeg } from './helpers/images.js';
import { runEntry } from './helpers/run-cli.js';
import { makeTempFolder } from './helpers/temp-folder.js';
import { writeSmolVlmModel } from './models/smolvlm-model.js';
import { runModelsCommand } from '../tools/models/main.js';
import { findPreset } from '../core/models/presets.js';
import { startFakeHub, type FakeRepositoryFile } from './helpers/fake-hub.js';

const folder = makeTempFolder();
let modelFolder: string;
let model: EmbeddedVisionModel;
let red: Uint8Array;
let blue: Uint8Array;

function options(overrides: Partial<EmbeddedModelOptions> = {}): EmbeddedModelOptions {
  return { location: { folder: modelFolder }, device: 'cpu', timeoutMs: 60_000, logger: silentLogger(), ...overrides };
}

function question(images: Uint8Array[], text: string): ChatMessage[] {
  return [
    { role: 'system', content: [{ type: 'text', text: 'Answer briefly.' }] },
    { role: 'user', content: [...images.map((data) => ({ type: 'file' as const, mediaType: 'image/jpeg', data })), { type: 'text', text }] },
  ];
}

interface Collected {
  deltas: string[];
  reason?: string;
  outputTokens?: number;
  firstTokenMs?: number;
}

async function collect(source: VisionLanguageModel, request: GenerateRequest): Promise<Collected> {
  const result: Collected = { deltas: [] };
  for await (const part of source.generate(request)) {
    if (part.type === 'text-delta') result.deltas.push(part.text);
    else {
      result.reason = part.reason;
      if (part.usage?.outputTokens !== undefined) result.outputTokens = part.usage.outputTokens;
      if (part.timing) result.firstTokenMs = part.timing.firstTokenMs;
    }
  }
  return result;
}

before(async () => {
  modelFolder = (await writeSmolVlmModel(join(folder.path, 'tiny'))).folder;
  model = await EmbeddedVisionModel.load(options());
  red = await solidJpeg(64, 48, { r: 230, g: 20, b: 20 });
  blue = await solidJpeg(48, 64, { r: 20, g: 20, b: 230 });
});
after(async () => {
  await model.dispose();
  folder.remove();
});

describe('the embedded model on a generated SmolVLM', () => {
  test('an image and a question stream tokens through the real processor, template and generate loop', async () => {
    const result = await collect(model, { messages: question([red], 'What is this?'), maxOutputTokens: 12 });
    assert.ok(result.deltas.join('').length > 0);
    // The streamer hands text over word by word; random weights write few spaces, so count tokens.
    assert.ok(result.outputTokens! > 1 && result.outputTokens! <= 12, `generated ${result.outputTokens} tokens`);
    assert.equal(result.reason, result.outputTokens === 12 ? 'length' : 'stop');
    assert.ok(result.firstTokenMs! > 0);
    const again = await collect(model, { messages: question([red], 'What is this?'), maxOutputTokens: 12 });
    assert.deepEqual(again.deltas, result.deltas, 'greedy decoding is deterministic');
  });

  test('the answer depends on the image, and two images go in one turn', async () => {
    const ask = (images: Uint8Array[]) => collect(model, { messages: question(images, 'Describe.'), maxOutputTokens: 16 });
    const [withRed, withBlue, withBoth] = [await ask([red]), await ask([blue]), await ask([red, blue])];
    assert.notDeepEqual(withRed.deltas.join(''), withBlue.deltas.join(''));
    assert.ok(withBoth.deltas.length > 0);
    assert.notDeepEqual(withBoth.deltas.join(''), withRed.deltas.join(''));
  });

  test('a question with no photo reaches the model through the tokenizer alone', async () => {
    const result = await collect(model, { messages: question([], 'Hello, what can you do?'), maxOutputTokens: 8 });
    assert.ok(result.outputTokens! > 0, `generated ${result.outputTokens} tokens`);
    assert.equal(result.reason, result.outputTokens === 8 ? 'length' : 'stop');
    const again = await collect(model, { messages: question([], 'Hello, what can you do?'), maxOutputTokens: 8 });
    assert.deepEqual(again.deltas, result.deltas, 'greedy decoding is deterministic');
    // A photo then a text-only follow-up in one conversation: the earlier turn's image still goes in.
    const followUp = await collect(model, {
      messages: [...question([red], 'What is this?'), { role: 'assistant', content: [{ type: 'text', text: 'A red card.' }] }, { role: 'user', content: [{ type: 'text', text: 'Thanks.' }] }],
      maxOutputTokens: 4,
    });
    assert.ok(followUp.outputTokens! > 0);
  });

  test('counting tokens uses the model tokenizer', () => {
    assert.ok(model.countTokens('hello world') >= 2);
  });

  test('abort stops generation early, and the model serves the next request', async () => {
    const stop = new AbortController();
    const received: string[] = [];
    await assert.rejects(
      async () => {
        for await (const part of model.generate({ messages: question([red], 'Go on.'), maxOutputTokens: 200, signal: stop.signal })) {
          if (part.type === 'text-delta') {
            received.push(part.text);
            stop.abort();
          }
        }
      },
      (error: unknown) => error instanceof ModelError && error.kind === 'aborted',
    );
    assert.ok(received.length < 20, `generation went on for ${received.length} deltas after abort`);
    const next = await collect(model, { messages: question([red], 'What is this?'), maxOutputTokens: 4 });
    assert.ok(next.deltas.length > 0);
  });

  test('a generation over the time limit is stopped and reported as a timeout', async () => {
    const slow = await EmbeddedVisionModel.load(options({ timeoutMs: 1 }));
    try {
      await assert.rejects(
        collect(slow, { messages: question([red], 'Go on.'), maxOutputTokens: 400 }),
        (error: unknown) => error instanceof ModelError && error.kind === 'timeout',
      );
    } finally {
      await slow.dispose();
    }
  });

  test('bytes the processor cannot read are refused as unsupported input', async () => {
    await assert.rejects(
      collect(model, { messages: question([new TextEncoder().encode('not an image')], 'What?'), maxOutputTokens: 4 }),
      (error: unknown) => error instanceof ModelError && error.kind === 'unsupported-input',
    );
  });

  test('concurrent requests are queued, never interleaved on one session', async () => {
    const request = { messages: question([red], 'What is this?'), maxOutputTokens: 8 };
    const alone = (await collect(model, request)).deltas.join('');
    const together = await Promise.all([collect(model, request), collect(model, request), collect(model, request)]);
    for (const result of together) assert.equal(result.deltas.join(''), alone);
  });

  test('a follow-up through the assistant re-feeds the stored photo to the model', async () => {
    const seen: number[] = [];
    const spy: VisionLanguageModel = {
      id: model.id,
      capabilities: model.capabilities,
      generate(request) {
        seen.push(request.messages.at(-1)!.content.filter((part) => part.type === 'file').length);
        return model.generate(request);
      },
    };
    // A fixed date: the system prompt names today's, and random weights answer each prompt differently.
    const harness = makeHarness(spy, { now: () => Date.UTC(2026, 0, 15, 12), timeZone: 'UTC' });
    try {
      const first = await harness.send({ text: 'what is it?', images: [imageOf(red)] });
      const second = await harness.send({ text: 'and the colour?' });
      // Random weights write arbitrary tokens, sometimes bytes that are no text at all, which the
      // reply filters may leave empty; what this test checks is that the model ran on the stored
      // photo, and each turn ended as a turn does.
      for (const parts of [first, second]) {
        const ended = parts.at(-1)!;
        assert.ok(ended.type !== 'problem' || ended.reason === 'empty-answer', JSON.stringify(parts));
        assert.ok(parts.every((part) => part.type !== 'problem' || part === ended), JSON.stringify(parts));
      }
      assert.deepEqual(seen, [1, 1]);
    } finally {
      harness.close();
    }
  });
});

describe('model files', () => {
  test('quantized file names are chosen by dtype, and external data files load', async () => {
    const suffixed = await writeSmolVlmModel(join(folder.path, 'suffixed'), {
      suffixes: { vision_encoder: '_int8', embed_tokens: '_int8', decoder_model_merged: '_q4' },
      externalData: true,
    });
    assert.ok(suffixed.files.includes('onnx/decoder_model_merged_q4.onnx'));
    assert.ok(suffixed.files.some((file) => file.endsWith('.onnx_data')));
    const loaded = await EmbeddedVisionModel.load(options({ location: { folder: suffixed.folder } }));
    try {
      const result = await collect(loaded, { messages: question([red], 'What is this?'), maxOutputTokens: 4 });
      assert.ok(result.deltas.length > 0);
    } finally {
      await loaded.dispose();
    }
  });

  test('a missing file names what is missing; a corrupted ONNX file fails at load with a clear error', async () => {
    await assert.rejects(
      EmbeddedVisionModel.load(options({ location: { folder: join(folder.path, 'nowhere') } })),
      (error: unknown) => error instanceof ModelFilesMissingError && /nowhere is missing .*config\.json/.test(modelSetupHint(error) ?? ''),
    );
    const broken = await writeSmolVlmModel(join(folder.path, 'broken'));
    writeFileSync(join(broken.folder, 'onnx', 'decoder_model_merged.onnx'), new Uint8Array(4096).fill(7));
    await assert.rejects(
      EmbeddedVisionModel.load(options({ location: { folder: broken.folder } })),
      (error: unknown) => error instanceof ModelError && error.kind === 'unavailable' && /could not be loaded/.test(error.message),
    );
  });
});

describe('the command line with the embedded model', () => {
  test('describe answers a photo end to end', async () => {
    const photo = join(folder.path, 'photo.jpg');
    writeFileSync(photo, red);
    const result = await runEntry('bots/main.ts', ['describe', photo, 'what is this?'], {
      environment: { DATA_DIR: join(folder.path, 'data'), VLM_MODEL: modelFolder, VLM_DEVICE: 'cpu', LOG_LEVEL: 'info' },
    });
    assertTheModelRan(result);
  });

  test('the console answers a first message with no photo', async () => {
    const result = await runEntry('bots/main.ts', ['console'], {
      input: 'hello, what can you do?\nquit\n',
      environment: { DATA_DIR: join(folder.path, 'text-only-data'), VLM_MODEL: modelFolder, VLM_DEVICE: 'cpu', LOG_LEVEL: 'info' },
    });
    assert.equal(result.code, 0, result.stderr);
    // Random weights may write only tokens that are no text (an empty answer); what matters is that
    // the model ran: answered, or finished with nothing, never failed on the input.
    assert.match(result.stderr, /"msg":"turn answered"|"reason":"empty-answer"/);
    assert.doesNotMatch(result.stderr, /"reason":"model-failed"/);
  });

  test('a corrupted model: the one-shot command says how to check it, exit 3', async () => {
    const photo = join(folder.path, 'photo.jpg');
    const result = await runEntry('bots/main.ts', ['describe', photo], {
      environment: { DATA_DIR: join(folder.path, 'data'), VLM_MODEL: join(folder.path, 'broken'), LOG_LEVEL: 'silent' },
    });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /^The vision model in .*broken could not be loaded; check the files in that folder, or use a preset \(npm run models -- list\)\n$/);
  });
});

describe('from the Hub to an answer', () => {
  test('a generated model served with the Hub layout is pulled, cut once mid-transfer, then answers through npm start', async () => {
    const preset = findPreset('smolvlm-256m')!;
    // The tiny model under the file names the preset asks for on CPU.
    const source = await writeSmolVlmModel(join(folder.path, 'hub-source'), {
      suffixes: { vision_encoder: '_int8', embed_tokens: '_int8', decoder_model_merged: '_q4' },
    });
    const files: Record<string, FakeRepositoryFile> = Object.fromEntries(
      source.files.map((path) => [path, { content: readFileSync(join(source.folder, path)), lfs: path.endsWith('.onnx') }]),
    );
    const hub = await startFakeHub({ repository: preset.repository, files });
    try {
      const modelsDirectory = join(folder.path, 'pulled-models');
      // Dropped once the client holds the first 1000 bytes, so the retry must resume with a Range.
      hub.cutTransfer('onnx/decoder_model_merged_q4.onnx', 1000, 1, {
        receivedInto: join(modelsDirectory, 'smolvlm-256m', 'onnx/decoder_model_merged_q4.onnx.partial'),
      });
      let printed = '';
      const environment = { MODELS_DIR: modelsDirectory, HF_ENDPOINT: hub.endpoint };
      const code = await runModelsCommand(['pull', 'smolvlm-256m'], {
        stdout: { write: (text: string) => (printed += text) },
        stderr: { write: (text: string) => (printed += text) },
        environment,
        envFile: join(folder.path, 'no.env'),
        hubOptions: { backoffMs: () => 1 },
      });
      assert.equal(code, 0, printed);
      assert.ok(hub.contentRequests('onnx/decoder_model_merged_q4.onnx').some((request) => request.range?.startsWith('bytes=')));

      const photo = join(folder.path, 'hub-photo.jpg');
      writeFileSync(photo, red);
      const result = await runEntry('bots/main.ts', ['describe', photo, 'what is this?'], {
        environment: { ...environment, DATA_DIR: join(folder.path, 'hub-data'), VLM_DEVICE: 'cpu', LOG_LEVEL: 'info' },
      });
      assertTheModelRan(result);
    } finally {
      await hub.close();
    }
  });
});

/**
 * A one-shot on the random-weight model: an answer on standard output, exit 0. The system prompt
 * carries today's date, so on some days the greedy tokens are bytes that are no text at all; then
 * the turn ends as an empty answer (exit 1), which still shows the model loaded and ran. A failure
 * of the model itself never passes.
 */
function assertTheModelRan(result: { code: number | null; stdout: string; stderr: string }): void {
  assert.doesNotMatch(result.stderr, /"reason":"(model-failed|internal|model-unavailable)"/);
  if (result.code === 0) {
    assert.ok(result.stdout.trim().length > 0, result.stderr);
    assert.match(result.stderr, /"msg":"turn answered"/);
  } else {
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /"reason":"empty-answer"/);
  }
}
