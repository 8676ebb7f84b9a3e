/**
 * The spoken one-shots, run as the real command line in a child process: `say` writes a voice
 * note, `describe --speak` writes the spoken answer beside printing it, bad input gets one line
 * and a non-zero exit, and without espeak-ng (an optional dependency) there is one line saying how
 * to install it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeAudio, isSilent, measureLoudness } from '../core/audio/index.js';
import { readOpusHead } from '../core/audio/ogg-opus.js';
import { encodeOggOpus, voiceLike } from './helpers/audio.js';
import { solidJpeg } from './helpers/images.js';
import { runEntry } from './helpers/run-cli.js';
import { makeTempFolder } from './helpers/temp-folder.js';

const folder = makeTempFolder();
let photo: string;
let question: string;
const environment = (name: string, extra: Record<string, string> = {}): Record<string, string> => ({
  DATA_DIR: join(folder.path, name),
  MODELS_DIR: join(folder.path, 'no-models'),
  ...extra,
});

before(async () => {
  photo = join(folder.path, 'door.jpg');
  writeFileSync(photo, await solidJpeg(800, 600));
  question = join(folder.path, 'question.ogg');
  writeFileSync(question, encodeOggOpus(voiceLike(2, 48_000, 9), 48_000));
});
after(() => folder.remove());

/** The note's length as its last page states it, and as the project's decoder hears it. */
async function lengths(path: string): Promise<{ stated: number; decoded: number; silent: boolean }> {
  const data = new Uint8Array(readFileSync(path));
  const head = readOpusHead(data);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let granule = 0n;
  for (let offset = 0; offset + 27 <= data.length; offset += 1) {
    if (data[offset] === 0x4f && data[offset + 1] === 0x67 && data[offset + 2] === 0x67 && data[offset + 3] === 0x53) granule = view.getBigInt64(offset + 6, true);
  }
  const decoded = await decodeAudio(data, { maxBytes: 10_000_000, maxSeconds: 600 }, 'audio/ogg');
  return {
    stated: Number(granule - BigInt(head.preSkip)) / 48_000,
    decoded: decoded.durationSeconds,
    silent: isSilent(measureLoudness(decoded.samples, decoded.sampleRate)),
  };
}

describe('say', () => {
  test('writes the text spoken as an Ogg/Opus voice note whose stated length is what plays', async () => {
    const out = join(folder.path, 'reply.ogg');
    const result = await runEntry('test/fixtures/scripted-cli.ts', ['say', 'Take 2 tablets at 12:30; a box is $12.99.', '--out', out], { environment: environment('say') });
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^Wrote \d+\.\d seconds of speech to .*reply\.ogg\.\n$/u);
    const { stated, decoded, silent } = await lengths(out);
    assert.ok(Math.abs(stated - decoded) < 0.02, `${stated} vs ${decoded}`);
    assert.ok(decoded > 2 && decoded < 12, `${decoded} s`);
    assert.equal(silent, false);
  });

  test('speaks Chinese with --language zh', async () => {
    const out = join(folder.path, 'zh.ogg');
    const result = await runEntry('test/fixtures/scripted-cli.ts', ['say', '每天两次，每次3.5毫克。', '--out', out, '--language', 'zh'], { environment: environment('say') });
    assert.equal(result.code, 0, result.stderr);
    assert.ok((await lengths(out)).decoded > 1);
  });

  test('bad input gets one line and a non-zero exit, and nothing is written', async () => {
    const cases: Array<{ args: string[]; code: number; says: RegExp }> = [
      { args: ['say', '   ', '--out', join(folder.path, 'empty.ogg')], code: 2, says: /^say needs some text to speak/u },
      { args: ['say', 'Hello'], code: 2, says: /^say needs --out FILE\.ogg/u },
      { args: ['say', 'Hello', '--out'], code: 2, says: /each need a value/u },
      { args: ['say', 'Hello', '--out', join(folder.path, 'no such folder', 'x.ogg')], code: 1, says: /does not exist or cannot be written to/u },
      { args: ['say', 'Hello', '--out', folder.path], code: 1, says: /is a folder; give the path of a file/u },
    ];
    for (const { args, code, says } of cases) {
      const result = await runEntry('test/fixtures/scripted-cli.ts', args, { environment: environment('say-bad') });
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, says);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.equal(result.stdout, '');
    }
    assert.equal(existsSync(join(folder.path, 'empty.ogg')), false);
  });
});

describe('describe --speak', () => {
  test('prints the answer and writes it spoken, even for a typed question', async () => {
    const out = join(folder.path, 'answer.ogg');
    const result = await runEntry('test/fixtures/scripted-cli.ts', ['describe', photo, 'is the door open?', '--speak', out], { environment: environment('speak') });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /You asked: is the door open\?/u);
    const { stated, decoded } = await lengths(out);
    assert.ok(Math.abs(stated - decoded) < 0.02);
    assert.ok(decoded > 1);
  });

  test('with a voice question too', async () => {
    const out = join(folder.path, 'voice-answer.ogg');
    const result = await runEntry('test/fixtures/scripted-cli.ts', ['describe', photo, '--voice', question, '--speak', out], { environment: environment('speak') });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /«Is it open, 2\.0 seconds\?»/u);
    assert.ok(existsSync(out));
  });

  test('an unwritable --speak path is refused before anything runs', async () => {
    mkdirSync(join(folder.path, 'a-folder'), { recursive: true });
    const result = await runEntry('test/fixtures/scripted-cli.ts', ['describe', photo, 'is it open?', '--speak', join(folder.path, 'a-folder')], { environment: environment('speak') });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /is a folder/u);
    assert.equal(result.stdout, '');
  });
});

describe('without espeak-ng', () => {
  test('say and --speak say in one line how to install it; everything else still works', async () => {
    const env = environment('no-espeak', { SCRIPTED_WITHOUT_ESPEAK: '1' });
    const said = await runEntry('test/fixtures/scripted-cli.ts', ['say', 'Hello', '--out', join(folder.path, 'none.ogg')], { environment: env });
    assert.equal(said.code, 3);
    assert.equal(said.stderr, 'Voice replies are off: espeak-ng is not installed: run npm install (it is an optional dependency, @echogarden/espeak-ng-emscripten, GPL-3.0), or set TTS_VOICE=off.\n');
    assert.equal(existsSync(join(folder.path, 'none.ogg')), false);
    const described = await runEntry('test/fixtures/scripted-cli.ts', ['describe', photo, 'is it open?'], { environment: env });
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /You asked: is it open\?/u);
  });
});
