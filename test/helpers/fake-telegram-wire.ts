import type { ServerResponse } from 'node:http';

/**
 * The Bot API's wire format as the fake Telegram speaks it: answers and errors in Telegram's
 * envelope, and request bodies decoded from JSON, URL-encoded forms and grammy's multipart.
 */

/** A file part of a multipart upload, in place of the `attach://` reference that named it. */
export interface UploadedFile {
  readonly fileName: string;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

export type Params = Record<string, unknown>;

/** An error answer: `{ ok: false, error_code, description, parameters? }`. */
export class ApiFailure extends Error {
  constructor(readonly errorCode: number, readonly description: string, readonly retryAfter?: number) {
    super(description);
  }
}

export const defaultDescriptions: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden: bot was blocked by the user', 404: 'Not Found',
  409: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
  500: 'Internal Server Error', 502: 'Bad Gateway',
};

export function respond(response: ServerResponse, outcome: ApiFailure | { ok: true; result: unknown }): void {
  if (response.headersSent || response.destroyed) return;
  const body = outcome instanceof ApiFailure
    ? { ok: false, error_code: outcome.errorCode, description: outcome.description, ...(outcome.retryAfter !== undefined && { parameters: { retry_after: outcome.retryAfter } }) }
    : outcome;
  const json = JSON.stringify(body);
  response.writeHead(outcome instanceof ApiFailure ? outcome.errorCode : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  response.end(json);
}

/** Keeps absent fields absent, so messages compare equal to what arrives as JSON. */
export function withoutUndefined<Shape extends object>(value: Shape): Shape {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Shape;
}

export function isUploadedFile(value: unknown): value is UploadedFile {
  return typeof value === 'object' && value !== null && (value as UploadedFile).bytes instanceof Uint8Array;
}

export function numberParam(params: Params, name: string): number | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'number' ? value : Number(value);
}

export function stringParam(params: Params, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** Multipart sends objects as JSON text; JSON bodies send them as they are. */
export function objectParam(params: Params, name: string): unknown {
  const value = params[name];
  if (typeof value !== 'string' || !/^\s*[[{]/.test(value)) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new ApiFailure(400, `Bad Request: can't parse ${name} JSON object`);
  }
}

export function stripHtml(text: string): string {
  return text.replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

export function decodeBody(contentType: string, body: Buffer): Params {
  if (body.length === 0) return {};
  if (contentType.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (contentType.includes('multipart/form-data') && boundary) return parseMultipart(body, boundary[1] ?? boundary[2] ?? '');
  try {
    return JSON.parse(body.toString('utf8')) as Params;
  } catch {
    throw new ApiFailure(400, "Bad Request: can't parse JSON object");
  }
}

/**
 * grammy writes `content-disposition:form-data;name="x";filename=photo.jpg` (no spaces, filename
 * unquoted, possibly holding `;`), which Node's `Request.formData()` rejects; so a part's filename
 * runs to the end of its header line unless quoted.
 */
function parseMultipart(body: Buffer, boundary: string): Params {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const data = Buffer.concat([Buffer.from('\r\n'), body]);
  const fields: Record<string, string> = {};
  const files = new Map<string, UploadedFile>();
  for (let position = data.indexOf(delimiter); position !== -1; ) {
    const afterDelimiter = position + delimiter.length;
    if (data.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const headerStart = data.indexOf('\r\n', afterDelimiter) + 2;
    const headerEnd = data.indexOf('\r\n\r\n', headerStart - 2);
    const next = headerEnd === -1 ? -1 : data.indexOf(delimiter, headerEnd + 4);
    if (next === -1) throw new Error('truncated multipart body');
    const headers = new Map(data.subarray(headerStart, headerEnd).toString('utf8').split('\r\n').map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()] as const;
    }));
    const disposition = headers.get('content-disposition') ?? '';
    const name = /(?:^|;)\s*name=(?:"([^"]*)"|([^;]*))/i.exec(disposition);
    const fileName = /(?:^|;)\s*filename=(?:"([^"]*)"|(.*))$/i.exec(disposition);
    const partName = name?.[1] ?? name?.[2]?.trim() ?? '';
    const content = data.subarray(headerEnd + 4, next);
    if (fileName) {
      files.set(partName, { fileName: (fileName[1] ?? fileName[2] ?? '').trim(), contentType: headers.get('content-type') ?? 'application/octet-stream', bytes: new Uint8Array(content) });
    } else fields[partName] = content.toString('utf8');
    position = next;
  }
  const params: Params = { ...fields };
  for (const [key, value] of Object.entries(fields)) {
    const attached = value.startsWith('attach://') ? files.get(value.slice('attach://'.length)) : undefined;
    if (attached) {
      params[key] = attached;
      files.delete(value.slice('attach://'.length));
    }
  }
  for (const [partName, file] of files) params[partName] = file;
  return params;
}
