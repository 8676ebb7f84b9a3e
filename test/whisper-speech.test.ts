import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AutoModelForSpeechSeq2Seq, AutoProcessor, Tensor } from '@huggingface/transformers';
import {
  decodeAudio,
  locateModel,
  ModelError,
  ModelFilesMissingError,
  silentLogger,
  WhisperSpeechModel,
  WrongModelTaskError,
} from '../core/index.js';
import { modelSetupHint } from '../bots/model-setup-hints.js';
import { runModelsCommand } from '../tools/models/main.js';
import { findPreset } from '../core/models/presets.js';
import { encodeOggOpus, encodeWav, voiceLike } from './helpers/audio.js';
import { startFakeHub, type FakeRepositoryFile } from './helpers/fake-hub.js';
import { solidJpeg } from './helpers/images.js';
import { runEntry } from './helpers/run-cli.js';
import { makeTempFolder } from './helpers/temp-folder.js';
import { writeSmolVlmModel } from './models/smolvlm-model.js';
import { writeWhisperModel, type WhisperModelInfo } from './models/whisper-model.js';

const folder = makeTempFolder();
let info: WhisperModelInfo;
let speech: WhisperSpeechModel;
let noteFile: string;
let note: Float32Array;

const LIMITS = { maxBytes: 20 * 1024 * 1024, maxSeconds: 120 };

before(async () => {
  info = await writeWhisperModel(join(folder.path, 'whisper-tiny-test'), { languages: ['en', 'zh', 'de', 'es', 'fr', 'ja'] });
  speech = await WhisperSpeechModel.load({
    location: locateModel(info.folder, '/unused', 'speech-to-text'),
    device: 'cpu',
    timeoutMs: 60_000,
    logger: silentLogger(),
  });
  // A real voice note: speech-like sound, 48 kHz, encoded to OGG/Opus, decoded by the product's decoder.
  const ogg = encodeOggOpus(voiceLike(4, 48_000, 5), 48_000);
  noteFile = join(folder.path, 'question.ogg');
  await writeFile(noteFile, ogg);
  note = (await decodeAudio(ogg, LIMITS, 'audio/ogg')).samples;
});

after(async () => {
  await speech?.dispose();
  folder.remove();
});

