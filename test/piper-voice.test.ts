import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { ModelFilesMissingError } from '../core/models/embedded/model-folder-errors.js';
import { ModelError } from '../core/models/model-error.js';
import { findPreset, presetFiles, VOICE_PRESETS } from '../core/models/presets.js';
import { loadEspeak, type EspeakEngine } from '../core/models/speech/espeak-engine.js';
import { clausePhonemes, mergeVowelClusters, phonemeIds, splitSentences, withoutLanguageFlags } from '../core/models/speech/piper-phonemes.js';
import { loadPiperVoice, rateFactor, type PiperVoice } from '../core/models/speech/piper-voice.js';
import { runModelsCommand } from '../tools/models/main.js';
import { startFakeHub } from './helpers/fake-hub.js';
import { makeTempFolder } from './helpers/temp-folder.js';
import { decodeIds, SAMPLES_PER_ID, segmentLength, writePiperModel, type PiperModelInfo } from './models/piper-model.js';

const folder = makeTempFolder();
let espeak: EspeakEngine | undefined;
/** The loaded engine, for tests that run only when it is installed. */
const engine = (): EspeakEngine => espeak ?? assert.fail('espeak-ng is not loaded');
let english: PiperModelInfo;
let voice: PiperVoice;
const SILENCE = Math.round(0.2 * 22050);

/** What a voice was sent, read back from the generated model's audio, as symbols. */
function spokenSymbols(info: PiperModelInfo, samples: Float32Array, lengthScale = 1, speakerId = 0): string[] {
  const byId = new Map(Object.entries(info.phonemeIdMap).map(([symbol, [id]]) => [id!, symbol]));
  return decodeIds(samples, lengthScale, speakerId).map((id) => byId.get(id) ?? `#${id}`);
}

/** Piper's framing, written out by hand: ^ _ then each phoneme followed by _, then $. */
function framed(phonemes: readonly string[]): string[] {
  return ['^', '_', ...phonemes.flatMap((phoneme) => [phoneme, '_']), '$'];
}

before(async () => {
  espeak = await loadEspeak().catch(() => undefined);
  english = await writePiperModel(join(folder.path, 'en'));
  if (espeak) voice = await loadPiperVoice(join(folder.path, 'en'), { espeak });
});

after(async () => {
  await voice?.close();
  folder.remove();
});

describe('Piper phonemes', () => {
  test('ids are ^ _ (phoneme _)* $, unknown phonemes skipped and reported', () => {
    const map = { _: [0], '^': [1], $: [2], h: [20], a: [14], ɪ: [74], '.': [10] };
    assert.deepEqual(phonemeIds(['h', 'a', 'ɪ', '.'], map), { ids: [1, 0, 20, 0, 14, 0, 74, 0, 10, 0, 2], missing: [] });
    assert.deepEqual(phonemeIds(['h', 'ʔ', 'a'], map), { ids: [1, 0, 20, 0, 14, 0, 2], missing: ['ʔ'] });
    assert.deepEqual(phonemeIds([], map).ids, [1, 0, 2]);
  });

  test('a clause keeps its punctuation, a space after a pause mark, and is split into NFD codepoints', () => {
    assert.deepEqual(clausePhonemes('ɪç', '.'), ['ɪ', 'c', '\u0327', '.']);
    assert.deepEqual(clausePhonemes('həlˈoʊ', ','), ['h', 'ə', 'l', 'ˈ', 'o', 'ʊ', ',', ' ']);
    assert.deepEqual(clausePhonemes(withoutLanguageFlags('(en)hˈaɪ(zh)'), ''), ['h', 'ˈ', 'a', 'ɪ']);
    assert.deepEqual(mergeVowelClusters(['h', 'a', 'ɪ', 'a'], [['a', 'ɪ']]), ['h', 'aɪ', 'a']);
  });

  test('text is cut into sentences of clauses at their punctuation, numbers and abbreviations kept whole', () => {
    const shape = (text: string) => splitSentences(text).map((sentence) => sentence.map((clause) => `${clause.text}|${clause.end}`));
    assert.deepEqual(shape('Take 3.5 mg, twice a day. Is it 12:30?! Yes'), [['Take 3.5 mg|,', 'twice a day|.'], ['Is it 12:30|?'], ['Yes|']]);
    assert.deepEqual(shape('It costs 1,000 yuan, e.g. this one.'), [['It costs 1,000 yuan|,', 'e.g. this one|.']]);
    assert.deepEqual(shape('你好，世界。今天天气很好！'), [['你好|,', '世界|.'], ['今天天气很好|!']]);
    assert.deepEqual(shape('Ingredients\nSugar: 5 g; salt.'), [['Ingredients|'], ['Sugar|:', '5 g|;', 'salt|.']]);
    assert.deepEqual(shape('He said "stop." Then left.'), [['He said "stop|.'], ['Then left|.']]);
    assert.deepEqual(shape('  '), []);
  });

  test('the rate maps words a minute to a clamped length-scale factor', () => {
    assert.equal(rateFactor(undefined), 1);
    assert.equal(rateFactor(175), 1);
    assert.equal(rateFactor(350), 0.5);
    assert.equal(rateFactor(2000), 1 / 3);
    assert.equal(rateFactor(40), 2);
  });
});

