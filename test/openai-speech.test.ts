import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { createLogger, type Logger } from '../core/log.js';
import { ModelError } from '../core/models/model-error.js';
import { OpenAiSpeechModel } from '../core/models/openai/openai-speech-model.js';
import { guessLanguage, languageCode } from '../core/models/openai/openai-speech-languages.js';
import { ScriptedVisionModel } from '../core/models/testing/scripted-vision-model.js';
import { makeHarness, texts } from './helpers/assistant-harness.js';
import { encodeOggOpus, voiceLike } from './helpers/audio.js';
import { startFakeTranscriptionServer, type FakeTranscriptionServer } from './helpers/fake-transcriptions.js';

const KEY = 'sk-speech-secret-1234';

let server: FakeTranscriptionServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function capturingLogger(): { logger: Logger; written: () => string } {
  let written = '';
  const destination = new Writable({ write: (chunk, _encoding, done) => ((written += String(chunk)), done()) });
  return { logger: createLogger({ level: 'debug', destination }), written: () => written };
}

function speech(options: Partial<ConstructorParameters<typeof OpenAiSpeechModel>[0]> = {}): OpenAiSpeechModel {
  return new OpenAiSpeechModel({ baseUrl: server!.baseUrl, apiKey: KEY, model: 'whisper-test', timeoutMs: 5000, backoffMs: () => 5, ...options });
}

const twoSeconds = voiceLike(2, 16_000, 3);

const isKind = (kind: ModelError['kind']) => (error: unknown) => error instanceof ModelError && error.kind === kind;