describe('Whisper through the automatic-speech-recognition pipeline', () => {
  test('a decoded OGG/Opus note is transcribed into words, the same way every time', async () => {
    const first = await speech.transcribe({ samples: note });
    const second = await speech.transcribe({ samples: note });
    assert.match(first.text, /^\p{L}+( \p{L}+)+$/u, `"${first.text}" is words`);
    assert.deepEqual(second, first);
    assert.ok(Math.abs(first.durationSeconds - 4) < 0.05);
    const other = await speech.transcribe({ samples: (await decodeAudio(encodeOggOpus(voiceLike(4, 48_000, 99), 48_000), LIMITS)).samples });
    assert.notEqual(other.text, first.text, 'different audio reaches the model and gives different words');
  });

  test('the detected language is the likeliest language token after <|startoftranscript|>, as in Whisper', async () => {
    const detected = await speech.transcribe({ samples: note });
    assert.ok(speech.languages.includes(detected.language), `${detected.language} is one of the model's languages`);

    // The definition, computed by hand: one decoder step from <|startoftranscript|>, argmax over language tokens.
    const processor = await AutoProcessor.from_pretrained(info.folder, { local_files_only: true });
    const model = await AutoModelForSpeechSeq2Seq.from_pretrained(info.folder, { local_files_only: true, device: 'cpu', dtype: 'fp32' });
    try {
      const { input_features } = (await processor(note)) as { input_features: Tensor };
      const sot = info.tokenIds.startOfTranscript;
      const output = (await model({ input_features, decoder_input_ids: new Tensor('int64', BigInt64Array.of(BigInt(sot)), [1, 1]) })) as {
        logits: Tensor;
      };
      const scores = output.logits.data as Float32Array;
      const best = Object.entries(info.tokenIds.languages).reduce((winner, candidate) =>
        scores[candidate[1]]! > scores[winner[1]]! ? candidate : winner,
      );
      assert.equal(detected.language, best[0]);
    } finally {
      await model.dispose();
    }
  });

  test('a pinned language reaches the decoder and is reported; an unknown one falls back to detection', async () => {
    const detected = await speech.transcribe({ samples: note });
    const pinnedTo = speech.languages.find((language) => language !== detected.language)!;
    const pinned = await speech.transcribe({ samples: note, language: pinnedTo });
    assert.equal(pinned.language, pinnedTo);
    assert.notEqual(pinned.text, detected.text, 'another language token in the prompt changes what the decoder writes');
    const unknown = await speech.transcribe({ samples: note, language: 'xx' });
    assert.deepEqual(unknown, detected);
  });

  test('a note longer than 30 s is transcribed in overlapping windows', async () => {
    const long = (await decodeAudio(encodeWav(voiceLike(45, 16_000, 8), 16_000), LIMITS)).samples;
    const short = await speech.transcribe({ samples: long.subarray(0, 16_000 * 20) });
    const whole = await speech.transcribe({ samples: long });
    assert.ok(whole.text.split(' ').length > short.text.split(' ').length, 'two windows give more words than one');
    assert.ok(Math.abs(whole.durationSeconds - 45) < 0.05);
  });

  test('abort and timeout are reported as such', async () => {
    const stop = new AbortController();
    stop.abort();
    await assert.rejects(speech.transcribe({ samples: note, signal: stop.signal }), (error: unknown) => error instanceof ModelError && error.kind === 'aborted');

    const hasty = await WhisperSpeechModel.load({
      location: locateModel(info.folder, '/unused', 'speech-to-text'),
      device: 'cpu',
      timeoutMs: 1,
      logger: silentLogger(),
    });
    try {
      await assert.rejects(hasty.transcribe({ samples: note }), (error: unknown) => error instanceof ModelError && error.kind === 'timeout');
    } finally {
      await hasty.dispose();
    }
  });

  test('an English-only model needs no language and always reports English', async () => {
    const english = await writeWhisperModel(join(folder.path, 'whisper-en'), { multilingual: false });
    const model = await WhisperSpeechModel.load({
      location: locateModel(english.folder, '/unused', 'speech-to-text'),
      device: 'cpu',
      timeoutMs: 60_000,
      logger: silentLogger(),
    });
    try {
      const transcript = await model.transcribe({ samples: note, language: 'zh' });
      assert.equal(transcript.language, 'en');
      assert.match(transcript.text, /\p{L}/u);
    } finally {
      await model.dispose();
    }
  });

  test('a missing preset says which command installs it; a vision preset is refused for speech', async () => {
    await assert.rejects(
      WhisperSpeechModel.load({
        location: locateModel('whisper-base', join(folder.path, 'no-models'), 'speech-to-text'),
        device: 'cpu',
        timeoutMs: 1000,
        logger: silentLogger(),
      }),
      (error: unknown) =>
        error instanceof ModelFilesMissingError &&
        modelSetupHint(error) === 'The speech model whisper-base is not installed. Run: npm run models -- pull whisper-base',
    );
    assert.throws(
      () => locateModel('smolvlm-256m', '/unused', 'speech-to-text'),
      (error: unknown) => error instanceof WrongModelTaskError && /STT_MODEL is smolvlm-256m, which is a vision model/.test(modelSetupHint(error) ?? ''),
    );
  });
});

