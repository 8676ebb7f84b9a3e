/**
 * Makes a generated Piper voice folder by hand, e.g. to try TTS_VOICE without a download:
 *   node --import tsx test/models/write-piper-model.ts FOLDER [--name en_US-test-x_low]
 *     [--espeak-voice en-us] [--language en_US] [--speakers N]
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writePiperModel } from './piper-model.js';

const USAGE = 'usage: write-piper-model.ts FOLDER [--name NAME] [--espeak-voice VOICE] [--language CODE] [--speakers N]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'espeak-voice': { type: 'string' },
      language: { type: 'string' },
      speakers: { type: 'string' },
    },
  });
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
const { values, positionals } = parsed;
if (positionals.length !== 1) fail('give exactly one FOLDER');
const speakers = values.speakers === undefined ? undefined : Number(values.speakers);
if (speakers !== undefined && !(Number.isInteger(speakers) && speakers >= 1)) fail(`--speakers must be a whole number from 1, got ${values.speakers}`);
const info = await writePiperModel(resolve(positionals[0]!), {
  ...(values.name ? { name: values.name } : {}),
  ...(values['espeak-voice'] ? { espeakVoice: values['espeak-voice'] } : {}),
  ...(values.language ? { languageCode: values.language } : {}),
  ...(speakers ? { numSpeakers: speakers } : {}),
});
process.stdout.write(`wrote ${info.modelPath} and ${info.configPath}: ${Object.keys(info.phonemeIdMap).length} phonemes, ${info.sampleRate} Hz\n`);
