/**
 * What turning a voice note into 16 kHz mono samples costs: decoding (WebAssembly libopus and
 * mpg123), resampling and the loudness check, on 30 s notes encoded on the spot with real encoders.
 * Rows are shaped like run.ts's timing rows (milliseconds per run).
 */
import { OggOpusDecoder } from 'ogg-opus-decoder';
import { decodeAudio, measureLoudness, resample, type AudioLimits } from '../core/audio/index.js';
import { encodeMp3, encodeOggOpus, encodeWav, voiceLike } from '../test/helpers/audio.js';

export interface AudioRow {
  readonly name: string;
  readonly samples: number[];
}

const SECONDS = 30;
const LIMITS: AudioLimits = { maxBytes: 20 * 1024 * 1024, maxSeconds: 600 };

async function timeRuns(runs: number, warmUps: number, work: () => Promise<unknown> | unknown): Promise<number[]> {
  // Warm-up: the first calls pay for WebAssembly compilation, JIT and filter design.
  for (let index = 0; index < warmUps; index += 1) await work();
  const samples: number[] = [];
  for (let index = 0; index < runs; index += 1) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  return samples;
}

/** libopus at its native 48 kHz, then our resampler: what decodeAudio avoids by decoding at 16 kHz. */
async function decodeOpusAt48k(data: Uint8Array): Promise<Float32Array> {
  const decoder = new OggOpusDecoder();
  try {
    await decoder.ready;
    const decoded = await decoder.decodeFile(data);
    return resample(decoded.channelData[0]!, 48000, 16000);
  } finally {
    decoder.free();
  }
}

export async function measureAudio(runs = 20): Promise<{ rows: AudioRow[] }> {
  const voice48k = voiceLike(SECONDS, 48000, 1);
  const left = voiceLike(SECONDS, 44100, 2);
  const right = voiceLike(SECONDS, 44100, 3);
  const ogg = encodeOggOpus(voice48k, 48000, { bitrate: 32000 });
  const wav = encodeWav([left, right], 44100);
  const mp3 = encodeMp3([left, right], 44100, 128);
  const decoded = await decodeAudio(ogg, LIMITS);
  const kilobytes = (data: Uint8Array) => `${Math.round(data.length / 1024)} KiB`;
  const rows: AudioRow[] = [
    {
      name: `decode ${SECONDS} s Ogg/Opus voice note (48 kHz, 32 kbps, ${kilobytes(ogg)}) to 16 kHz mono`,
      samples: await timeRuns(runs, 3, () => decodeAudio(ogg, LIMITS)),
    },
    {
      name: `  for comparison: libopus at 48 kHz, then resample to 16 kHz`,
      samples: await timeRuns(runs, 3, () => decodeOpusAt48k(ogg)),
    },
    {
      name: `decode ${SECONDS} s WAV (44.1 kHz 16-bit stereo, ${kilobytes(wav)}) to 16 kHz mono`,
      samples: await timeRuns(runs, 3, () => decodeAudio(wav, LIMITS)),
    },
    {
      name: `decode ${SECONDS} s MP3 (44.1 kHz stereo, 128 kbps, ${kilobytes(mp3)}) to 16 kHz mono`,
      samples: await timeRuns(runs, 3, () => decodeAudio(mp3, LIMITS)),
    },
    {
      name: `resample ${SECONDS} s mono 48 kHz to 16 kHz`,
      samples: await timeRuns(runs, 3, () => resample(voice48k, 48000, 16000)),
    },
    {
      name: `resample ${SECONDS} s mono 44.1 kHz to 16 kHz`,
      samples: await timeRuns(runs, 3, () => resample(left, 44100, 16000)),
    },
    {
      name: `loudness of ${SECONDS} s at 16 kHz`,
      samples: await timeRuns(runs, 3, () => measureLoudness(decoded.samples, decoded.sampleRate)),
    },
  ];
  return { rows };
}
