import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one chat-completions request gets: SSE chunks, or a failure, optionally stalling. */
export type FakeReply =
  | {
      readonly chunks: readonly string[];
      readonly stallAfter?: number;
      readonly dropAfter?: number;
      readonly malformedAfter?: number;
      /** Sent first as `reasoning_content` deltas, as vLLM's reasoning parsers and DeepSeek do. */
      readonly reasoning?: readonly string[];
      /** The last chunk's finish_reason; "stop" unless told ("length": cut at max_tokens). */
      readonly finishReason?: string;
    }
  | { readonly status: number; readonly retryAfterSeconds?: number; readonly message?: string };

export interface FakeChatServer {
  readonly baseUrl: string;
  readonly requests: Array<{ path: string; body: Record<string, unknown>; authorization: string | undefined }>;
  /** Replies used in order; the last one repeats. */
  replies: FakeReply[];
  readonly models: string[];
  /** Connections the client closed before the reply ended (an abort). */
  readonly clientHangUps: number;
  close(): Promise<void>;
}

/**
 * An OpenAI-compatible server on loopback with real server-sent-event framing (`data: {...}` and
 * `data: [DONE]`), as vLLM, Ollama and llama.cpp send it. Not a mock of the openai client.
 */
export async function startFakeChatServer(models: string[] = ['served-model']): Promise<FakeChatServer> {
  const state: FakeChatServer = {
    baseUrl: '',
    requests: [],
    replies: [{ chunks: ['Hello.'] }],
    models,
    clientHangUps: 0,
    close: async () => undefined,
  };
  const server = createServer((request, response) => void handle(request, response));
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = request.url ?? '';
    if (request.method === 'GET' && path.endsWith('/models')) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ object: 'list', data: state.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake' })) }));
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    state.requests.push({ path, body, authorization: request.headers.authorization });
    const reply = state.replies.length > 1 ? state.replies.shift()! : state.replies[0]!;
    if ('status' in reply) {
      response.writeHead(reply.status, {
        'content-type': 'application/json',
        ...(reply.retryAfterSeconds ? { 'retry-after': String(reply.retryAfterSeconds) } : {}),
      });
      response.end(JSON.stringify({ error: { message: reply.message ?? 'overloaded', type: 'server_error' } }));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    response.on('close', () => {
      if (!response.writableFinished) (state as { clientHangUps: number }).clientHangUps += 1;
    });
    for (const thought of reply.reasoning ?? []) {
      const chunk = { id: 'c1', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [{ index: 0, delta: { reasoning_content: thought }, finish_reason: null }] };
      response.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    for (const [index, text] of reply.chunks.entries()) {
      if (reply.dropAfter === index) {
        // Let the chunks already written reach the client before the connection is cut.
        await new Promise((resolve) => setTimeout(resolve, 50));
        response.destroy();
        return;
      }
      if (reply.stallAfter === index) return; // keeps the connection open and silent
      if (reply.malformedAfter === index) {
        response.end('data: {"choices": [ this is not json\n\n');
        return;
      }
      const chunk = { id: 'c1', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [{ index: 0, delta: { content: text }, finish_reason: null }] };
      response.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    const last = { id: 'c1', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [{ index: 0, delta: {}, finish_reason: reply.finishReason ?? 'stop' }] };
    response.write(`data: ${JSON.stringify(last)}\n\ndata: [DONE]\n\n`);
    response.end();
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
