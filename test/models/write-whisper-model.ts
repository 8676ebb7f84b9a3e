/**
 * Makes a generated Whisper model folder by hand, e.g. for a benchmark without network:
 *   node --import tsx test/models/write-whisper-model.ts FOLDER [--dimensions tiny|whisper-base]
 *     [--english-only] [--languages en,de,...] [--suffix encoder_model=_quantized ...]
 *     [--external-data] [--eos-bias X] [--end-of-text-at N|none] [--seed N]
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { WHISPER_SESSIONS, writeWhisperModel, type WhisperDimensionsName, type WhisperSessionName } from './whisper-model.js';

const USAGE =
  'usage: write-whisper-model.ts FOLDER [--dimensions tiny|whisper-base] [--english-only] [--languages en,de,...] ' +
  '[--suffix encoder_model|decoder_model_merged=SUFFIX] [--external-data] [--eos-bias X] [--end-of-text-at N|none] [--seed N]';
const DIMENSIONS: readonly WhisperDimensionsName[] = ['tiny', 'whisper-base'];

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseSuffixes(values: readonly string[]): Partial<Record<WhisperSessionName, string>> {
  const suffixes: Partial<Record<WhisperSessionName, string>> = {};
  for (const value of values) {
    const [session, suffix = ''] = value.split('=', 2);
    const known = WHISPER_SESSIONS.find((name) => name === session);
    if (!known) fail(`unknown session in --suffix ${value}`);
    suffixes[known] = suffix;
  }
  return suffixes;
}

function parseNumber(name: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || (integer && !Number.isInteger(number))) fail(`--${name} must be ${integer ? 'an integer' : 'a number'}, got ${value}`);
  return number;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        dimensions: { type: 'string', default: 'tiny' },
        'english-only': { type: 'boolean', default: false },
        languages: { type: 'string' },
        suffix: { type: 'string', multiple: true, default: [] },
        'external-data': { type: 'boolean', default: false },
        'eos-bias': { type: 'string' },
        'end-of-text-at': { type: 'string' },
        seed: { type: 'string' },
      },
    });
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) fail('give exactly one FOLDER');
  const dimensions = DIMENSIONS.find((name) => name === values.dimensions);
  if (!dimensions) fail(`unknown --dimensions ${values.dimensions}`);
  const endOfTextAt = values['end-of-text-at'] === 'none' ? null : parseNumber('end-of-text-at', values['end-of-text-at'], true);

  const started = performance.now();
  let info;
  try {
    info = await writeWhisperModel(resolve(positionals[0]!), {
      dimensions,
      multilingual: !values['english-only'],
      languages: values.languages?.split(',').map((code) => code.trim()),
      fileSuffixes: parseSuffixes(values.suffix),
      externalData: values['external-data'],
      eosBias: parseNumber('eos-bias', values['eos-bias'], false),
      endOfTextAt,
      seed: parseNumber('seed', values.seed, true),
    });
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  const ids = info.tokenIds;
  process.stdout.write(
    `wrote ${info.folder} in ${seconds} s: ${dimensions}, ${info.multilingual ? 'multilingual' : 'English-only'}, ` +
      `d_model ${info.dimensions.dModel}, ${info.dimensions.encoderLayers}+${info.dimensions.decoderLayers} layers, vocabulary ${info.vocabSize}\n` +
      `  <|endoftext|> ${ids.endOfText}, <|startoftranscript|> ${ids.startOfTranscript}, <|en|> ${ids.languages['en'] ?? '-'}, ` +
      `<|transcribe|> ${ids.transcribe}, <|notimestamps|> ${ids.noTimestamps}, <|0.00|> ${ids.timestampBegin}\n` +
      info.files.map((file) => `  ${file}\n`).join(''),
  );
}

await main();
