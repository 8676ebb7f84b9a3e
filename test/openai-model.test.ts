import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runEntry } from './helpers/run-cli.js';
import { makeTempFolder } from './helpers/temp-folder.js';
import { createLogger, silentLogger } from '../core/log.js';
import { ModelError } from '../core/models/model-error.js';
import type { ChatMessage, GenerateRequest } from '../core/models/index.js';
import { OpenAiVisionModel } from '../core/models/openai/openai-vision-model.js';
import { imageOf, makeHarness } from './helpers/assistant-harness.js';
import { startFakeChatServer, type FakeChatServer } from './helpers/fake-chat-completions.js';
import { solidJpeg } from './helpers/images.js';

let server: FakeChatServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function model(options: Partial<ConstructorParameters<typeof OpenAiVisionModel>[0]> = {}): OpenAiVisionModel {
  return new OpenAiVisionModel({
    baseUrl: server!.baseUrl,
    model: 'served-model',
    apiKey: 'sk-test',
    timeoutMs: 2000,
    concurrency: 4,
    backoffMs: () => 5,
    logger: silentLogger(),
    ...options,
  });
}

async function collect(source: OpenAiVisionModel, request: GenerateRequest): Promise<string[]> {
  const deltas: string[] = [];
  for await (const part of source.generate(request)) if (part.type === 'text-delta') deltas.push(part.text);
  return deltas;
}

const ask = (text = 'what is it?'): ChatMessage[] => [
  { role: 'system', content: [{ type: 'text', text: 'rules' }] },
  { role: 'user', content: [{ type: 'text', text: 'earlier question' }] },
  { role: 'assistant', content: [{ type: 'text', text: 'earlier answer' }] },
  { role: 'user', content: [{ type: 'file', mediaType: 'image/jpeg', data: new Uint8Array([0xff, 0xd8, 0xff]) }, { type: 'text', text }] },
];

