/** The parts of `@echogarden/espeak-ng-emscripten` (an optional, GPL-3.0 dependency) the voices use. */
declare module '@echogarden/espeak-ng-emscripten' {
  export interface EspeakEvent {
    readonly type: string;
    readonly text_position: number;
    readonly word_length: number;
    readonly audio_position: number;
    readonly id?: string | number;
  }
  export interface EspeakVoiceInfo {
    readonly name: string;
    readonly identifier: string;
    readonly languages: readonly { readonly priority: number; readonly name: string }[];
  }
  export interface ESpeakNGWorker {
    set_voice(name: string): number;
    set_rate(wordsPerMinute: number): number;
    get_rate(): number;
    get_samplerate(): number;
    list_voices(): EspeakVoiceInfo[];
    /** Calls back with 16-bit samples as they are made, and the events that fall in them. */
    synthesize(text: string, callback: (samples: Int16Array, events: EspeakEvent[]) => void): unknown;
    synthesize_ipa(text: string): { readonly code: number; readonly ipa: string };
  }
  export interface EspeakModule {
    readonly eSpeakNGWorker: new () => ESpeakNGWorker;
  }
  const createModule: (options?: Record<string, unknown>) => Promise<EspeakModule>;
  export default createModule;
}
