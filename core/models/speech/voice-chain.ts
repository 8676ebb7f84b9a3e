import { ModelError } from '../model-error.js';
import type { SpeechSynthesizer, SynthesizedSpeech, SynthesizeRequest } from '../speech-synthesizer.js';

/**
 * Several voices as one: each request goes to the first that speaks its language, so a neural
 * voice for the main language and espeak-ng for every other can answer side by side.
 */
export class VoiceChain implements SpeechSynthesizer {
  readonly id: string;

  constructor(private readonly voices: readonly SpeechSynthesizer[]) {
    this.id = voices.map((voice) => voice.id).join('+');
  }

  speaks(language: string): boolean {
    return this.voices.some((voice) => voice.speaks(language));
  }

  synthesize(request: SynthesizeRequest): Promise<SynthesizedSpeech> {
    const voice = this.voices.find((candidate) => candidate.speaks(request.language));
    if (!voice) return Promise.reject(new ModelError('unsupported-input', `No voice speaks ${request.language}.`));
    return voice.synthesize(request);
  }

  async warmUp(): Promise<void> {
    await Promise.all(this.voices.map((voice) => voice.warmUp?.()));
  }
}