describe('one-shot voice commands', () => {
  const environment = (): Record<string, string> => ({
    DATA_DIR: join(folder.path, 'cli-data'),
    STT_MODEL: info.folder,
    STT_DEVICE: 'cpu',
    LOG_LEVEL: 'silent',
  });

  test('npm start -- transcribe prints the words and the language', async () => {
    const expected = await speech.transcribe({ samples: note });
    const result = await runEntry('bots/main.ts', ['transcribe', noteFile], { environment: environment() });
    assert.equal(result.code, 0, result.stderr);
    const [words, language] = result.stdout.trimEnd().split('\n');
    assert.equal(words, expected.text);
    assert.match(language!, new RegExp(`^Language: .+ \\(${expected.language}\\)$`));
  });

  test('bad audio gets the message a chat user would get, a non-zero exit and no stack trace', async () => {
    const damaged = join(folder.path, 'damaged.ogg');
    await writeFile(damaged, new TextEncoder().encode('OggS this is not really a voice note'));
    const cases: [string, string][] = [
      [damaged, 'That voice message seems damaged, so I could not play it. Please record it again.'],
      [join(folder.path, 'missing.ogg'), 'I could not find that audio file. Check the path and try again.'],
    ];
    for (const [path, message] of cases) {
      const result = await runEntry('bots/main.ts', ['transcribe', path], { environment: environment() });
      assert.equal(result.code, 1);
      assert.equal(result.stderr, `${message}\n`);
      assert.equal(result.stdout, '');
    }
    const silent = join(folder.path, 'silent.wav');
    await writeFile(silent, encodeWav(new Float32Array(16_000), 16_000));
    const quiet = await runEntry('bots/main.ts', ['transcribe', silent], { environment: environment() });
    assert.deepEqual([quiet.code, quiet.stderr], [1, "I couldn't hear anything. Try again closer to the phone.\n"]);
  });

  test('without the speech model the command says how to install it, exit 3', async () => {
    const result = await runEntry('bots/main.ts', ['transcribe', noteFile], {
      environment: { ...environment(), STT_MODEL: 'whisper-base', MODELS_DIR: join(folder.path, 'no-models') },
    });
    assert.equal(result.code, 3);
    assert.equal(result.stderr, 'The speech model whisper-base is not installed. Run: npm run models -- pull whisper-base\n');
  });

  test('npm start -- describe PHOTO --voice NOTE answers the spoken question about the photo', async () => {
    const vision = await writeSmolVlmModel(join(folder.path, 'smolvlm-test'));
    const photo = join(folder.path, 'photo.jpg');
    await writeFile(photo, await solidJpeg(64, 48));
    const result = await runEntry('bots/main.ts', ['describe', photo, '--voice', noteFile], {
      environment: { ...environment(), VLM_MODEL: vision.folder, VLM_DEVICE: 'cpu', LOG_LEVEL: 'info' },
    });
    assert.match(result.stderr, /"msg":"voice note transcribed"/);
    // Random weights on a prompt that carries today's date sometimes write no text at all: an empty
    // answer still shows the spoken question reached the vision model; a failure never passes.
    assert.doesNotMatch(result.stderr, /"reason":"(model-failed|internal|model-unavailable)"/);
    if (result.code === 0) assert.ok(result.stdout.trim().length > 0);
    else assert.match(result.stderr, /"reason":"empty-answer"/);

    const bad = await runEntry('bots/main.ts', ['describe', photo, '--voice', join(folder.path, 'missing.ogg')], {
      environment: { ...environment(), VLM_MODEL: vision.folder, VLM_DEVICE: 'cpu' },
    });
    assert.deepEqual([bad.code, bad.stderr], [1, 'I could not find that audio file. Check the path and try again.\n']);
  });
});

describe('from the Hub to a transcript', () => {
  test('npm run models -- pull whisper-base fetches the preset files, then npm start -- transcribe uses them', async () => {
    const preset = findPreset('whisper-base')!;
    assert.equal(preset.task, 'speech-to-text');
    // The tiny model under the file names the preset asks for on CPU.
    const source = await writeWhisperModel(join(folder.path, 'hub-source'), { fileSuffixes: { decoder_model_merged: '_quantized' } });
    const files: Record<string, FakeRepositoryFile> = Object.fromEntries(
      source.files.map((path) => [path, { content: readFileSync(join(source.folder, path)), lfs: path.endsWith('.onnx') }]),
    );
    const hub = await startFakeHub({ repository: preset.repository, files });
    try {
      const modelsDirectory = join(folder.path, 'pulled-models');
      let printed = '';
      const environment = { MODELS_DIR: modelsDirectory, HF_ENDPOINT: hub.endpoint };
      const code = await runModelsCommand(['pull', 'whisper-base'], {
        stdout: { write: (text: string) => (printed += text) },
        stderr: { write: (text: string) => (printed += text) },
        environment,
        envFile: join(folder.path, 'no.env'),
        hubOptions: { backoffMs: () => 1 },
      });
      assert.equal(code, 0, printed);
      const result = await runEntry('bots/main.ts', ['transcribe', noteFile], {
        environment: { ...environment, DATA_DIR: join(folder.path, 'hub-data'), STT_DEVICE: 'cpu', LOG_LEVEL: 'silent' },
      });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^\p{L}+( \p{L}+)+\nLanguage: .+\n$/u);
    } finally {
      await hub.close();
    }
  });
});