describe('Piper voice on a generated model', { skip: espeakMissing() }, () => {
  test('the ids sent follow Piper exactly, and each becomes audio', async () => {
    const speech = await voice.synthesize({ text: 'Hi.', language: 'en' });
    assert.equal(speech.sampleRate, 22050);
    const [ipa] = await espeak!.phonemes('Hi', 'en-us');
    assert.equal(ipa, 'hˈaɪ');
    assert.deepEqual(spokenSymbols(english, speech.samples), framed(['h', 'ˈ', 'a', 'ɪ', '.']));
    assert.equal(speech.samples.length, 13 * SAMPLES_PER_ID);
    let peak = 0;
    for (const sample of speech.samples) peak = Math.max(peak, Math.abs(sample));
    assert.ok(peak > 0.8 && peak <= 1, `peak ${peak}`);
    const again = await voice.synthesize({ text: 'Hi.', language: 'en' });
    assert.deepEqual(again.samples, speech.samples);
  });

  test('a comma stays in the sentence with a space after it; sentences are spoken apart with a pause', async () => {
    const speech = await voice.synthesize({ text: 'Hello, world. Fine?', language: 'en' });
    const [hello, world] = await espeak!.phonemes('Hello, world', 'en-us');
    const [fine] = await espeak!.phonemes('Fine', 'en-us');
    const first = framed([...Array.from(`${hello}, ${world}.`.normalize('NFD'))]);
    const second = framed([...Array.from(`${fine}?`.normalize('NFD'))]);
    const firstLength = first.length * SAMPLES_PER_ID;
    assert.equal(speech.samples.length, firstLength + SILENCE + second.length * SAMPLES_PER_ID);
    assert.deepEqual(spokenSymbols(english, speech.samples.subarray(0, firstLength)), first);
    assert.ok(speech.samples.subarray(firstLength, firstLength + SILENCE).every((sample) => sample === 0));
    assert.deepEqual(spokenSymbols(english, speech.samples.subarray(firstLength + SILENCE)), second);
  });

  test('a faster rate gives shorter audio, in proportion, and the pause shortens with it', async () => {
    const text = 'Take two tablets every morning. Then wait.';
    const normal = await voice.synthesize({ text, language: 'en' });
    const fast = await voice.synthesize({ text, language: 'en', wordsPerMinute: 350 });
    const slow = await voice.synthesize({ text, language: 'en', wordsPerMinute: 40 });
    const ids = (normal.samples.length - SILENCE) / SAMPLES_PER_ID;
    assert.ok(Number.isInteger(ids) && ids > 40, String(ids));
    assert.equal(fast.samples.length, ids * segmentLength(0.5) + Math.round(SILENCE / 2));
    assert.equal(slow.samples.length, ids * segmentLength(2) + SILENCE * 2);
    assert.equal(spokenSymbols(english, fast.samples, 0.5)[0], '^');
  });

  test('Mandarin through espeak-ng cmn, as the zh_CN voices take it', async () => {
    const modelFolder = join(folder.path, 'zh');
    const info = await writePiperModel(modelFolder, { name: 'zh_CN-test-x_low', espeakVoice: 'cmn', languageCode: 'zh_CN' });
    const chinese = await loadPiperVoice(modelFolder, { espeak: async () => espeak! });
    try {
      assert.equal(chinese.id, 'piper:zh_CN-test-x_low');
      assert.ok(chinese.speaks('zh') && chinese.speaks('zh-CN') && !chinese.speaks('en'));
      const speech = await chinese.synthesize({ text: '你好，世界。', language: 'zh' });
      const [hello, world] = await espeak!.phonemes('你好，世界', 'cmn');
      assert.deepEqual(spokenSymbols(info, speech.samples), framed(Array.from(`${hello}, ${world}.`.normalize('NFD'))));
      await assert.rejects(chinese.synthesize({ text: 'Hello.', language: 'en' }), (error: unknown) => error instanceof ModelError && error.kind === 'unsupported-input');
    } finally {
      await chinese.close();
    }
  });

  test('speaks its config language and names itself after the voice file', () => {
    assert.equal(voice.id, 'piper:en_US-test-x_low');
    assert.ok(voice.speaks('en') && voice.speaks('EN') && voice.speaks('en-GB'));
    assert.ok(!voice.speaks('zh'));
  });

  test('a multi-speaker voice gets sid, its default speaker', async () => {
    const modelFolder = join(folder.path, 'speakers');
    const info = await writePiperModel(modelFolder, { numSpeakers: 4, defaultSpeakerId: 2 });
    const many = await loadPiperVoice(modelFolder, { espeak: engine() });
    try {
      const speech = await many.synthesize({ text: 'Hi.', language: 'en' });
      assert.deepEqual(spokenSymbols(info, speech.samples, 1, 2), framed(['h', 'ˈ', 'a', 'ɪ', '.']));
    } finally {
      await many.close();
    }
  });

  test('phonemes the voice lacks are skipped and logged once', async () => {
    const modelFolder = join(folder.path, 'lacking');
    const info = await writePiperModel(modelFolder, { omitSymbols: ['ɪ'] });
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const lacking = await loadPiperVoice(modelFolder, { espeak: engine(), logger });
    try {
      const speech = await lacking.synthesize({ text: 'Hi.', language: 'en' });
      await lacking.synthesize({ text: 'Hi.', language: 'en' });
      assert.deepEqual(spokenSymbols(info, speech.samples), framed(['h', 'ˈ', 'a', '.']));
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /U\+026A/);
    } finally {
      await lacking.close();
    }
  });

  test('aborting stops between sentences with ModelError aborted', async () => {
    const controller = new AbortController();
    await assert.rejects(
      voice.synthesize({ text: 'Hi.', language: 'en', signal: AbortSignal.abort() }),
      (error: unknown) => error instanceof ModelError && error.kind === 'aborted',
    );
    let calls = 0;
    const counting: EspeakEngine = {
      ...espeak!,
      voiceFor: (language) => espeak!.voiceFor(language),
      speak: (text, name, rate) => espeak!.speak(text, name, rate),
      phonemes: async (text, name) => {
        calls += 1;
        if (calls === 2) controller.abort();
        return espeak!.phonemes(text, name);
      },
    };
    const aborting = await loadPiperVoice(join(folder.path, 'en'), { espeak: counting });
    try {
      await assert.rejects(
        aborting.synthesize({ text: 'One. Two. Three. Four.', language: 'en', signal: controller.signal }),
        (error: unknown) => error instanceof ModelError && error.kind === 'aborted',
      );
      assert.equal(calls, 2);
    } finally {
      await aborting.close();
    }
  });

  test('empty text gives no samples; warmUp runs the model once', async () => {
    const speech = await voice.synthesize({ text: ' \n ', language: 'en' });
    assert.equal(speech.samples.length, 0);
    await voice.warmUp();
  });

  test('a voice whose espeak-ng cannot load fails with that error, and tries again next time', async () => {
    let attempts = 0;
    const flaky = await loadPiperVoice(join(folder.path, 'en'), {
      espeak: async () => {
        attempts += 1;
        if (attempts === 1) throw new ModelError('unavailable', 'espeak-ng is not installed.');
        return espeak!;
      },
    });
    try {
      await assert.rejects(flaky.synthesize({ text: 'Hi.', language: 'en' }), (error: unknown) => error instanceof ModelError && error.kind === 'unavailable');
      assert.ok((await flaky.synthesize({ text: 'Hi.', language: 'en' })).samples.length > 0);
    } finally {
      await flaky.close();
    }
  });
});