describe('the OpenAI-compatible speech backend', () => {
  test('uploads the samples as a 16 kHz mono 16-bit WAV with the model, verbose_json and temperature 0', async () => {
    server = await startFakeTranscriptionServer();
    server.replies = [{ text: '  Is the door open?  ', language: 'english', duration: 2.01 }];
    const transcript = await speech().transcribe({ samples: twoSeconds });
    assert.deepEqual(transcript, { text: 'Is the door open?', language: 'en', durationSeconds: 2.01 });

    const [request] = server.requests;
    assert.equal(request!.method, 'POST');
    assert.equal(request!.path, '/v1/audio/transcriptions');
    assert.equal(request!.authorization, `Bearer ${KEY}`);
    assert.deepEqual(request!.fields, { model: 'whisper-test', response_format: 'verbose_json', temperature: '0' }, 'no language field when none is pinned');
    assert.equal(request!.file?.filename, 'voice.wav');
    assert.equal(request!.file?.contentType, 'audio/wav');
    const wav = request!.wav!;
    assert.deepEqual([wav.sampleRate, wav.channels, wav.bitsPerSample, wav.samples.length], [16_000, 1, 16, twoSeconds.length]);
    for (const index of [0, 1234, 16_000, twoSeconds.length - 1]) {
      assert.ok(Math.abs(wav.samples[index]! / 32767 - twoSeconds[index]!) <= 1 / 32767, `sample ${index}`);
    }
  });

  test('a pinned language is sent and kept; otherwise the language heard is read as a code, full names included', async () => {
    server = await startFakeTranscriptionServer();
    server.replies = [{ text: '这是什么？' }];
    const pinned = await speech().transcribe({ samples: twoSeconds, language: 'zh' });
    assert.equal(server.requests[0]!.fields.language, 'zh');
    assert.equal(pinned.language, 'zh');

    for (const [reported, code] of [['english', 'en'], ['Chinese', 'zh'], ['es', 'es'], ['haitian creole', 'ht'], ['pt-BR', 'pt']] as const) {
      server.replies = [{ text: 'Hello.', language: reported }];
      assert.equal((await speech().transcribe({ samples: twoSeconds })).language, code, reported);
      assert.equal(server.requests.at(-1)!.fields.language, undefined);
    }
    assert.equal(languageCode('klingon'), undefined);
    assert.equal(languageCode(undefined), undefined);
    assert.equal(languageCode('jw'), 'jv', "Whisper's own code for Javanese is not ISO 639-1");
  });

  test('a server without verbose_json: json from then on, and the language from the pin or the script', async () => {
    server = await startFakeTranscriptionServer();
    server.verboseJson = false;
    server.replies = [{ text: '这是什么？' }];
    const { logger, written } = capturingLogger();
    const model = speech({ logger });
    const detected = await model.transcribe({ samples: twoSeconds });
    assert.deepEqual(detected, { text: '这是什么？', language: 'zh', durationSeconds: 2 });
    assert.deepEqual(server.requests.map((request) => request.fields.response_format), ['verbose_json', 'json']);
    assert.match(written(), /does not offer verbose_json/);

    server.replies = [{ text: 'Is it raining?' }];
    assert.equal((await model.transcribe({ samples: twoSeconds })).language, 'en');
    assert.equal((await model.transcribe({ samples: twoSeconds, language: 'zh' })).language, 'zh');
    assert.deepEqual(server.requests.slice(2).map((request) => request.fields.response_format), ['json', 'json'], 'verbose_json is not asked again');
    assert.equal(guessLanguage('これは何？'), 'ja');
  });

  test('empty text is a transcript, not an error: the core decides what silence means', async () => {
    server = await startFakeTranscriptionServer();
    server.replies = [{ text: ' ' }];
    assert.deepEqual(await speech().transcribe({ samples: twoSeconds, language: 'en' }), { text: '', language: 'en', durationSeconds: 2 });
  });

  test('503 then success is retried; 429 waits what Retry-After says; 400 is not retried', async () => {
    server = await startFakeTranscriptionServer();
    server.replies = [{ status: 503 }, { text: 'Fine.' }];
    assert.equal((await speech().transcribe({ samples: twoSeconds })).text, 'Fine.');
    assert.equal(server.requests.length, 2);

    const { logger, written } = capturingLogger();
    server.replies = [{ status: 429, retryAfterSeconds: 0.2 }, { text: 'Later.' }];
    assert.equal((await speech({ logger }).transcribe({ samples: twoSeconds })).text, 'Later.');
    assert.equal(server.requests.length, 4);
    assert.match(written(), /"waitMs":200\b.*speech server failed; retrying/);

    server.replies = [{ status: 400, message: 'Invalid audio.' }, { text: 'Never.' }];
    await assert.rejects(speech().transcribe({ samples: twoSeconds }), isKind('failed'));
    assert.equal(server.requests.length, 5);

    server.replies = [{ status: 500 }];
    await assert.rejects(speech({ maxRetries: 2 }).transcribe({ samples: twoSeconds }), (error: unknown) => isKind('unavailable')(error) && (error as ModelError).isRetryable);
    assert.equal(server.requests.length, 8, 'one try and two retries');
  });

  test('a server that is down, a model it does not serve and a wrong path are told apart', async () => {
    server = await startFakeTranscriptionServer();
    await assert.rejects(speech({ baseUrl: 'http://127.0.0.1:9/v1', maxRetries: 1 }).transcribe({ samples: twoSeconds }), isKind('unavailable'));

    // What vLLM answers for a model it does not serve.
    server.replies = [{ status: 404, message: 'The model `whisper-large-v3` does not exist.' }];
    await assert.rejects(speech({ model: 'whisper-large-v3' }).transcribe({ samples: twoSeconds }), (error: unknown) => {
      assert.ok(isKind('unknown-model')(error));
      assert.match((error as Error).message, /does not have the configured model: 404 The model `whisper-large-v3` does not exist/);
      return true;
    });
    assert.equal(server.requests.length, 1, 'a setting to fix is not retried');

    // whisper.cpp's server answers on /inference unless started with --inference-path.
    await assert.rejects(speech({ baseUrl: server.baseUrl.replace(/\/v1$/, '/v2') }).transcribe({ samples: twoSeconds }), isKind('unavailable'));
    assert.equal(server.requests.length, 2);
  });

  test('a stalled server is stopped by the timeout and not retried', async () => {
    server = await startFakeTranscriptionServer();
    server.replies = [{ stall: true }];
    await assert.rejects(speech({ timeoutMs: 300 }).transcribe({ samples: twoSeconds }), isKind('timeout'));
    assert.equal(server.requests.length, 1);
    await server.hungUp(1);
  });

  test('an abort during the request cancels it, and the server sees the connection close', async () => {
    server = await startFakeTranscriptionServer();
    server.replies = [{ stall: true }];
    const stop = new AbortController();
    const pending = speech().transcribe({ samples: twoSeconds, signal: stop.signal });
    await server.requestsReceived(1);
    stop.abort();
    await assert.rejects(pending, isKind('aborted'));
    await server.hungUp(1);

    const before = server.requests.length;
    await assert.rejects(speech().transcribe({ samples: twoSeconds, signal: AbortSignal.abort() }), isKind('aborted'));
    assert.equal(server.requests.length, before, 'nothing is sent for a request cancelled before it starts');

    // Cancelled while waiting to retry: the caller hears "aborted", not the 503 before it.
    server.replies = [{ status: 503 }];
    const waiting = new AbortController();
    const retrying = speech({ backoffMs: () => 60_000 }).transcribe({ samples: twoSeconds, signal: waiting.signal });
    await server.requestsReceived(before + 1);
    waiting.abort();
    await assert.rejects(retrying, isKind('aborted'));
  });

  test('the API key goes only in the Authorization header: never in errors or the log', async () => {
    server = await startFakeTranscriptionServer(['other-model']);
    const { logger, written } = capturingLogger();
    const failures: unknown[] = [];
    for (const reply of [{ status: 401, message: 'Invalid API key.' }, { status: 503 }, { stall: true as const }]) {
      server.replies = [reply];
      await speech({ logger, maxRetries: 1, timeoutMs: 300 }).transcribe({ samples: twoSeconds }).catch((error: unknown) => failures.push(error));
    }
    await speech({ logger, baseUrl: 'http://127.0.0.1:9/v1', maxRetries: 1 }).transcribe({ samples: twoSeconds }).catch((error: unknown) => failures.push(error));
    await speech({ logger }).checkServer();
    assert.equal(failures.length, 4);
    for (const error of failures) {
      assert.ok(error instanceof ModelError);
      assert.doesNotMatch(inspect(error, { depth: Infinity }), new RegExp(KEY));
      assert.doesNotMatch(JSON.stringify(error), new RegExp(KEY));
    }
    assert.match(written(), /the speech server does not list the configured model/);
    assert.doesNotMatch(written(), new RegExp(KEY));
    assert.ok(server.requests.every((request) => request.authorization === `Bearer ${KEY}`));
  });

  test('through the assistant: a voice note is decoded by the core, transcribed by the server and answered', async () => {
    server = await startFakeTranscriptionServer();
    server.replies = [{ text: ' What colour is the door? ', language: 'english' }];
    const model = new ScriptedVisionModel({ chunks: ['The door is red.'] });
    const harness = makeHarness(model, { speech: speech() });
    try {
      const note = encodeOggOpus(voiceLike(2, 48_000, 5), 48_000);
      const parts = await harness.send({ audio: [{ fetch: async () => note, mediaType: 'audio/ogg', durationSeconds: 2 }] });
      assert.deepEqual(texts(parts), ['The door is red.']);
      const wav = server.requests[0]!.wav!;
      assert.equal(wav.sampleRate, 16_000);
      assert.ok(Math.abs(wav.samples.length / 16_000 - 2) < 0.05, `uploaded ${wav.samples.length / 16_000} s of a 2 s note`);
      assert.match(JSON.stringify(model.requests[0]!.messages), /What colour is the door\?/);

      server.replies = [{ status: 400, message: 'Invalid audio.' }];
      const failed = await harness.send({ audio: [{ fetch: async () => note, mediaType: 'audio/ogg', durationSeconds: 2 }] });
      assert.deepEqual(texts(failed), ['Sorry, I could not make out that voice message. Please try again, or type your question.']);
    } finally {
      harness.close();
    }
  });
});
