/**
 * espeak-ng compiled to WebAssembly (`@echogarden/espeak-ng-emscripten`): the voice itself, and
 * the phonemes neural voices (Piper) are trained on. It is GPL-3.0, so it is an optional
 * dependency, imported only when a voice is wanted; without it `loadEspeak` throws `unavailable`
 * and the caller turns voice replies off.
 */
import type { ESpeakNGWorker } from '@echogarden/espeak-ng-emscripten';
import { ModelError } from '../model-error.js';

export const ESPEAK_PACKAGE = '@echogarden/espeak-ng-emscripten';

/** The voice people expect for a language where espeak-ng has several (its `zh` is not a voice name). */
const PREFERRED_VOICES: Readonly<Record<string, string>> = { en: 'en-us', zh: 'cmn' };

export interface EspeakEngine {
  readonly sampleRate: number;
  /** The espeak-ng voice for an ISO 639-1 code, or undefined when no voice speaks it. */
  voiceFor(language: string): string | undefined;
  /** 16-bit mono samples at `sampleRate`. */
  speak(text: string, voice: string, wordsPerMinute: number): Promise<Int16Array>;
  /** IPA phonemes of each clause, as Piper voices take them (no separators). */
  phonemes(text: string, voice: string): Promise<string[]>;
}

/** How the optional package is imported; tests replace it to show what happens when it is missing. */
export type EspeakImporter = () => Promise<{ default: (options?: Record<string, unknown>) => Promise<{ eSpeakNGWorker: new () => ESpeakNGWorker }> }>;

const importPackage: EspeakImporter = () => import(ESPEAK_PACKAGE) as ReturnType<EspeakImporter>;

export async function loadEspeak(importer: EspeakImporter = importPackage): Promise<EspeakEngine> {
  let module: Awaited<ReturnType<EspeakImporter>>;
  try {
    module = await importer();
  } catch (error) {
    throw new ModelError('unavailable', `espeak-ng is not installed (npm package ${ESPEAK_PACKAGE}).`, { cause: error });
  }
  const instance = await module.default();
  return new WasmEspeak(new instance.eSpeakNGWorker());
}

class WasmEspeak implements EspeakEngine {
  readonly sampleRate: number;
  private readonly voices: ReadonlyMap<string, string>;

  constructor(private readonly worker: ESpeakNGWorker) {
    this.sampleRate = worker.get_samplerate();
    const best = new Map<string, { priority: number; identifier: string }>();
    for (const voice of worker.list_voices()) {
      for (const { name, priority } of voice.languages) {
        const current = best.get(name);
        if (!current || priority < current.priority) best.set(name, { priority, identifier: voice.identifier });
      }
    }
    this.voices = new Map([...best].map(([name, { identifier }]) => [name, identifier]));
  }

  voiceFor(language: string): string | undefined {
    const code = language.toLowerCase();
    return PREFERRED_VOICES[code] ?? this.voices.get(code);
  }

  async speak(text: string, voice: string, wordsPerMinute: number): Promise<Int16Array> {
    this.use(voice);
    this.worker.set_rate(wordsPerMinute);
    const chunks: Int16Array[] = [];
    let length = 0;
    // `synthesize` returns nothing useful; a failure shows as no samples at all.
    this.worker.synthesize(text, (samples) => {
      chunks.push(samples);
      length += samples.length;
    });
    if (length === 0 && text.trim()) throw new ModelError('failed', 'espeak-ng made no sound.');
    const samples = new Int16Array(length);
    let offset = 0;
    for (const chunk of chunks) {
      samples.set(chunk, offset);
      offset += chunk.length;
    }
    return samples;
  }

  async phonemes(text: string, voice: string): Promise<string[]> {
    this.use(voice);
    const { code, ipa } = this.worker.synthesize_ipa(text);
    if (code !== 0) throw new ModelError('failed', `espeak-ng could not make phonemes (code ${code}).`);
    return ipa
      .split('\n')
      .map((clause) => clause.replaceAll('_', '').trim())
      .filter(Boolean);
  }

  private use(voice: string): void {
    if (this.worker.set_voice(voice) !== 0) throw new ModelError('failed', `espeak-ng has no voice named ${voice}.`);
  }
}