describe('Piper voice folders', () => {
  const load = (path: string) => loadPiperVoice(path, { espeak: async () => assert.fail('espeak-ng is not needed to load') });

  test('a missing preset folder names the preset to pull; a bare folder names what it lacks', async () => {
    const missing = join(folder.path, 'models', 'piper-en-us-lessac-medium');
    const error = await load(missing).then(() => assert.fail('expected a failure'), (failure: unknown) => failure);
    assert.ok(error instanceof ModelFilesMissingError, String(error));
    assert.equal(error.task, 'text-to-speech');
    assert.equal(error.preset?.name, 'piper-en-us-lessac-medium');
    assert.equal(error.folderExists, false);
    assert.deepEqual(error.missingFiles, [
      join(missing, 'en/en_US/lessac/medium/en_US-lessac-medium.onnx'),
      join(missing, 'en/en_US/lessac/medium/en_US-lessac-medium.onnx.json'),
    ]);

    const bare = join(folder.path, 'bare');
    await mkdir(bare, { recursive: true });
    writeFileSync(join(bare, 'voice.onnx'), 'no config beside it');
    const bareError = await load(bare).then(() => assert.fail('expected a failure'), (failure: unknown) => failure);
    assert.ok(bareError instanceof ModelFilesMissingError);
    assert.equal(bareError.folderExists, true);
    assert.equal(bareError.preset, undefined);
    assert.match(bareError.message, new RegExp(bare.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });

  test('a broken config or model is ModelError unavailable naming the file', async () => {
    const brokenConfig = join(folder.path, 'broken-config');
    const info = await writePiperModel(brokenConfig);
    writeFileSync(info.configPath, '{ "audio": ');
    await assert.rejects(load(brokenConfig), (error: unknown) => error instanceof ModelError && error.kind === 'unavailable' && error.message.includes(info.configPath));

    const noMap = join(folder.path, 'no-map');
    const noMapInfo = await writePiperModel(noMap);
    const config = JSON.parse(readFileSync(noMapInfo.configPath, 'utf8')) as Record<string, unknown>;
    delete config.phoneme_id_map;
    writeFileSync(noMapInfo.configPath, JSON.stringify(config));
    await assert.rejects(load(noMap), (error: unknown) => error instanceof ModelError && /phoneme_id_map/.test(error.message));

    const noSid = join(folder.path, 'no-sid');
    const noSidInfo = await writePiperModel(noSid);
    const speakers = JSON.parse(readFileSync(noSidInfo.configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(noSidInfo.configPath, JSON.stringify({ ...speakers, num_speakers: 2 }));
    await assert.rejects(load(noSid), (error: unknown) => error instanceof ModelError && /has no sid input/.test(error.message));

    const brokenModel = join(folder.path, 'broken-model');
    const modelInfo = await writePiperModel(brokenModel);
    writeFileSync(modelInfo.modelPath, 'not onnx');
    await assert.rejects(load(brokenModel), (error: unknown) => error instanceof ModelError && error.kind === 'unavailable' && error.message.includes(brokenModel));
  });

  test('two voices in one folder are refused by name', async () => {
    const two = join(folder.path, 'two');
    await writePiperModel(two, { name: 'en_US-one-x_low' });
    await writePiperModel(two, { name: 'en_US-two-x_low' });
    await assert.rejects(load(two), (error: unknown) => error instanceof ModelError && /en_US-one-x_low\.onnx, en_US-two-x_low\.onnx/.test(error.message));
  });
});

describe('Piper voice presets', () => {
  test('each names its Hub files and a pinned revision', () => {
    assert.ok(VOICE_PRESETS.length >= 2);
    for (const preset of VOICE_PRESETS) {
      assert.equal(preset.task, 'text-to-speech');
      assert.equal(preset.repository, 'rhasspy/piper-voices');
      assert.equal(preset.revision, 'v1.0.0');
    }
    assert.deepEqual(presetFiles(findPreset('piper-zh-cn-huayan-medium')!, 'cpu'), [
      'zh/zh_CN/huayan/medium/zh_CN-huayan-medium.onnx',
      'zh/zh_CN/huayan/medium/zh_CN-huayan-medium.onnx.json',
      'zh/zh_CN/huayan/medium/MODEL_CARD',
    ]);
  });

  test('npm run models -- pull fetches a voice that loads and speaks; verify and list know it', { skip: espeakMissing() }, async (context) => {
    const preset = findPreset('piper-en-us-lessac-medium')!;
    const generated = await writePiperModel(join(folder.path, 'hub-source'), { name: 'en_US-lessac-medium' });
    const [onnxPath, configPath, cardPath] = presetFiles(preset, 'cpu') as [string, string, string];
    const hub = await startFakeHub({
      repository: preset.repository,
      revision: preset.revision,
      files: {
        [onnxPath]: { content: readFileSync(generated.modelPath), lfs: true },
        [configPath]: { content: readFileSync(generated.configPath, 'utf8') },
        [cardPath]: { content: '# Model card for lessac (medium)\n' },
        // Another voice in the same repository: never fetched.
        'en/en_US/ryan/high/en_US-ryan-high.onnx': { content: 'x'.repeat(5000), lfs: true },
        'voices.json': { content: '{}' },
      },
    });
    const modelsDirectory = join(folder.path, 'models-pulled');
    context.after(() => hub.close());
    const run = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runModelsCommand(args, {
        stdout: { isTTY: false, write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text) },
        environment: { MODELS_DIR: modelsDirectory, HF_ENDPOINT: hub.endpoint },
        envFile: '/nonexistent/.env',
        hubOptions: { backoffMs: () => 2 },
      });
      return { code, stdout, stderr };
    };

    const pulled = await run(['pull', preset.name]);
    assert.deepEqual([pulled.code, pulled.stderr], [0, ''], pulled.stdout);
    assert.match(pulled.stdout, /3 files/);
    assert.equal(hub.contentRequests('en/en_US/ryan/high/en_US-ryan-high.onnx').length, 0);

    const pulledVoice = await loadPiperVoice(join(modelsDirectory, preset.name), { espeak: engine() });
    try {
      assert.equal(pulledVoice.id, 'piper:en_US-lessac-medium');
      const speech = await pulledVoice.synthesize({ text: 'Hi.', language: 'en' });
      assert.deepEqual(spokenSymbols(generated, speech.samples), framed(['h', 'ˈ', 'a', 'ɪ', '.']));
    } finally {
      await pulledVoice.close();
    }

    const verified = await run(['verify', preset.name]);
    assert.deepEqual([verified.code, verified.stdout], [0, `All 3 files of ${preset.name} are intact.\n`]);
    const listed = await run(['list']);
    assert.match(listed.stdout, new RegExp(`  ${preset.name}, complete, .*commit`));
    assert.match(listed.stdout, /piper-zh-cn-huayan-medium, about 63 MB for CPU, not installed\./);
  });
});

function espeakMissing(): string | false {
  try {
    import.meta.resolve('@echogarden/espeak-ng-emscripten');
    return false;
  } catch {
    return 'espeak-ng (an optional dependency) is not installed';
  }
}
