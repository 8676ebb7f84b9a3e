/**
 * The embedded model's cost on this machine, with a model of SmolVLM-256M's real structure and
 * dimensions and random weights, written by the test model builder at bench time (Hugging Face is
 * not reachable here, and the cost of a forward pass does not depend on the weights' values).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../core/log.js';
import { EmbeddedVisionModel } from '../core/models/embedded/embedded-vision-model.js';
import type { ChatMessage } from '../core/models/index.js';
import { DEFAULT_IMAGE_LIMITS, preprocessImage } from '../core/media/index.js';
import { noisyJpeg } from '../test/helpers/images.js';
import { writeSmolVlmModel } from '../test/models/smolvlm-model.js';

export interface ModelFigures {
  readonly label: string;
  readonly loadMs: number;
  /** From the generate call to the first token: vision encoding, prefill and one decoding step. */
  readonly firstTokenMs: number;
  readonly tokensPerSecond: number;
  /** Tokens decoded for the rate (random weights may end early at the end-of-utterance token). */
  readonly tokens: number;
}

const DECODE_TOKENS = 32;

export async function measureModel(
  folder: string,
  label: string,
  options: { int8: boolean; imageSplitting: boolean },
  photo: Uint8Array,
): Promise<ModelFigures> {
  const modelFolder = join(folder, options.int8 ? 'smolvlm-256m-int8' : 'smolvlm-256m');
  if (!existsSync(join(modelFolder, 'config.json'))) {
    await writeSmolVlmModel(modelFolder, { dimensions: 'smolvlm-256m', int8: options.int8 });
  }
  const load = () =>
    EmbeddedVisionModel.load({
      location: { folder: modelFolder },
      device: 'cpu',
      imageSplitting: options.imageSplitting,
      timeoutMs: 600_000,
      logger: silentLogger(),
    });
  // The first load after writing reads a cold file cache; a restarted bot finds it warm.
  await (await load()).dispose();
  const loadStarted = performance.now();
  const model = await load();
  const loadMs = performance.now() - loadStarted;
  try {
    const messages: ChatMessage[] = [
      { role: 'user', content: [{ type: 'file', mediaType: 'image/jpeg', data: photo }, { type: 'text', text: 'What is in this photo?' }] },
    ];
    const run = async (maxOutputTokens: number) => {
      for await (const part of model.generate({ messages, maxOutputTokens })) {
        if (part.type === 'finish') return { tokens: part.usage?.outputTokens ?? 0, timing: part.timing };
      }
      throw new Error('the stream ended without a finish part');
    };
    await run(1); // warm-up: the first run pays for allocations and kernel selection
    const measured = await run(DECODE_TOKENS);
    return {
      label,
      loadMs,
      firstTokenMs: measured.timing?.firstTokenMs ?? Number.NaN,
      tokensPerSecond: measured.timing?.tokensPerSecond ?? Number.NaN,
      tokens: measured.tokens,
    };
  } finally {
    await model.dispose();
  }
}

export async function measureModels(folder: string): Promise<ModelFigures[]> {
  // A 12-megapixel phone photo as the media pipeline hands it to the model.
  const photo = (await preprocessImage(await noisyJpeg(4000, 3000), DEFAULT_IMAGE_LIMITS)).data;
  return [
    await measureModel(folder, 'fp32, image splitting off (CPU default)', { int8: false, imageSplitting: false }, photo),
    await measureModel(folder, 'fp32, image splitting on', { int8: false, imageSplitting: true }, photo),
    await measureModel(folder, 'int8, image splitting off', { int8: true, imageSplitting: false }, photo),
  ];
}
