import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What one transcription request gets: a transcript (sent in the response_format asked for), a
 * failure status, or a stall (the upload is read, and nothing ever comes back).
 */
export type FakeTranscriptionReply =
  | {
      readonly text: string;
      /** As the server would say it ("english" as whisper.cpp and OpenAI do, "en" as vLLM does); the pinned one, else "en", unless told. */
      readonly language?: string;
      /** Seconds; the uploaded WAV's length unless told. */
      readonly duration?: number;
    }
  | { readonly status: number; readonly retryAfterSeconds?: number; readonly message?: string }
  | { readonly stall: true };

/** The WAV as the fake read it: only 16-bit PCM is accepted, as the backend sends. */
export interface UploadedWav {
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
  readonly samples: Int16Array;
}

export interface FakeTranscriptionRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  /** Every text field of the multipart body (model, language, response_format, temperature). */
  readonly fields: Readonly<Record<string, string>>;
  readonly file: { readonly filename: string | undefined; readonly contentType: string | undefined; readonly bytes: Buffer } | undefined;
  /** The file read as a WAV; undefined when it was not one (the server then answered 400). */
  readonly wav: UploadedWav | undefined;
}

export interface FakeTranscriptionServer {
  readonly baseUrl: string;
  readonly requests: FakeTranscriptionRequest[];
  /** Replies used in order; the last one repeats. */
  replies: FakeTranscriptionReply[];
  /** False: refuse verbose_json with 400, as vLLM before verbose_json support did. */
  verboseJson: boolean;
  /** Connections the client closed before the reply ended (an abort, a timeout). */
  readonly clientHangUps: number;
  /** Uploads the fake could not read (a broken multipart body, a cut connection); answered 400 when still possible. */
  readonly unreadable: string[];
  /** Resolves once this many requests have arrived in full (upload read). */
  requestsReceived(count: number): Promise<void>;
  /** Resolves once the client has hung up on this many unanswered requests. */
  hungUp(count: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * An OpenAI-compatible `/v1/audio/transcriptions` server on loopback that parses the real
 * multipart upload and the WAV inside it, as vLLM, faster-whisper servers and whisper.cpp's do.
 * Not a mock of the openai client.
 */
export async function startFakeTranscriptionServer(models: string[] = ['whisper-test']): Promise<FakeTranscriptionServer> {
  let hangUps = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const hangUpWaiters: Array<{ count: number; resolve: () => void }> = [];
  const settle = (list: typeof waiters, reached: number): void => {
    for (const waiter of list.filter((candidate) => reached >= candidate.count)) {
      list.splice(list.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  const state = {
    baseUrl: '',
    requests: [] as FakeTranscriptionRequest[],
    replies: [{ text: 'What is in this photo?' }] as FakeTranscriptionReply[],
    verboseJson: true,
    unreadable: [] as string[],
    get clientHangUps() {
      return hangUps;
    },
    requestsReceived(count: number): Promise<void> {
      if (state.requests.length >= count) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ count, resolve }));
    },
    hungUp(count: number): Promise<void> {
      if (hangUps >= count) return Promise.resolve();
      return new Promise<void>((resolve) => hangUpWaiters.push({ count, resolve }));
    },
    close: async () => undefined,
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      state.unreadable.push(String(error));
      if (!response.headersSent && !response.destroyed) json(response, 400, { error: { message: 'Malformed upload.', type: 'invalid_request_error' } });
    });
  });
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    response.on('close', () => {
      if (response.writableFinished) return;
      hangUps += 1;
      settle(hangUpWaiters, hangUps);
    });
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = request.url ?? '';
    if (request.method === 'GET' && path.endsWith('/models')) {
      json(response, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake' })) });
      return;
    }
    const parts = parseMultipart(Buffer.concat(chunks), request.headers['content-type']);
    const fields: Record<string, string> = {};
    let file: FakeTranscriptionRequest['file'];
    for (const part of parts) {
      if (part.filename === undefined) fields[part.name] = part.body.toString('utf8');
      else if (part.name === 'file') file = { filename: part.filename, contentType: part.contentType, bytes: part.body };
    }
    const wav = file ? readWav(file.bytes) : undefined;
    state.requests.push({ method: request.method ?? '', path, authorization: request.headers.authorization, fields, file, wav });
    settle(waiters, state.requests.length);

    if (path !== '/v1/audio/transcriptions' || request.method !== 'POST') {
      json(response, 404, { error: { message: 'Not Found', type: 'invalid_request_error' } });
      return;
    }
    if (!wav) {
      json(response, 400, { error: { message: 'The file is not a 16-bit PCM WAV.', type: 'invalid_request_error' } });
      return;
    }
    const format = fields.response_format ?? 'json';
    if (format === 'verbose_json' && !state.verboseJson) {
      json(response, 400, { error: { message: 'Currently only support response_format `text` or `json`', type: 'BadRequestError' } });
      return;
    }
    const reply = state.replies.length > 1 ? state.replies.shift()! : state.replies[0]!;
    if ('stall' in reply) return; // the connection stays open and silent
    if ('status' in reply) {
      response.writeHead(reply.status, {
        'content-type': 'application/json',
        ...(reply.retryAfterSeconds === undefined ? {} : { 'retry-after': String(reply.retryAfterSeconds) }),
      });
      response.end(JSON.stringify({ error: { message: reply.message ?? 'overloaded', type: 'server_error' } }));
      return;
    }
    const language = reply.language ?? fields.language ?? 'en';
    const duration = reply.duration ?? wav.samples.length / wav.sampleRate;
    if (format === 'text') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(reply.text);
    } else if (format === 'verbose_json') {
      json(response, 200, { task: 'transcribe', language, duration, text: reply.text, segments: [] });
    } else {
      json(response, 200, { text: reply.text });
    }
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

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

