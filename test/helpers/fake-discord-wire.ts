import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIAttachment } from 'discord.js';

/**
 * The fake Discord's HTTP wire format: routing `METHOD /path/:param` templates, bot-token checks,
 * JSON and multipart bodies (undici's FormData, as @discordjs/rest sends files), Discord's error
 * bodies and rate-limit headers, injected failures, a record of every call, and the attachment
 * CDN. What each route does lives in fake-discord-rest.ts.
 */

/** A file part of a multipart request (`files[0]`, ...). */
export interface UploadedFile {
  /** The form field, e.g. `files[0]`; its index matches the `id` in the payload's `attachments`. */
  readonly field: string;
  readonly name: string;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

export interface RecordedCall {
  readonly method: string;
  /** Decoded and without the `/api/v10` prefix or query, e.g. `/webhooks/1/tok/messages/@original`. */
  readonly path: string;
  /** The template it matched, e.g. `POST /channels/:channelId/messages`; `unknown` when none did. */
  readonly route: string;
  readonly query: Record<string, string>;
  /** The JSON body, or a multipart request's `payload_json`; undefined when there was none. */
  readonly body: unknown;
  readonly files: readonly UploadedFile[];
  /** `Date.now()` when the request arrived. */
  readonly at: number;
  /** The status it was answered with. */
  readonly status: number;
}

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Record<string, string>;
  readonly query: Record<string, string>;
  readonly body: unknown;
  readonly files: readonly UploadedFile[];
}

/** A Discord error answer: its status, body (`{ code, message, errors? }`) and extra headers. */
export class DiscordApiError extends Error {
  constructor(readonly status: number, readonly body: { message: string; code?: number; [key: string]: unknown }, readonly headers: Record<string, string> = {}) {
    super(body.message);
  }
}

/** The errors the real API gives, worded as it words them. */
export const apiErrors = {
  notFound: () => new DiscordApiError(404, { message: '404: Not Found', code: 0 }),
  unauthorized: () => new DiscordApiError(401, { message: '401: Unauthorized', code: 0 }),
  unknownChannel: () => new DiscordApiError(404, { message: 'Unknown Channel', code: 10003 }),
  unknownGuild: () => new DiscordApiError(404, { message: 'Unknown Guild', code: 10004 }),
  unknownMessage: () => new DiscordApiError(404, { message: 'Unknown Message', code: 10008 }),
  unknownUser: () => new DiscordApiError(404, { message: 'Unknown User', code: 10013 }),
  unknownWebhook: () => new DiscordApiError(404, { message: 'Unknown Webhook', code: 10015 }),
  unknownInteraction: () => new DiscordApiError(404, { message: 'Unknown interaction', code: 10062 }),
  missingAccess: () => new DiscordApiError(403, { message: 'Missing Access', code: 50001 }),
  missingPermissions: () => new DiscordApiError(403, { message: 'Missing Permissions', code: 50013 }),
  notAuthor: () => new DiscordApiError(403, { message: 'Cannot edit a message authored by another user', code: 50005 }),
  notYourApplication: () => new DiscordApiError(403, { message: 'You are not authorized to perform this action on this application', code: 20012 }),
  emptyMessage: () => new DiscordApiError(400, { message: 'Cannot send an empty message', code: 50006 }),
  invalidRecipient: () => new DiscordApiError(400, { message: 'Invalid Recipient(s)', code: 50033 }),
  alreadyAcknowledged: () => new DiscordApiError(400, { message: 'Interaction has already been acknowledged.', code: 40060 }),
  tooLarge: () => new DiscordApiError(413, { message: 'Request entity too large', code: 40005 }),
  invalidJson: () => new DiscordApiError(400, { message: 'The request body contains invalid JSON.', code: 50109 }),
  /** Form validation: `errors` mirrors the body, each failing field holding `_errors`. */
  invalidFormBody: (errors: Record<string, unknown>) => new DiscordApiError(400, { message: 'Invalid Form Body', code: 50035, errors }),
};

/** `{ field: { _errors: [...] } }` for one failing field. */
export function fieldError(field: string, code: string, message: string): Record<string, unknown> {
  return { [field]: { _errors: [{ code, message }] } };
}

/** A handler's answer other than 200 with JSON: 204 for `noContent`, or another status. */
export const noContent = Symbol('204 No Content');
export class Answer {
  constructor(readonly status: number, readonly body: unknown) {}
}

export type RouteHandler = (request: ApiRequest) => unknown;
export type RouteAuth = 'bot' | 'none';