describe('the OpenAI-compatible backend', () => {
  test('sends the system prompt, history and the image as a data URL, and streams tokens in order', async () => {
    server = await startFakeChatServer();
    server.replies = [{ chunks: ['A red ', 'door. ', 'It is open.'] }];
    assert.deepEqual(await collect(model(), { messages: ask(), maxOutputTokens: 120 }), ['A red ', 'door. ', 'It is open.']);
    const [request] = server.requests;
    assert.equal(request!.path, '/v1/chat/completions');
    assert.equal(request!.authorization, 'Bearer sk-test');
    assert.equal(request!.body.stream, true);
    assert.equal(request!.body.max_tokens, 120);
    assert.deepEqual(request!.body.messages, [
      { role: 'system', content: 'rules' },
      { role: 'user', content: [{ type: 'text', text: 'earlier question' }] },
      { role: 'assistant', content: 'earlier answer' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/' } }, { type: 'text', text: 'what is it?' }] },
    ]);
  });

  test('429 and 5xx before the first token are retried; a failure after it is not', async () => {
    server = await startFakeChatServer();
    server.replies = [{ status: 503 }, { status: 429 }, { chunks: ['Fine.'] }];
    assert.deepEqual(await collect(model(), { messages: ask(), maxOutputTokens: 50 }), ['Fine.']);
    assert.equal(server.requests.length, 3);

    server.replies = [{ chunks: ['One. ', 'Two. '], dropAfter: 1 }, { chunks: ['Never.'] }];
    const received: string[] = [];
    await assert.rejects(async () => {
      for await (const part of model().generate({ messages: ask(), maxOutputTokens: 50 })) if (part.type === 'text-delta') received.push(part.text);
    }, ModelError);
    assert.deepEqual(received, ['One. ']);
    assert.equal(server.requests.length, 4, 'no second request after text was streamed');
  });

  test('a stream that stalls is stopped by the timeout; an abort cancels the request', async () => {
    server = await startFakeChatServer();
    server.replies = [{ chunks: ['Start. ', 'never'], stallAfter: 1 }];
    await assert.rejects(
      collect(model({ timeoutMs: 300 }), { messages: ask(), maxOutputTokens: 50 }),
      (error: unknown) => error instanceof ModelError && error.kind === 'timeout',
    );
    const stop = new AbortController();
    server.replies = [{ chunks: ['Start. ', 'never'], stallAfter: 1 }];
    setTimeout(() => stop.abort(), 100);
    await assert.rejects(
      collect(model(), { messages: ask(), maxOutputTokens: 50, signal: stop.signal }),
      (error: unknown) => error instanceof ModelError && error.kind === 'aborted',
    );
  });

  test('a server that is down: the user gets one kind message and the turn is failed', async () => {
    server = await startFakeChatServer();
    const down = model({ baseUrl: 'http://127.0.0.1:9/v1', attempts: 2 });
    const harness = makeHarness(down);
    try {
      const parts = await harness.send({ text: 'what is this?', images: [imageOf(await solidJpeg(16, 16))] });
      assert.deepEqual(parts.map((part) => part.text), ['The model I use to answer is not reachable right now. Please try again in a little while.']);
      const user = harness.store.findUser({ platform: 'test', platformUserId: 'alice' })!;
      assert.equal(harness.store.exportUser(user.id)!.conversations[0]!.turns[0]!.failure, 'model-unavailable');
    } finally {
      harness.close();
    }
  });

  test('a server without the configured model: told apart from one that is down, to the user and in the log, and not retried', async () => {
    server = await startFakeChatServer();
    // What vLLM answers for a model it does not serve; a 404 without a model named is a wrong path.
    server.replies = [{ status: 404, message: 'The model `smolvlm-256m` does not exist.' }];
    let written = '';
    const logger = createLogger({ level: 'info', destination: new Writable({ write: (chunk, _encoding, done) => ((written += String(chunk)), done()) }) });
    const harness = makeHarness(model({ model: 'smolvlm-256m' }), { logger });
    try {
      const parts = await harness.send({ text: 'what is this?', images: [imageOf(await solidJpeg(16, 16))] });
      assert.deepEqual(parts.map((part) => part.text), [
        'I cannot answer: my model server does not have the model I am set up to use, so trying again will not help. Please tell the person who runs this assistant.',
      ]);
      assert.equal(server.requests.length, 1);
      const user = harness.store.findUser({ platform: 'test', platformUserId: 'alice' })!;
      assert.equal(harness.store.exportUser(user.id)!.conversations[0]!.turns[0]!.failure, 'unknown-model');
      assert.match(written, /"reason":"unknown-model".*does not have the configured model: 404 The model `smolvlm-256m` does not exist/);
    } finally {
      harness.close();
    }
    server.replies = [{ status: 404, message: 'Not Found' }];
    await assert.rejects(collect(model({ attempts: 1 }), { messages: ask(), maxOutputTokens: 50 }), (error: unknown) => error instanceof ModelError && error.kind === 'unavailable');
  });

  test('npm start with VLM_BACKEND=openai and the embedded default in VLM_MODEL stops at start-up in one line', async () => {
    server = await startFakeChatServer();
    const folder = makeTempFolder();
    try {
      const result = await runEntry('bots/main.ts', ['describe', join(folder.path, 'photo.jpg'), 'what is it?'], {
        environment: { DATA_DIR: join(folder.path, 'data'), VLM_BACKEND: 'openai', VLM_BASE_URL: server.baseUrl },
      });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /^Configuration: VLM_MODEL is nothing; expected the name of the model your server serves .* not the embedded preset smolvlm-256m\. Set it in \.env or the environment \(see \.env\.example\)\.\n$/);
      assert.equal(server.requests.length, 0);
    } finally {
      folder.remove();
    }
  });

  test('npm start -- describe answers through VLM_BACKEND=openai with no change elsewhere', async () => {
    server = await startFakeChatServer();
    server.replies = [{ chunks: ['A small red square. ', 'Nothing else is in the photo.'] }];
    const folder = makeTempFolder();
    try {
      const photo = join(folder.path, 'photo.jpg');
      writeFileSync(photo, await solidJpeg(640, 480));
      const result = await runEntry('bots/main.ts', ['describe', photo, 'what is it?'], {
        environment: { DATA_DIR: join(folder.path, 'data'), VLM_BACKEND: 'openai', VLM_BASE_URL: server.baseUrl, VLM_MODEL: 'served-model' },
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'A small red square.\nNothing else is in the photo.\n');
      const content = (server.requests[0]!.body.messages as Array<{ content: unknown }>).at(-1)!.content as Array<{ type: string; image_url?: { url: string } }>;
      assert.match(content[0]!.image_url!.url, /^data:image\/jpeg;base64,\/9j\//);
    } finally {
      folder.remove();
    }
  });

  test('through the assistant: clean plain text, a re-sent stored photo, a malformed chunk, a stall, users kept apart', async () => {
    server = await startFakeChatServer();
    const backend = model({ timeoutMs: 300 });
    const harness = makeHarness(backend);
    try {
      server.replies = [{ chunks: ['**Red door** ', '🚪. ', 'It is *open*.'] }];
      const first = await harness.send({ text: 'what is it?', images: [imageOf(await solidJpeg(32, 32))] });
      assert.deepEqual(first.map((part) => part.text), ['Red door.', 'It is open.']);
      server.replies = [{ chunks: ['Yes.'] }];
      await harness.send({ text: 'is it open?' });
      const imageUrl = (request: number) =>
        ((server!.requests[request]!.body.messages as Array<{ content: unknown }>).at(-1)!.content as Array<{ image_url?: { url: string } }>)[0]!
          .image_url?.url;
      assert.equal(imageUrl(1), imageUrl(0), 'the follow-up re-sends the stored photo');

      server.replies = [{ chunks: ['Fine. ', 'broken'], malformedAfter: 1 }];
      const malformed = await harness.send({ text: 'and now?' });
      assert.deepEqual(malformed.map((part) => part.text), ['Sorry, something went wrong while I was answering. Please try again.']);

      server.replies = [{ chunks: ['Start', 'never'], stallAfter: 1 }];
      const stalled = await harness.send({ text: 'and then?' });
      assert.equal(stalled.at(-1)!.type, 'problem');
      const user = harness.store.findUser({ platform: 'test', platformUserId: 'alice' })!;
      const failures = harness.store.exportUser(user.id)!.conversations[0]!.turns.map((turn) => turn.failure);
      assert.deepEqual(failures, [null, null, 'model-failed', 'timeout']);

      server.replies = [{ chunks: ['Answer.'] }];
      await Promise.all([harness.send({ userId: 'carol', text: 'carol asks' }), harness.send({ userId: 'dave', text: 'dave asks' })]);
      for (const request of server.requests.slice(-2)) {
        const texts = JSON.stringify(request.body.messages);
        assert.ok(!(texts.includes('carol asks') && texts.includes('dave asks')), 'two users never share a prompt');
      }
    } finally {
      harness.close();
    }
  });

  test('reasoning_content deltas and <think> blocks never reach the user', async () => {
    server = await startFakeChatServer();
    const harness = makeHarness(model());
    try {
      server.replies = [{ reasoning: ['The user asks ', 'about the sign.'], chunks: ['<think>also here</think>', 'The sign ', 'says Exit. ', 'It points ↓.'] }];
      const parts = await harness.send({ text: 'what does it say?', images: [imageOf(await solidJpeg(32, 32))] });
      assert.deepEqual(parts.map((part) => part.text), ['The sign says Exit.', 'It points down.']);
    } finally {
      harness.close();
    }
  });

  test('finish_reason "length" is reported, and the listener hears that the answer is only the start', async () => {
    server = await startFakeChatServer();
    server.replies = [{ chunks: ['Ingredients: ', 'sugar, flour, ', 'eggs, milk and'], finishReason: 'length' }];
    const parts: string[] = [];
    for await (const part of model().generate({ messages: ask(), maxOutputTokens: 8 })) if (part.type === 'finish') parts.push(part.reason);
    assert.deepEqual(parts, ['length']);

    const harness = makeHarness(model());
    try {
      const cut = await harness.send({ text: 'read the ingredients', images: [imageOf(await solidJpeg(32, 32))] });
      assert.deepEqual(cut.map((part) => [part.type, part.text]), [
        ['answer', 'Ingredients: sugar, flour, eggs, milk and'],
        ['notice', 'That is the start; send more for the rest.'],
      ]);
      assert.equal(server.requests.at(-1)!.body.max_tokens, 800, 'reading text is not held to the short cap');
      server.replies = [{ chunks: ['butter.'] }];
      const rest = await harness.send({ text: 'more' });
      assert.deepEqual(rest.map((part) => part.type), ['answer']);
      const messages = server.requests.at(-1)!.body.messages as Array<{ role: string; content: unknown }>;
      assert.match(JSON.stringify(messages.at(-1)!.content), /Continue your previous answer/);
      assert.match(JSON.stringify(messages), /eggs, milk and/);
    } finally {
      harness.close();
    }
  });

  test('an abort mid-stream closes the connection', async () => {
    server = await startFakeChatServer();
    server.replies = [{ chunks: ['Start. ', 'never'], stallAfter: 1 }];
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    await assert.rejects(collect(model(), { messages: ask(), maxOutputTokens: 50, signal: stop.signal }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server.clientHangUps, 1);
  });

  test('at start, one log line says whether the server lists the model', async () => {
    server = await startFakeChatServer(['other-model']);
    let written = '';
    const logger = createLogger({ level: 'info', destination: new Writable({ write: (chunk, _encoding, done) => ((written += String(chunk)), done()) }) });
    await model({ logger }).checkServer();
    assert.match(written, /"model":"served-model".*the model server does not list the configured model/);
    assert.doesNotMatch(written, /sk-test/);
  });
});
