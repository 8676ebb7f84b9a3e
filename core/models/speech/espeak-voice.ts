import { silentLogger, type Logger } from '../../log.js';
import { ModelError } from '../model-error.js';
import type { SpeechSynthesizer, SynthesizedSpeech, SynthesizeRequest } from '../speech-synthesizer.js';
import { loadEspeak, type EspeakEngine, type EspeakImporter } from './espeak-engine.js';

/** espeak-ng's own default rate. */
const DEFAULT_WORDS_PER_MINUTE = 175;
/** espeak-ng's documented range; it takes numbers outside it but stops sounding like speech. */
const MIN_WORDS_PER_MINUTE = 80;
const MAX_WORDS_PER_MINUTE = 450;
/** Below this (about -48 dBFS) a sample counts as silence when trimming. */
const SILENCE_LEVEL = 128;
/** Silence kept before the first sound and after the last, so a note neither clips a soft onset nor stops dead. */
const KEEP_BEFORE_SECONDS = 0.03;
const KEEP_AFTER_SECONDS = 0.08;

/**
 * ISO 639-1 codes the package's espeak-ng build has a voice for, so `speaks` can answer
 * before the engine has loaded; test/espeak-voice.test.ts checks it against the engine's own list.
 */
export const ESPEAK_LANGUAGES: ReadonlySet<string> = new Set(
  (
    'af am an ar as az ba be bg bn bs ca cs cv cy da de el en eo es et eu fa fi fo fr ga gd gn gu he hi hr ht hu hy ' +
    'ia id io is it ja ka kk kl kn ko ku ky la lb lt lv mi mk ml mr ms mt my nb ne nl no om or pa pl pt py qu ro ru ' +
    'sd si sk sl sq sr sv sw ta te th ti tk tn tr tt ug uk ur uz vi zh'
  ).split(' '),
);

export interface EspeakVoiceOptions {
  /** Where the optional package is; tests replace it to show what happens when it is missing. */
  readonly importer?: EspeakImporter;
  readonly logger?: Logger;
}

/**
 * espeak-ng as a voice: every language it has, robotic but clear even fast, which many
 * screen-reader users prefer. Nothing is loaded until the first reply or `warmUp`.
 */
export function loadEspeakVoice(options: EspeakVoiceOptions = {}): EspeakVoice {
  return new EspeakVoice(options);
}

export class EspeakVoice implements SpeechSynthesizer {
  readonly id = 'espeak-ng';
  private loading: Promise<EspeakEngine> | undefined;
  private loaded: EspeakEngine | undefined;
  private missing = false;
  private readonly logger: Logger;

  constructor(private readonly options: EspeakVoiceOptions = {}) {
    this.logger = options.logger ?? silentLogger();
  }

  speaks(language: string): boolean {
    if (this.missing) return false;
    if (this.loaded) return this.loaded.voiceFor(language) !== undefined;
    const code = language.toLowerCase();
    return ESPEAK_LANGUAGES.has(code) || ESPEAK_LANGUAGES.has(code.split(/[-_]/)[0] ?? code);
  }

  async warmUp(): Promise<void> {
    const engine = await this.engine();
    // The first synthesis in a fresh worker took 45-90 ms for one word, later ones 5-25 ms.
    await engine.speak('Ready.', engine.voiceFor('en') ?? 'en-us', DEFAULT_WORDS_PER_MINUTE);
  }

  /** The engine, loaded once; neural voices share it for their phonemes. */
  engine(): Promise<EspeakEngine> {
    if (!this.loading) {
      const started = performance.now();
      this.loading = loadEspeak(this.options.importer).then(
        (engine) => {
          this.loaded = engine;
          this.logger.info({ ms: Math.round(performance.now() - started) }, 'espeak-ng loaded');
          return engine;
        },
        (error: unknown) => {
          // A missing package stays missing until a restart; anything else may go better next time.
          if (error instanceof ModelError && error.kind === 'unavailable') this.missing = true;
          else this.loading = undefined;
          throw error;
        },
      );
    }
    return this.loading;
  }

  async synthesize(request: SynthesizeRequest): Promise<SynthesizedSpeech> {
    if (!request.text.trim()) throw new ModelError('unsupported-input', 'There is no text to speak.');
    if (request.signal?.aborted) throw new ModelError('aborted', 'The speech was stopped.');
    const engine = await this.engine();
    const voice = engine.voiceFor(request.language);
    if (voice === undefined) throw new ModelError('unsupported-input', `espeak-ng has no voice for the language ${request.language}.`);
    const samples = await engine.speak(request.text, voice, wordsPerMinute(request.wordsPerMinute), request.signal);
    const spoken = trimSilence(samples, engine.sampleRate);
    if (spoken.length === 0) throw new ModelError('unsupported-input', 'espeak-ng found nothing to say in the text.');
    const floats = new Float32Array(spoken.length);
    for (let index = 0; index < spoken.length; index++) floats[index] = spoken[index]! / 32768;
    return { samples: floats, sampleRate: engine.sampleRate };
  }
}

function wordsPerMinute(requested: number | undefined): number {
  if (requested === undefined || !Number.isFinite(requested)) return DEFAULT_WORDS_PER_MINUTE;
  return Math.min(MAX_WORDS_PER_MINUTE, Math.max(MIN_WORDS_PER_MINUTE, Math.round(requested)));
}

/** Silence at the ends is only a longer wait for the listener (text opening with a dash or a list number, say). */
function trimSilence(samples: Int16Array, sampleRate: number): Int16Array {
  let first = 0;
  while (first < samples.length && Math.abs(samples[first]!) < SILENCE_LEVEL) first++;
  if (first === samples.length) return samples.subarray(0, 0);
  let last = samples.length - 1;
  while (last > first && Math.abs(samples[last]!) < SILENCE_LEVEL) last--;
  const start = Math.max(0, first - Math.round(KEEP_BEFORE_SECONDS * sampleRate));
  const end = Math.min(samples.length, last + 1 + Math.round(KEEP_AFTER_SECONDS * sampleRate));
  return samples.subarray(start, end);
}