interface Route {
  readonly name: string;
  readonly method: string;
  readonly segments: readonly string[];
  readonly auth: RouteAuth;
  readonly handler: RouteHandler;
}

export class RestRouter {
  private readonly routes: Route[] = [];

  /** `template` like `POST /channels/:channelId/messages`; `:name` segments become params. */
  add(template: string, handler: RouteHandler, auth: RouteAuth = 'bot'): void {
    const [method = '', path = ''] = template.split(' ');
    this.routes.push({ name: template, method, segments: splitPath(path), auth, handler });
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    const segments = splitPath(path);
    for (const route of this.routes) {
      const params = route.method === method ? matchSegments(route.segments, segments) : undefined;
      if (params) return { route, params };
    }
    return undefined;
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function matchSegments(template: readonly string[], actual: readonly string[]): Record<string, string> | undefined {
  if (template.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of template.entries()) {
    const value = actual[index] ?? '';
    if (part.startsWith(':')) params[part.slice(1)] = value;
    else if (part !== value) return undefined;
  }
  return params;
}

export interface FailureOptions {
  readonly status: number;
  /** Defaults to Discord's body for the status (429: `{ message, retry_after, global }`, 403: 50013, ...). */
  readonly body?: Record<string, unknown>;
  /** For 429: sent as `Retry-After` (seconds; fractions allowed so tests stay fast) and `retry_after`. */
  readonly retryAfterSeconds?: number;
  /** For 429: a global limit (`X-RateLimit-Global`, scope `global`). */
  readonly global?: boolean;
  readonly times?: number;
}

/**
 * Failures queued by `failNext`. A pattern is `METHOD /path` where `:anything` matches one segment
 * (`POST /channels/:id/messages`), or a RegExp tested against `METHOD /path`.
 */
export class FaultInjector {
  private readonly pending: Array<{ pattern: string | RegExp; failure: FailureOptions; left: number }> = [];

  add(pattern: string | RegExp, failure: FailureOptions): void {
    this.pending.push({ pattern, failure, left: failure.times ?? 1 });
  }

  take(method: string, path: string): DiscordApiError | undefined {
    const index = this.pending.findIndex((entry) => matchesPattern(entry.pattern, method, path));
    const entry = this.pending[index];
    if (!entry) return undefined;
    if (--entry.left <= 0) this.pending.splice(index, 1);
    return failureError(entry.failure);
  }
}

function matchesPattern(pattern: string | RegExp, method: string, path: string): boolean {
  if (pattern instanceof RegExp) return pattern.test(`${method} ${path}`);
  const [patternMethod = '', patternPath = ''] = pattern.split(' ');
  return patternMethod.toUpperCase() === method && matchSegments(splitPath(patternPath), splitPath(path)) !== undefined;
}

const defaultFailureBodies: Record<number, { code: number; message: string }> = {
  400: { code: 50035, message: 'Invalid Form Body' }, 401: { code: 0, message: '401: Unauthorized' }, 403: { code: 50013, message: 'Missing Permissions' },
  404: { code: 0, message: '404: Not Found' }, 500: { code: 0, message: '500: Internal Server Error' }, 502: { code: 0, message: '502: Bad Gateway' },
};

/**
 * @discordjs/rest retries a 429 after the `Retry-After` header (it ignores the body), sleeping
 * that long plus its 50 ms offset; `X-RateLimit-Global` makes it block every route meanwhile.
 */
function failureError(failure: FailureOptions): DiscordApiError {
  if (failure.status !== 429) {
    return new DiscordApiError(failure.status, { ...(defaultFailureBodies[failure.status] ?? { code: 0, message: `${failure.status}` }), ...failure.body });
  }
  const retryAfter = failure.retryAfterSeconds ?? 1;
  const global = failure.global ?? false;
  const headers: Record<string, string> = {
    'retry-after': String(retryAfter), 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': String(retryAfter),
    'x-ratelimit-scope': global ? 'global' : 'user', ...(global && { 'x-ratelimit-global': 'true' }),
  };
  return new DiscordApiError(429, { message: 'You are being rate limited.', retry_after: retryAfter, global, ...failure.body }, headers);
}

/** Headers of a request that left plenty of room in its bucket, so discord.js never waits on its own. */
function rateLimitHeaders(route: string): Record<string, string> {
  return {
    'x-ratelimit-limit': '50', 'x-ratelimit-remaining': '49', 'x-ratelimit-reset-after': '1',
    'x-ratelimit-bucket': Buffer.from(route).toString('hex').slice(0, 32), 'x-ratelimit-scope': 'user',
  };
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) return;
  if (body === noContent || status === 204) {
    response.writeHead(204, headers).end();
    return;
  }
  const json = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), ...headers }).end(json);
}

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Multipart bodies go through WHATWG `Response.formData()`, which parses undici's standard encoding. */
export async function decodeBody(contentType: string, raw: Buffer): Promise<{ body: unknown; files: UploadedFile[] }> {
  if (raw.length === 0) return { body: undefined, files: [] };
  if (!contentType.includes('multipart/form-data')) return { body: parseJson(raw.toString('utf8')), files: [] };
  const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  const files: UploadedFile[] = [];
  const fields: Record<string, string> = {};
  for (const [field, value] of form.entries()) {
    if (typeof value === 'string') fields[field] = value;
    else files.push({ field, name: value.name, contentType: value.type, bytes: new Uint8Array(await value.arrayBuffer()) });
  }
  const body = fields.payload_json === undefined ? fields : parseJson(fields.payload_json);
  return { body, files };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw apiErrors.invalidJson();
  }
}

