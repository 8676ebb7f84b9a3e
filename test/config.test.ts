import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { ConfigError, configFields, loadConfig, redactConfig, SECRET_SETTING_NAMES } from '../bots/config/index.js';
import { createLogger } from '../core/index.js';
import { makeTempFolder } from './helpers/temp-folder.js';

const NO_FILE = '/nonexistent/.env';

function errorFor(environment: Record<string, string>): string {
  assert.throws(() => loadConfig({ environment, envFile: NO_FILE }), ConfigError);
  try {
    loadConfig({ environment, envFile: NO_FILE });
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

test('defaults need no configuration at all', () => {
  const config = loadConfig({ environment: {}, envFile: NO_FILE });
  assert.equal(config.VLM_BACKEND, 'embedded');
  assert.equal(config.VLM_MAX_IMAGE_SIDE, 1536);
  assert.equal(config.MEDIA_RETENTION_HOURS, 24);
});

test('the speech model runs where the vision model does unless STT_DEVICE says otherwise', () => {
  const same = loadConfig({ environment: { VLM_DEVICE: 'cuda', STT_DEVICE: '' }, envFile: NO_FILE });
  assert.deepEqual([same.STT_MODEL, same.STT_DEVICE, same.VOICE_MAX_SECONDS], ['whisper-base', 'cuda', 120]);
  const apart = loadConfig({ environment: { VLM_DEVICE: 'cuda', STT_DEVICE: 'cpu' }, envFile: NO_FILE });
  assert.equal(apart.STT_DEVICE, 'cpu');
  assert.throws(() => loadConfig({ environment: { VOICE_MAX_SECONDS: '3600' }, envFile: NO_FILE }), /VOICE_MAX_SECONDS/);
});

test('an invalid value stops start-up with one line naming the variable, what was found and what is expected', () => {
  assert.equal(
    errorFor({ VLM_DEVICE: 'gpu' }),
    'Configuration: VLM_DEVICE is "gpu"; expected one of cpu, cuda, auto. Set it in .env or the environment (see .env.example).',
  );
  assert.match(errorFor({ HISTORY_TOKEN_BUDGET: 'lots' }), /^Configuration: HISTORY_TOKEN_BUDGET is "lots"; expected a whole number\./);
  assert.match(errorFor({ MAX_IMAGES_PER_TURN: '50' }), /MAX_IMAGES_PER_TURN is "50"; expected a number of at most 10\./);
  assert.match(errorFor({ VLM_BACKEND: 'openai' }), /^Configuration: VLM_BASE_URL is nothing; expected a URL such as http:\/\/gpu-host:8000\/v1 when VLM_BACKEND is openai\./);
  assert.match(errorFor({ VLM_BASE_URL: 'ftp://host' }), /expected a URL starting with http:\/\/ or https:\/\//);
  for (const message of [errorFor({ VLM_DEVICE: 'gpu' }), errorFor({ VLM_BACKEND: 'openai' })]) {
    assert.equal(message.includes('\n'), false);
  }
});

test('a secret is never echoed, not even when it is the invalid value', () => {
  const message = errorFor({ VLM_API_KEY: 'sk-very-secret', VLM_DEVICE: 'gpu' });
  assert.doesNotMatch(message, /sk-very-secret/);
  const config = loadConfig({ environment: { VLM_API_KEY: 'sk-very-secret' }, envFile: NO_FILE });
  assert.equal(redactConfig(config).VLM_API_KEY, '[set]');
});

test('secrets are redacted from log lines', () => {
  let written = '';
  const sink = new Writable({ write: (chunk, _encoding, done) => ((written += String(chunk)), done()) });
  const logger = createLogger({ level: 'info', secretNames: SECRET_SETTING_NAMES, destination: sink });
  logger.info({ config: { VLM_API_KEY: 'sk-very-secret' }, request: { headers: { authorization: 'Bearer sk-very-secret' } } }, 'x');
  logger.info({ token: '123:ABC' }, 'y');
  assert.doesNotMatch(written, /sk-very-secret|123:ABC/);
  assert.match(written, /\[redacted\]/);
});

test('a .env file is read, the environment wins, and empty values mean unset', () => {
  const folder = makeTempFolder();
  try {
    const file = join(folder.path, '.env');
    writeFileSync(file, 'VLM_DEVICE=cpu\nMEDIA_RETENTION_HOURS=2\nVLM_BASE_URL=\n');
    const config = loadConfig({ environment: { MEDIA_RETENTION_HOURS: '5' }, envFile: file });
    assert.equal(config.VLM_DEVICE, 'cpu');
    assert.equal(config.MEDIA_RETENTION_HOURS, 5);
    assert.equal(config.VLM_BASE_URL, undefined);
  } finally {
    folder.remove();
  }
});

test('.env.example lists every variable the program reads, each with a comment', () => {
  const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
  const lines = example.split('\n');
  const listed = lines.filter((line) => /^[A-Z_]+=/.test(line)).map((line) => line.split('=')[0]);
  assert.deepEqual([...listed].sort(), Object.keys(configFields.shape).sort());
  lines.forEach((line, index) => {
    if (/^[A-Z_]+=/.test(line)) assert.match(lines[index - 1]!, /^# /, `${line} needs a comment above it`);
  });
});
