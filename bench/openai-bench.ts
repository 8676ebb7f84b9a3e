/**
 * The openai backend's own cost: a long answer streamed at full speed by the fake chat-completions
 * server, read through the backend and, for comparison, as raw server-sent events.
 */
import { silentLogger } from '../core/log.js';
import { OpenAiVisionModel } from '../core/models/openai/openai-vision-model.js';
import { startFakeChatServer } from '../test/helpers/fake-chat-completions.js';

export interface StreamFigures {
  readonly label: string;
  readonly firstChunkMs: number;
  readonly tokensPerSecond: number;
}

const TOKENS = 4000;

export async function measureOpenAi(): Promise<StreamFigures[]> {
  const server = await startFakeChatServer();
  server.replies = [{ chunks: Array.from({ length: TOKENS }, (_, index) => `word${index} `) }];
  try {
    const backend = new OpenAiVisionModel({ baseUrl: server.baseUrl, model: 'served-model', timeoutMs: 30_000, concurrency: 1, logger: silentLogger() });
    const request = { messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'describe' }] }], maxOutputTokens: TOKENS };
    const viaBackend = async (): Promise<StreamFigures> => {
      const started = performance.now();
      let first = 0;
      let count = 0;
      for await (const part of backend.generate(request)) {
        if (part.type !== 'text-delta') continue;
        if (count === 0) first = performance.now() - started;
        count += 1;
      }
      return { label: 'through the backend (openai client)', firstChunkMs: first, tokensPerSecond: (count * 1000) / (performance.now() - started) };
    };
    const raw = async (): Promise<StreamFigures> => {
      const started = performance.now();
      const response = await fetch(`${server.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'served-model', stream: true, messages: [] }),
      });
      let first = 0;
      let count = 0;
      let pending = '';
      for await (const chunk of response.body!) {
        pending += Buffer.from(chunk).toString('utf8');
        const events = pending.split('\n\n');
        pending = events.pop() ?? '';
        for (const event of events) {
          if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
          const content = (JSON.parse(event.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content;
          if (!content) continue;
          if (count === 0) first = performance.now() - started;
          count += 1;
        }
      }
      return { label: 'raw server-sent events (fetch)', firstChunkMs: first, tokensPerSecond: (count * 1000) / (performance.now() - started) };
    };
    await viaBackend(); // warm-up
    await raw();
    return [await viaBackend(), await raw()];
  } finally {
    await server.close();
  }
}