export interface RestServerOptions {
  readonly token: string;
  readonly router: RestRouter;
  readonly faults: FaultInjector;
  readonly record: (call: RecordedCall) => void;
}

/** Answers one `/api/...` request: route, token, injected failure, handler; records it before answering. */
export async function handleApiRequest(request: IncomingMessage, response: ServerResponse, options: RestServerOptions): Promise<void> {
  const at = Date.now();
  const url = new URL(request.url ?? '/', 'http://fake-discord');
  const path = decodeURIComponent(url.pathname.replace(/^\/api(\/v\d+)?/, ''));
  const method = (request.method ?? 'GET').toUpperCase();
  const query = Object.fromEntries(url.searchParams);
  const matched = options.router.match(method, path);
  let call: Omit<RecordedCall, 'status'> = { method, path, route: matched?.route.name ?? 'unknown', query, body: undefined, files: [], at };
  try {
    const decoded = await decodeBody(request.headers['content-type'] ?? '', await readBody(request));
    call = { ...call, ...decoded };
    if (!matched) throw apiErrors.notFound();
    if (matched.route.auth === 'bot' && request.headers.authorization !== `Bot ${options.token}`) throw apiErrors.unauthorized();
    const injected = options.faults.take(method, path);
    if (injected) throw injected;
    const result = await matched.route.handler({ method, path, params: matched.params, query, body: call.body, files: call.files });
    const status = result === noContent ? 204 : result instanceof Answer ? result.status : 200;
    options.record({ ...call, status });
    sendJson(response, status, result instanceof Answer ? result.body : result, rateLimitHeaders(call.route));
  } catch (error) {
    const failure = error instanceof DiscordApiError ? error : new DiscordApiError(500, { message: `500: ${String(error)}`, code: 0 });
    options.record({ ...call, status: failure.status });
    sendJson(response, failure.status, failure.body, failure.headers);
  }
}

/** How the CDN serves an attachment: normally, gone (expired link), slowly, with an error status, or cut off halfway. */
export type AttachmentDelivery = 'ok' | 'expired' | 'drop-connection' | { readonly delayMs: number } | { readonly status: number };

export interface StoredAttachment {
  readonly attachment: APIAttachment;
  readonly bytes: Uint8Array;
  delivery: AttachmentDelivery;
  downloads: number;
}

/**
 * Serves `/cdn/attachments/<channel>/<id>/<name>` and the `/media/...` proxy alike. Slow answers
 * wait on timers that `close()` clears, so a test that gives up early leaves nothing running.
 */
export function serveAttachment(response: ServerResponse, stored: StoredAttachment | undefined, timers: Set<NodeJS.Timeout>): void {
  if (!stored || stored.delivery === 'expired') {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('This content is no longer available.');
    return;
  }
  stored.downloads++;
  const { delivery, bytes } = stored;
  const headers = { 'content-type': stored.attachment.content_type ?? 'application/octet-stream', 'content-length': bytes.length };
  if (delivery === 'drop-connection') {
    response.writeHead(200, headers);
    response.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => response.destroy());
  } else if (delivery === 'ok') response.writeHead(200, headers).end(bytes);
  else if ('status' in delivery) response.writeHead(delivery.status, { 'content-type': 'text/plain' }).end(`fake CDN: ${delivery.status}`);
  else {
    const timer = setTimeout(() => {
      timers.delete(timer);
      response.writeHead(200, headers).end(bytes);
    }, delivery.delayMs);
    timers.add(timer);
  }
}
