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
