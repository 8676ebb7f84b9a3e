import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Update } from 'grammy/types';

/** Telegram's updates are a few kilobytes; anything near this is not one. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookServerOptions {
  readonly host: string;
  readonly port: number;
  /** Only this path takes updates, the one in the webhook URL registered with Telegram. */
  readonly path: string;
  readonly secret: string;
  /**
   * Called with each update that passed every check, before Telegram gets its 200: it must keep
   * the update durably and may not wait for the answer. A throw answers 500, so Telegram resends.
   */
  readonly onUpdate: (update: Update) => void;
}

/**
 * The webhook's HTTP side, written out rather than grammY's webhookCallback so that an update is
 * kept before it is confirmed and nothing a stranger sends can stop the process: POST on the
 * configured path only, the secret header checked in constant time, the body size capped, and
 * anything that is not a JSON update answered 400.
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<Server> {
  const server = createServer((request, response) => {
    void handle(request, response, options).catch(() => answer(response, 500));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

async function handle(request: IncomingMessage, response: ServerResponse, options: WebhookServerOptions): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://webhook').pathname;
  if (path !== options.path) return answer(response, 404);
  if (request.method !== 'POST') return answer(response, 405, { allow: 'POST' });
  if (!sameSecret(request.headers['x-telegram-bot-api-secret-token'], options.secret)) return answer(response, 401);
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return answer(response, 413, { connection: 'close' });
  const body = await readBody(request, MAX_BODY_BYTES);
  if (body === 'too-large') return answer(response, 413, { connection: 'close' });
  const update = parseUpdate(body);
  if (!update) return answer(response, 400);
  options.onUpdate(update);
  answer(response, 200);
}

function sameSecret(sent: string | string[] | undefined, secret: string): boolean {
  if (typeof sent !== 'string') return false;
  const expected = Buffer.from(secret);
  const received = Buffer.from(sent);
  return received.length === expected.length && timingSafeEqual(received, expected);
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Keep reading without keeping it, so the 413 can still be written back.
        chunks.length = 0;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** An object with a whole, non-negative `update_id`: what every Telegram update is. */
function parseUpdate(body: Buffer): Update | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const id = (parsed as { update_id?: unknown }).update_id;
  return Number.isSafeInteger(id) && (id as number) >= 0 ? (parsed as Update) : undefined;
}

function answer(response: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': 'text/plain', ...headers }).end();
}
