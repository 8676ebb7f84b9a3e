import {
  loadEspeakVoice,
  loadPiperVoice,
  locateModel,
  VoiceChain,
  VoiceReplies,
  type Logger,
  type SpeechSynthesizer,
} from '../core/index.js';
import type { Config } from './config/index.js';
import { modelLoadFailedHint, modelSetupHint } from './model-setup-hints.js';

export type VoiceRepliesChoice =
  | { readonly voiceReplies: VoiceReplies; readonly setupHint?: undefined }
  | { readonly voiceReplies?: undefined; readonly setupHint: string };

export const ESPEAK_INSTALL_HINT =
  'espeak-ng is not installed: run npm install (it is an optional dependency, @echogarden/espeak-ng-emscripten, GPL-3.0), or set TTS_VOICE=off.';

/**
 * The voice for spoken answers (TTS_VOICE): `espeak` (espeak-ng, every language it has), a
 * neural voice preset or folder (with espeak-ng for the languages it does not speak, and for its
 * phonemes), or `off`. Nothing here is fatal: without a voice, answers are text only and the log
 * says why in one line.
 */
export async function chooseVoiceReplies(config: Config, logger: Logger): Promise<VoiceRepliesChoice> {
  const setting = config.TTS_VOICE.trim();
  if (setting.toLowerCase() === 'off') return { setupHint: 'Voice replies are off (TTS_VOICE=off).' };
  const espeak = loadEspeakVoice({ logger });
  try {
    await espeak.warmUp();
  } catch (error) {
    logger.debug({ err: error }, 'espeak-ng did not load');
    // Neural voices take their phonemes from espeak-ng too, so without it there is no voice at all.
    return { setupHint: `Voice replies are off: ${ESPEAK_INSTALL_HINT}` };
  }
  let voice: SpeechSynthesizer = espeak;
  if (setting.toLowerCase() !== 'espeak') {
    let folder: string | undefined;
    try {
      const location = locateModel(setting, config.MODELS_DIR, 'text-to-speech');
      folder = location.folder;
      const neural = await loadPiperVoice(location.folder, { espeak: () => espeak.engine(), logger });
      voice = new VoiceChain([neural, espeak]);
    } catch (error) {
      const hint = modelSetupHint(error);
      if (hint === undefined) logger.error({ err: error }, 'the neural voice did not load');
      logger.warn(`${hint ?? modelLoadFailedHint('text-to-speech', { folder: folder ?? setting })} Voice replies use espeak-ng meanwhile.`);
    }
  }
  logger.info({ voice: voice.id, wordsPerMinute: config.TTS_RATE }, 'voice replies on');
  return {
    voiceReplies: new VoiceReplies({ synthesizer: voice, wordsPerMinute: config.TTS_RATE, maxCharacters: config.TTS_MAX_CHARACTERS }),
  };
}
