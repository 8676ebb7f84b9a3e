/**
 * What transcribing a voice note costs on this machine, with a model of whisper-base's real
 * structure and dimensions and random weights, written by the test model builder at bench time.
 * Random weights stop whenever they like, so every run decodes a fixed number of tokens.
 */
import { join } from 'node:path';
import { silentLogger } from '../core/log.js';
import { WhisperSpeechModel } from '../core/models/embedded/whisper-speech-model.js';
import { voiceLike } from '../test/helpers/audio.js';
import { writeWhisperModel } from '../test/models/whisper-model.js';

export interface SpeechFigures {
  readonly loadMs: number;
  readonly rows: readonly SpeechRow[];
}

export interface SpeechRow {
  readonly label: string;
  readonly noteSeconds: number;
  readonly tokens: number;
  /** Median of the runs, whole transcribe call: features, encoder, decoding. */
  readonly ms: number;
}

const RUNS = 3;

export async function measureSpeech(folder: string): Promise<SpeechFigures> {
  const modelFolder = join(folder, 'whisper-base');
  await writeWhisperModel(modelFolder, { dimensions: 'whisper-base', languages: ['en', 'zh', 'de', 'es', 'fr'] });
  const load = (maxNewTokens: number) =>
    WhisperSpeechModel.load({ location: { folder: modelFolder, task: 'speech-to-text' }, device: 'cpu', timeoutMs: 600_000, maxNewTokens, logger: silentLogger() });
  // The first load after writing reads a cold file cache; a restarted bot finds it warm.
  await (await load(1)).dispose();
  const loadStarted = performance.now();
  const single = await load(1);
  const loadMs = performance.now() - loadStarted;
  const hundred = await load(100);
  const thirty = voiceLike(30, 16_000, 3);
  const ten = thirty.subarray(0, 16_000 * 10);
  try {
    const measure = async (label: string, model: WhisperSpeechModel, samples: Float32Array, tokens: number, language?: string) => {
      const times: number[] = [];
      await model.transcribe({ samples, ...(language ? { language } : {}) }, { minNewTokens: tokens }); // warm-up
      for (let run = 0; run < RUNS; run += 1) {
        const started = performance.now();
        await model.transcribe({ samples, ...(language ? { language } : {}) }, { minNewTokens: tokens });
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      return { label, noteSeconds: samples.length / 16_000, tokens, ms: times[Math.floor(times.length / 2)]! };
    };
    return {
      loadMs,
      rows: [
        await measure('30 s note, 1 token (features + encoder + first step)', single, thirty, 1, 'en'),
        await measure('30 s note, 100 tokens, language pinned', hundred, thirty, 100, 'en'),
        await measure('30 s note, 100 tokens, language detected', hundred, thirty, 100),
        await measure('10 s note, 100 tokens, language pinned', hundred, ten, 100, 'en'),
      ],
    };
  } finally {
    await single.dispose();
    await hundred.dispose();
  }
}
