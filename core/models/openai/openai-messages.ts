import type { ChatCompletionContentPart, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ChatMessage } from '../content.js';
import { ModelError } from '../model-error.js';

/**
 * The core's messages in the chat-completions wire format: images as base64 `data:` URLs, which
 * vLLM, Ollama and llama.cpp's server all accept. Pure, so it is tested on its own.
 */
export function toOpenAiMessages(messages: readonly ChatMessage[], maxImages: number): ChatCompletionMessageParam[] {
  let images = 0;
  return messages.map((message): ChatCompletionMessageParam => {
    const text = message.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
    if (message.role !== 'user') return { role: message.role, content: text };
    const parts = message.content.map((part): ChatCompletionContentPart => {
      if (part.type === 'text') return { type: 'text', text: part.text };
      if (!part.mediaType.startsWith('image/')) {
        throw new ModelError('unsupported-input', `This backend takes images and text, not ${part.mediaType}.`);
      }
      images += 1;
      return { type: 'image_url', image_url: { url: `data:${part.mediaType};base64,${Buffer.from(part.data).toString('base64')}` } };
    });
    if (images > maxImages) throw new ModelError('unsupported-input', `At most ${maxImages} images per request, got ${images}.`);
    return { role: 'user', content: parts };
  });
}
