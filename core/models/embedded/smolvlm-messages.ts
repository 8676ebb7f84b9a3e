import type { ChatMessage } from '../content.js';
import { ModelError } from '../model-error.js';

/** The message shape SmolVLM's chat template reads: images become `<image>` placeholders. */
export interface TemplateMessage {
  role: string;
  content: Array<{ type: 'image' } | { type: 'text'; text: string }>;
}

export interface SmolVlmPrompt {
  readonly messages: TemplateMessage[];
  /** The image bytes in the order their placeholders appear in the template. */
  readonly images: Uint8Array[];
  /** Each image's `key` from the core (a stored media id), same order; undefined where none. */
  readonly imageKeys: (string | undefined)[];
}

/**
 * Converts the core's chat messages to the template's input. Pure, so it is tested on its own.
 * Refuses audio and more images than the model takes, naming what was refused.
 */
export function toSmolVlmPrompt(messages: readonly ChatMessage[], maxImages: number): SmolVlmPrompt {
  const images: Uint8Array[] = [];
  const imageKeys: (string | undefined)[] = [];
  const converted = messages.map((message): TemplateMessage => ({
    role: message.role,
    content: message.content.map((part) => {
      if (part.type === 'text') return { type: 'text', text: part.text };
      if (!part.mediaType.startsWith('image/')) {
        throw new ModelError('unsupported-input', `This model takes images and text, not ${part.mediaType}.`);
      }
      images.push(part.data);
      imageKeys.push(part.key);
      return { type: 'image' };
    }),
  }));
  if (images.length > maxImages) {
    throw new ModelError('unsupported-input', `This model takes at most ${maxImages} images per request, got ${images.length}.`);
  }
  return { messages: converted, images, imageKeys };
}

/** The Idefics3 processor's image placeholder tokens and how many feature rows one frame takes. */
export interface ImageTokenLayout {
  readonly imageToken: string;
  readonly fakeTokenAroundImage: string;
  readonly globalImageToken: string;
  readonly imageSeqLen: number;
}

/**
 * Replaces each `<image>` of a templated prompt by the token run the Idefics3 processor writes for
 * an image split into `rows` × `cols` frames (0 × 0: not split), exactly as its `_call` does; used
 * when an image's features are cached, so the image need not be decoded and resized again only to
 * learn its grid. Transcribed from transformers.js 4.3.1 (processing_idefics3.js); the cache test
 * compares the result with the processor's.
 */
export function expandImageTokens(text: string, grids: readonly { rows: number; cols: number }[], layout: ImageTokenLayout): string {
  const { imageToken, fakeTokenAroundImage: fake, globalImageToken: global, imageSeqLen } = layout;
  const run = imageToken.repeat(imageSeqLen);
  const single = `${fake}${global}${run}${fake}`;
  const parts = text.split(imageToken);
  if (parts.length - 1 !== grids.length) throw new ModelError('unsupported-input', 'The prompt and its images do not match.');
  let expanded = parts[0]!;
  grids.forEach(({ rows, cols }, index) => {
    let tokens = single;
    if (rows > 0 || cols > 0) {
      tokens = '';
      for (let row = 1; row <= rows; row += 1) {
        for (let col = 1; col <= cols; col += 1) tokens += `${fake}<row_${row}_col_${col}>${run}`;
        tokens += '\n';
      }
      tokens += `\n${single}`;
    }
    expanded += tokens + parts[index + 1]!;
  });
  return expanded;
}
