import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { z } from 'zod';
import {
  composeSettings,
  ConfigError,
  configFields,
  coreSettings,
  isSecretField,
  loadConfig,
  redactConfig,
  SECRET_SETTING_NAMES,
  secretSettingNames,
} from '../bots/config/index.js';
import { chooseSpeechModel } from '../bots/speech-model.js';
import { chooseVisionModel } from '../bots/vision-model.js';
import { PLATFORM_SETTINGS } from '../bots/registry.js';
import { createLogger, OpenAiSpeechModel, silentLogger, type WhisperModelOptions } from '../core/index.js';
import { ScriptedSpeechModel } from '../core/models/testing/scripted-speech-model.js';
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
  // The bomb guards cannot be switched off by a huge value.
  assert.match(errorFor({ IMAGE_MAX_BYTES: '1000000000000' }), /IMAGE_MAX_BYTES is "1000000000000"; expected a number of at most 52428800\./);
  assert.match(errorFor({ VLM_BACKEND: 'openai' }), /^Configuration: VLM_BASE_URL is nothing; expected a URL such as http:\/\/gpu-host:8000\/v1 when VLM_BACKEND is openai\./);
  assert.match(errorFor({ VLM_BASE_URL: 'ftp://host' }), /expected a URL starting with http:\/\/ or https:\/\//);
  // The embedded default left in place with a served model: refused at start-up, not a 404 on every question.
  assert.equal(
    errorFor({ VLM_BACKEND: 'openai', VLM_BASE_URL: 'http://gpu-host:8000/v1' }),
    'Configuration: VLM_MODEL is nothing; expected the name of the model your server serves (its /v1/models lists it) when VLM_BACKEND is openai, not the embedded preset smolvlm-256m. Set it in .env or the environment (see .env.example).',
  );
  assert.match(errorFor({ VLM_BACKEND: 'openai', VLM_BASE_URL: 'http://gpu-host:8000/v1', VLM_MODEL: 'SmolVLM-500M' }), /^Configuration: VLM_MODEL is "SmolVLM-500M"; expected the name/);
  assert.equal(loadConfig({ environment: { VLM_BACKEND: 'openai', VLM_BASE_URL: 'http://gpu-host:8000/v1', VLM_MODEL: 'Qwen/Qwen2.5-VL-7B-Instruct' }, envFile: NO_FILE }).VLM_MODEL, 'Qwen/Qwen2.5-VL-7B-Instruct');
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

/** A logger writing to a string, redacting the given secret names. */
function capturingLogger(secretNames: readonly string[]): { logger: ReturnType<typeof createLogger>; written: () => string } {
  let written = '';
  const sink = new Writable({ write: (chunk, _encoding, done) => ((written += String(chunk)), done()) });
  return { logger: createLogger({ level: 'info', secretNames, destination: sink }), written: () => written };
}

test('secrets are redacted from log lines', () => {
  const { logger, written: output } = capturingLogger(SECRET_SETTING_NAMES);
  logger.info({ config: { VLM_API_KEY: 'sk-very-secret' }, request: { headers: { authorization: 'Bearer sk-very-secret' } } }, 'x');
  logger.info({ token: '123:ABC' }, 'y');
  const written = output();
  assert.doesNotMatch(written, /sk-very-secret|123:ABC/);
  assert.match(written, /\[redacted\]/);
});

test('a bad Telegram or Discord value gives the same one line as any other setting', () => {
  assert.equal(
    errorFor({ TELEGRAM_WEBHOOK_PORT: '70000' }),
    'Configuration: TELEGRAM_WEBHOOK_PORT is "70000"; expected a number of at most 65535. Set it in .env or the environment (see .env.example).',
  );
  assert.match(errorFor({ TELEGRAM_ALBUM_WINDOW_MS: 'soon' }), /^Configuration: TELEGRAM_ALBUM_WINDOW_MS is "soon"; expected a whole number\./);
  assert.match(errorFor({ TELEGRAM_WEBHOOK_URL: 'http://bot.example' }), /TELEGRAM_WEBHOOK_URL is "http:\/\/bot.example"; expected a URL starting with https:\/\/\./);
  // A pattern's own words say what it wants.
  assert.match(errorFor({ DISCORD_APPLICATION_ID: 'my-app' }), /DISCORD_APPLICATION_ID is "my-app"; expected the numeric application id\./);
  for (const message of [errorFor({ TELEGRAM_WEBHOOK_PORT: '0' }), errorFor({ DISCORD_TEST_GUILD_ID: 'x' })]) {
    assert.match(message, /^Configuration: [A-Z_]+ is "[^"]*"; expected [^\n]+\. Set it in \.env or the environment \(see \.env\.example\)\.$/);
  }
  const config = loadConfig({ environment: { TELEGRAM_API_ROOT: 'http://bot-api:8081/', DISCORD_TEST_GUILD_ID: '123456' }, envFile: NO_FILE });
  assert.deepEqual([config.TELEGRAM_API_ROOT, config.TELEGRAM_WEBHOOK_PORT, config.DISCORD_TEST_GUILD_ID], ['http://bot-api:8081', 8080, '123456']);
});

test('a secret marked only in an adapter\'s settings is never echoed in a config error and is redacted from log lines', () => {
  assert.deepEqual([...SECRET_SETTING_NAMES].sort(), ['DISCORD_BOT_TOKEN', 'HF_TOKEN', 'STT_API_KEY', 'TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET', 'VLM_API_KEY']);
  // Marked in adapters/telegram/settings.ts and adapters/discord/settings.ts, nowhere else.
  assert.equal(secretSettingNames(coreSettings).includes('TELEGRAM_WEBHOOK_SECRET'), false);
  const webhook = errorFor({ TELEGRAM_WEBHOOK_SECRET: 'hush hush, very secret' });
  assert.equal(
    webhook,
    'Configuration: TELEGRAM_WEBHOOK_SECRET is a value of 22 characters; expected letters, digits, _ and -, at most 256. Set it in .env or the environment (see .env.example).',
  );
  assert.doesNotMatch(errorFor({ DISCORD_BOT_TOKEN: 'short-secret' }), /short-secret/);
  assert.doesNotMatch(errorFor({ TELEGRAM_BOT_TOKEN: 'not-a-telegram-secret' }), /not-a-telegram-secret/);
  const config = loadConfig({ environment: { DISCORD_BOT_TOKEN: 'discord-secret-token-value', TELEGRAM_WEBHOOK_SECRET: 'hush' }, envFile: NO_FILE });
  assert.equal(redactConfig(config).DISCORD_BOT_TOKEN, '[set]');
  assert.equal(redactConfig(config).TELEGRAM_WEBHOOK_SECRET, '[set]');

  const { logger, written } = capturingLogger(SECRET_SETTING_NAMES);
  logger.info({ config: { TELEGRAM_WEBHOOK_SECRET: 'hush', DISCORD_BOT_TOKEN: 'discord-secret-token-value' } }, 'configuration');
  logger.info({ TELEGRAM_BOT_TOKEN: '123:telegram-secret' }, 'start');
  assert.doesNotMatch(written(), /hush|discord-secret-token-value|telegram-secret/);
});

test('a new platform\'s secret is redacted through its mark alone; a mark placed before .optional() still counts', () => {
  const examplePlatform = z.object({
    EXAMPLE_CHAT_TOKEN: z.string().min(10).optional().meta({ secret: true }),
    EXAMPLE_CHAT_KEY: z.string().meta({ secret: true }).optional(),
    EXAMPLE_CHAT_ROOT: z.url().default('https://chat.example'),
  });
  const fields = composeSettings(coreSettings, [...PLATFORM_SETTINGS, examplePlatform]);
  const names = secretSettingNames(fields);
  assert.deepEqual(names.filter((name) => name.startsWith('EXAMPLE_')), ['EXAMPLE_CHAT_TOKEN', 'EXAMPLE_CHAT_KEY']);
  assert.equal(isSecretField(examplePlatform.shape.EXAMPLE_CHAT_ROOT), false);
  const { logger, written } = capturingLogger(names);
  logger.info({ settings: { EXAMPLE_CHAT_TOKEN: 'example-secret-1', EXAMPLE_CHAT_KEY: 'example-secret-2' } }, 'x');
  assert.doesNotMatch(written(), /example-secret/);
  assert.throws(() => composeSettings(coreSettings, [z.object({ DATA_DIR: z.string() })]), /DATA_DIR is declared twice/);
});

test('STT_TIMEOUT_S reaches the speech backend\'s options, apart from VLM_TIMEOUT_S', async () => {
  const seen: WhisperModelOptions[] = [];
  const load = async (options: WhisperModelOptions): Promise<ScriptedSpeechModel> => {
    seen.push(options);
    return new ScriptedSpeechModel();
  };
  const defaults = loadConfig({ environment: { VLM_TIMEOUT_S: '30' }, envFile: NO_FILE });
  const chosen = await chooseSpeechModel(defaults, silentLogger(), load);
  assert.ok(chosen.speech);
  await chooseSpeechModel(loadConfig({ environment: { STT_TIMEOUT_S: '300' }, envFile: NO_FILE }), silentLogger(), load);
  assert.deepEqual(seen.map((options) => options.timeoutMs), [120_000, 300_000]);
  assert.match(errorFor({ STT_TIMEOUT_S: '7200' }), /^Configuration: STT_TIMEOUT_S is "7200"; expected a number of at most 3600\./);
});

test('STT_BACKEND=openai chooses the transcription server, and needs its URL and the served model\'s name', async () => {
  const config = loadConfig({
    environment: { STT_BACKEND: 'openai', STT_BASE_URL: 'http://127.0.0.1:9/v1', STT_MODEL: 'openai/whisper-large-v3-turbo', STT_API_KEY: 'sk-secret' },
    envFile: NO_FILE,
  });
  const chosen = await chooseSpeechModel(config, silentLogger(), async () => assert.fail('the embedded model must not load'));
  assert.ok(chosen.speech instanceof OpenAiSpeechModel);
  assert.match(errorFor({ STT_BACKEND: 'openai', STT_MODEL: 'x' }), /STT_BASE_URL/);
  assert.match(errorFor({ STT_BACKEND: 'openai', STT_BASE_URL: 'http://gpu:8001/v1' }), /STT_MODEL .*the name of the speech model your server serves/);
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

test('a speech preset named as the vision model gives the one-line fix, not a crash at start-up', async () => {
  const config = loadConfig({ environment: { VLM_MODEL: 'whisper-base', MODELS_DIR: '/unused' }, envFile: '/nonexistent/.env' });
  const choice = await chooseVisionModel(config, silentLogger());
  assert.equal(choice.model, undefined);
  assert.match(choice.setupHint ?? '', /^VLM_MODEL is whisper-base, which is a speech model; set VLM_MODEL to a vision model such as smolvlm-256m/);
});

test('a number that must be positive asks for at least 1, and a fraction for a whole number', () => {
  assert.match(errorFor({ TELEGRAM_WEBHOOK_PORT: '0' }), /TELEGRAM_WEBHOOK_PORT is "0"; expected a number of at least 1\./);
  assert.match(errorFor({ VLM_TIMEOUT_S: '-5' }), /VLM_TIMEOUT_S is "-5"; expected a number of at least 1\./);
  assert.match(errorFor({ VLM_TIMEOUT_S: '1.5' }), /VLM_TIMEOUT_S is "1.5"; expected a whole number\./);
  assert.match(errorFor({ VLM_MAX_IMAGE_SIDE: '100' }), /expected a number of at least 224\./);
  assert.match(errorFor({ DISCORD_BOT_TOKEN: 'x' }), /DISCORD_BOT_TOKEN is a value of 1 character; expected at least 20 characters\./);
});

test('a pattern setting says what it wants in its own words, and a https-only URL says https:// even for a value that is no URL', () => {
  assert.match(errorFor({ TELEGRAM_BOT_TOKEN: 'abc' }), /expected a token from @BotFather, like 123456:ABC-DEF\./);
  assert.match(errorFor({ TELEGRAM_WEBHOOK_URL: 'bot.example/telegram' }), /TELEGRAM_WEBHOOK_URL is "bot.example\/telegram"; expected a URL starting with https:\/\/\./);
  assert.match(errorFor({ VLM_BASE_URL: 'gpu-host:8000' }), /expected a URL starting with http:\/\/ or https:\/\//);
  for (const message of [errorFor({ TELEGRAM_BOT_TOKEN: 'abc' }), errorFor({ VLM_DTYPE: 'Q4!' }), errorFor({ TELEGRAM_WEBHOOK_SECRET: 'a b' })]) {
    assert.doesNotMatch(message, /regex|expected a int/);
  }
});

test('a URL setting with a user name or password is refused in one line that never shows the password', () => {
  assert.equal(
    errorFor({ VLM_BACKEND: 'openai', VLM_BASE_URL: 'https://me:hunter2-secret@gpu-host:8000/v1' }),
    'Configuration: VLM_BASE_URL has a user name or password in it, which would show in logs; remove them from the URL and put the key in VLM_API_KEY instead. Set it in .env or the environment (see .env.example).',
  );
  assert.match(errorFor({ HF_ENDPOINT: 'https://me:hunter2-secret@hub.example' }), /^Configuration: HF_ENDPOINT has a user name or password in it[^\n]*put the key in HF_TOKEN instead\./);
  for (const name of ['TELEGRAM_API_ROOT', 'TELEGRAM_WEBHOOK_URL', 'DISCORD_API_ROOT']) {
    const message = errorFor({ [name]: 'https://bot:hunter2-secret@api.example' });
    assert.match(message, new RegExp(`^Configuration: ${name} has a user name or password in it`));
    assert.doesNotMatch(message, /hunter2/);
  }
  // Only a user name is refused too; a value wrong for another reason still never echoes the password.
  assert.match(errorFor({ VLM_BASE_URL: 'http://me@gpu-host:8000/v1' }), /VLM_BASE_URL has a user name or password/);
  const wrongScheme = errorFor({ VLM_BASE_URL: 'ftp://me:hunter2-secret@gpu-host/v1' });
  assert.match(wrongScheme, /VLM_BASE_URL is "ftp:\/\/\[hidden\]@gpu-host\/v1"; expected a URL starting with http:\/\/ or https:\/\//);
  assert.doesNotMatch(wrongScheme, /hunter2/);
  assert.equal(loadConfig({ environment: { VLM_BASE_URL: 'http://gpu-host:8000/v1' }, envFile: NO_FILE }).VLM_BASE_URL, 'http://gpu-host:8000/v1');
});

test('TIME_ZONE takes an IANA name; unset it is the system\'s', () => {
  assert.equal(loadConfig({ environment: { TIME_ZONE: 'Asia/Shanghai' }, envFile: NO_FILE }).TIME_ZONE, 'Asia/Shanghai');
  assert.equal(loadConfig({ environment: {}, envFile: NO_FILE }).TIME_ZONE, undefined);
  assert.match(errorFor({ TIME_ZONE: 'Mars/Olympus' }), /^Configuration: TIME_ZONE is "Mars\/Olympus"; expected an IANA time zone such as Europe\/London or Asia\/Shanghai\./);
});
