/**
 * Makes a generated SmolVLM model folder by hand, e.g. for a benchmark without network:
 *   node --import tsx test/models/write-smolvlm-model.ts FOLDER [--dimensions tiny|smolvlm-256m]
 *     [--external-data] [--int8] [--image-splitting] [--suffix session=_q4 ...] [--seed N]
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { writeSmolVlmModel, type SmolVlmDimensionsName, type SmolVlmSessionName } from './smolvlm-model.js';

const USAGE =
  'usage: write-smolvlm-model.ts FOLDER [--dimensions tiny|smolvlm-256m] [--external-data] [--int8] [--image-splitting] [--suffix vision_encoder|embed_tokens|decoder_model_merged=SUFFIX] [--seed N]';
const DIMENSIONS: readonly SmolVlmDimensionsName[] = ['tiny', 'smolvlm-256m'];
const SESSIONS: readonly SmolVlmSessionName[] = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'];

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseSuffixes(values: readonly string[]): Partial<Record<SmolVlmSessionName, string>> {
  const suffixes: Partial<Record<SmolVlmSessionName, string>> = {};
  for (const value of values) {
    const [session, suffix = ''] = value.split('=', 2);
    const known = SESSIONS.find((name) => name === session);
    if (!known) fail(`unknown session in --suffix ${value}`);
    suffixes[known] = suffix;
  }
  return suffixes;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        dimensions: { type: 'string', default: 'tiny' },
        'external-data': { type: 'boolean', default: false },
        int8: { type: 'boolean', default: false },
        'image-splitting': { type: 'boolean', default: false },
        suffix: { type: 'string', multiple: true, default: [] },
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
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) fail(`--seed must be an integer, got ${values.seed}`);

  const started = performance.now();
  const info = await writeSmolVlmModel(resolve(positionals[0]!), {
    dimensions,
    externalData: values['external-data'],
    int8: values.int8,
    imageSplitting: values['image-splitting'],
    suffixes: parseSuffixes(values.suffix),
    seed,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  process.stdout.write(
    `wrote ${info.folder} in ${seconds} s: ${dimensions}, ${info.numLayers} decoder layers, ` +
      `image_seq_len ${info.imageSeqLen}, vocabulary ${info.vocabSize}\n${info.files.map((file) => `  ${file}\n`).join('')}`,
  );
}

await main();
