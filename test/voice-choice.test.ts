/**
 * TTS_VOICE as an operator sets it: espeak-ng, a neural voice folder (with espeak-ng for the
 * languages it does not speak), a preset not pulled yet (espeak-ng meanwhile, and the command that
 * fetches it in the log), and off.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../bots/config/index.js';
import { chooseVoiceReplies } from '../bots/voice-replies.js';
import { createLogger } from '../core/index.js';
import { writePiperModel } from './models/piper-model.js';
import { makeTempFolder } from './helpers/temp-folder.js';

const folder = makeTempFolder();
after(() => folder.remove());

function recordingLogger(): { logger: ReturnType<typeof createLogger>; lines: () => string[] } {
  const chunks: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (chunk: string) => void chunks.push(chunk) } });
  return { logger, lines: () => chunks.map((chunk) => (JSON.parse(chunk) as { msg: string }).msg) };
}

const configWith = (environment: Record<string, string>) =>
  loadConfig({ environment: { MODELS_DIR: join(folder.path, 'models'), ...environment }, envFile: join(folder.path, 'no.env') });

test('the default is espeak-ng, in every language it has', async () => {
  const { logger } = recordingLogger();
  const chosen = await chooseVoiceReplies(configWith({}), logger);
  assert.equal(chosen.voiceReplies?.voiceId, 'espeak-ng');
  assert.ok(chosen.voiceReplies?.speaks('zh'));
});

test('a Piper voice folder speaks its own language, espeak-ng the others', async () => {
  const voiceFolder = join(folder.path, 'my-voice');
  await writePiperModel(voiceFolder);
  const { logger } = recordingLogger();
  const chosen = await chooseVoiceReplies(configWith({ TTS_VOICE: voiceFolder, TTS_RATE: '250' }), logger);
  assert.equal(chosen.voiceReplies?.voiceId, 'piper:en_US-test-x_low+espeak-ng');
  const english = await chosen.voiceReplies!.speak('It is 3.5 mg.', 'en');
  const chinese = await chosen.voiceReplies!.speak('三点五毫克。', 'zh');
  assert.ok(english.durationSeconds > 0 && chinese.durationSeconds > 0);
});

test('a voice preset not pulled yet: espeak-ng meanwhile, and the log says which command fetches it', async () => {
  const { logger, lines } = recordingLogger();
  const chosen = await chooseVoiceReplies(configWith({ TTS_VOICE: 'piper-en-us-lessac-medium' }), logger);
  assert.equal(chosen.voiceReplies?.voiceId, 'espeak-ng');
  assert.ok(
    lines().some((line) => line.includes('npm run models -- pull piper-en-us-lessac-medium') && line.endsWith('Voice replies use espeak-ng meanwhile.')),
    lines().join('\n'),
  );
});

test('off means text only, with its reason', async () => {
  const { logger } = recordingLogger();
  const chosen = await chooseVoiceReplies(configWith({ TTS_VOICE: 'off' }), logger);
  assert.equal(chosen.voiceReplies, undefined);
  assert.equal(chosen.setupHint, 'Voice replies are off (TTS_VOICE=off).');
});