interface MultipartPart {
  readonly name: string;
  readonly filename: string | undefined;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/** multipart/form-data (RFC 7578) as a server reads it; throws on anything malformed, which fails the test loudly. */
function parseMultipart(body: Buffer, contentType: string | undefined): MultipartPart[] {
  const boundary = /^multipart\/form-data;.*\bboundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1];
  if (!boundary) throw new Error(`not a multipart upload: ${contentType}`);
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let start = body.indexOf(delimiter);
  if (start < 0) throw new Error('multipart body without its boundary');
  for (;;) {
    start += delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') return parts;
    if (body.subarray(start, start + 2).toString() !== '\r\n') throw new Error('boundary not followed by CRLF');
    start += 2;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), start);
    if (next < 0) throw new Error('multipart body not closed');
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) throw new Error('multipart part without headers');
    const headers = new Map(
      part
        .subarray(0, headerEnd)
        .toString('utf8')
        .split('\r\n')
        .map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()] as const),
    );
    const disposition = headers.get('content-disposition') ?? '';
    const name = /\bname="([^"]*)"/.exec(disposition)?.[1];
    if (name === undefined) throw new Error(`multipart part without a name: ${disposition}`);
    parts.push({ name, filename: /\bfilename="([^"]*)"/.exec(disposition)?.[1], contentType: headers.get('content-type'), body: part.subarray(headerEnd + 4) });
    start = next + 2;
  }
}

/** A canonical RIFF/WAVE file of 16-bit PCM; undefined for anything else or a size that does not add up. */
function readWav(bytes: Buffer): UploadedWav | undefined {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  if (bytes.readUInt32LE(4) !== bytes.length - 8) return undefined;
  let format: { sampleRate: number; channels: number; bitsPerSample: number } | undefined;
  for (let offset = 12; offset + 8 <= bytes.length; ) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (body + size > bytes.length) return undefined;
    if (id === 'fmt ') {
      if (bytes.readUInt16LE(body) !== 1) return undefined;
      format = { channels: bytes.readUInt16LE(body + 2), sampleRate: bytes.readUInt32LE(body + 4), bitsPerSample: bytes.readUInt16LE(body + 14) };
      if (bytes.readUInt32LE(body + 8) !== (format.sampleRate * format.channels * format.bitsPerSample) / 8) return undefined;
    } else if (id === 'data') {
      if (!format || format.bitsPerSample !== 16 || size % (2 * format.channels) !== 0) return undefined;
      const samples = new Int16Array(size / 2);
      for (let index = 0; index < samples.length; index += 1) samples[index] = bytes.readInt16LE(body + index * 2);
      return { ...format, samples };
    }
    offset = body + size + (size % 2);
  }
  return undefined;
}
