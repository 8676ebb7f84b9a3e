import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Hugging Face Hub on 127.0.0.1 serving one in-memory repository with the Hub's URL layout and
 * headers: revision, tree (paginated, with checksums), resolve (Range, LFS redirect to /cdn/).
 * Faults are injected per file; every request is recorded so tests can see what the client did.
 */
export interface FakeRepositoryFile {
  readonly content: Uint8Array | string;
  readonly lfs?: boolean;
}

export interface FakeHubOptions {
  readonly repository: string;
  readonly files: Readonly<Record<string, FakeRepositoryFile>>;
  readonly revision?: string;
  readonly commit?: string;
  /** When set, the API and resolve URLs answer 401 unless `Authorization: Bearer <token>` is sent. */
  readonly token?: string;
  /** Tree entries per page; the Hub paginates with a `Link: <…>; rel="next"` header. */
  readonly treePageSize?: number;
}

/** `content`: the request carried a file's bytes (the CDN for LFS files, resolve for the others). */
export type RequestKind = 'content' | 'redirect' | 'api' | 'refused' | 'error';

export interface RecordedRequest {
  readonly method: string;
  readonly kind: RequestKind;
  readonly url: string;
  /** The repository file the request served or redirected, if any. */
  readonly file: string | undefined;
  readonly range: string | undefined;
  readonly hasAuthorization: boolean;
}

export interface FakeHub {
  readonly endpoint: string;
  readonly commit: string;
  readonly requests: RecordedRequest[];
  /** Requests that carried the file's bytes (the CDN for LFS files, resolve for the others). */
  contentRequests(path: string): RecordedRequest[];
  /** The next `times` transfers of the file drop the connection after `afterBytes` bytes of the body. */
  cutTransfer(path: string, afterBytes: number, times: number, options?: CutOptions): void;
  /** The next `times` transfers of the file go silent after `afterBytes` bytes, connection left open. */
  stallTransfer(path: string, afterBytes: number, times: number): void;
  /** From now on the file's bytes differ from the checksum the tree lists. */
  corrupt(path: string): void;
  close(): Promise<void>;
}

export interface CutOptions {
  /**
   * The file the client writes the body into (its `.partial`). The connection is dropped only once
   * that file holds every byte sent, so the client has read them all, however loaded the machine:
   * a fetch body that errors discards the chunks not yet read. Without it the drop follows a short
   * pause, which a busy machine can outrun.
   */
  readonly receivedInto?: string;
}

interface StoredFile {
  readonly path: string;
  readonly bytes: Buffer;
  readonly lfs: boolean;
  readonly sha256: string;
  readonly gitOid: string;
}

interface Faults {
  readonly cuts: Map<string, { afterBytes: number; remaining: number; stall: boolean; receivedInto?: string }>;
  readonly corrupted: Set<string>;
}

export async function startFakeHub(options: FakeHubOptions): Promise<FakeHub> {
  const revision = options.revision ?? 'main';
  const commit = options.commit ?? createHash('sha1').update(options.repository).digest('hex');
  const files = new Map([...Object.entries(options.files)].map(([path, file]) => [path, storeFile(path, file)]));
  const faults: Faults = { cuts: new Map(), corrupted: new Set() };
  const requests: RecordedRequest[] = [];
  const repositoryPattern = options.repository.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake-hub');
    const record = (kind: RequestKind, file?: StoredFile): void => {
      const { method = 'GET', headers } = request;
      requests.push({ method, url: url.pathname + url.search, kind, file: file?.path, range: headers.range, hasAuthorization: !!headers.authorization });
    };
    const reply = (status: number, headers: Record<string, string> = {}, body = ''): void => {
      response.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers }).end(body);
    };
    const knownRevision = (value: string): boolean => value === revision || value === commit;

    // Signed CDN URLs need no token, as on the real Hub.
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(url.pathname);
    if (cdn) {
      const file = [...files.values()].find((candidate) => candidate.sha256 === cdn[1]);
      record('content', file);
      if (file) sendContent(request, response, file, faults);
      else reply(404);
      return;
    }
    if (options.token && request.headers.authorization !== `Bearer ${options.token}`) {
      record('refused');
      reply(401, { 'x-error-message': 'Invalid credentials in Authorization header' });
      return;
    }

    const resolve = new RegExp(`^/${repositoryPattern}/resolve/([^/]+)/(.+)$`).exec(url.pathname);
    if (resolve) {
      const file = files.get(decodeURIComponent(resolve[2]!));
      if (!knownRevision(decodeURIComponent(resolve[1]!)) || !file) {
        record('error');
        reply(404, { 'x-error-code': file ? 'RevisionNotFound' : 'EntryNotFound' });
        return;
      }
      const common = { 'x-repo-commit': commit, etag: `"${file.lfs ? file.sha256 : file.gitOid}"` };
      if (!file.lfs) {
        record('content', file);
        sendContent(request, response, file, faults, common);
        return;
      }
      record('redirect', file);
      reply(302, { ...common, location: `/cdn/${file.sha256}`, 'x-linked-size': String(file.bytes.length), 'x-linked-etag': `"${file.sha256}"` });
      return;
    }

    record('api');
    const api = new RegExp(`^/api/models/${repositoryPattern}/(revision|tree)/([^/]+)$`).exec(url.pathname);
    if (!api) return reply(404, { 'x-error-code': 'RepoNotFound' });
    if (!knownRevision(decodeURIComponent(api[2]!))) return reply(404, { 'x-error-code': 'RevisionNotFound' });
    const json = { 'content-type': 'application/json' };
    if (api[1] === 'revision') {
      const siblings = [...files.keys()].map((rfilename) => ({ rfilename }));
      return reply(200, json, JSON.stringify({ id: options.repository, sha: commit, siblings }));
    }
    const entries = treeEntries(files);
    const pageSize = options.treePageSize ?? 1000;
    const offset = Number(url.searchParams.get('cursor') ?? 0);
    const headers: Record<string, string> = { ...json };
    if (offset + pageSize < entries.length) headers.link = `<${url.pathname}?recursive=true&cursor=${offset + pageSize}>; rel="next"`;
    reply(200, headers, JSON.stringify(entries.slice(offset, offset + pageSize)));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    commit,
    requests,
    contentRequests: (path) => requests.filter((request) => request.file === path && request.kind === 'content'),
    cutTransfer: (path, afterBytes, times, cutOptions = {}) =>
      faults.cuts.set(path, { afterBytes, remaining: times, stall: false, ...(cutOptions.receivedInto ? { receivedInto: cutOptions.receivedInto } : {}) }),
    stallTransfer: (path, afterBytes, times) => faults.cuts.set(path, { afterBytes, remaining: times, stall: true }),
    corrupt: (path) => faults.corrupted.add(path),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function sendContent(
  request: IncomingMessage,
  response: ServerResponse,
  file: StoredFile,
  faults: Faults,
  headers: Record<string, string> = {},
): void {
  const bytes = faults.corrupted.has(file.path) ? corruptedCopy(file.bytes) : file.bytes;
  const size = bytes.length;
  const rangeStart = /^bytes=(\d+)-$/.exec(request.headers.range ?? '')?.[1];
  const start = rangeStart === undefined ? 0 : Number(rangeStart);
  if (start >= size && rangeStart !== undefined) {
    response.writeHead(416, { 'content-range': `bytes */${size}`, 'content-length': '0' }).end();
    return;
  }
  const status = rangeStart === undefined ? 200 : 206;
  response.writeHead(status, {
    ...headers,
    'accept-ranges': 'bytes',
    'content-type': 'application/octet-stream',
    'content-length': String(size - start),
    ...(status === 206 ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}),
  });
  const cut = faults.cuts.get(file.path);
  if (cut && cut.remaining > 0) {
    cut.remaining -= 1;
    // Send part of the body, then drop the connection the way a failing network would, once the
    // client has read what arrived: a fetch body stream that errors discards unread chunks.
    const part = bytes.subarray(start, start + cut.afterBytes);
    const { receivedInto, stall } = cut;
    response.write(part, () => {
      if (stall) return;
      const drop = (): void => void response.socket?.destroy();
      if (receivedInto) whenFileHolds(receivedInto, start + part.length, response).then(drop, drop);
      else setTimeout(drop, 10);
    });
    return;
  }
  response.end(bytes.subarray(start));
}

/** Resolves once the file is at least `bytes` long; gives up when the client hangs up first. */
function whenFileHolds(path: string, bytes: number, response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      let size = 0;
      try {
        size = statSync(path).size;
      } catch {
        // Not created yet.
      }
      if (size >= bytes || response.socket === null || response.socket.destroyed) resolve();
      else setTimeout(check, 5);
    };
    check();
  });
}

function corruptedCopy(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  for (let index = 0; index < copy.length; index += 97) copy[index] = copy[index]! ^ 0xff;
  return copy;
}

function storeFile(path: string, file: FakeRepositoryFile): StoredFile {
  const bytes = Buffer.from(file.content);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const lfs = file.lfs ?? false;
  const gitBlob = lfs ? Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${bytes.length}\n`) : bytes;
  return { path, bytes, lfs, sha256, gitOid: gitOid(gitBlob) };
}

function gitOid(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** Folders first, then files, as the Hub's recursive listing has them. */
function treeEntries(files: ReadonlyMap<string, StoredFile>): object[] {
  const folders = new Set<string>();
  for (const path of files.keys()) {
    const parts = path.split('/');
    for (let depth = 1; depth < parts.length; depth += 1) folders.add(parts.slice(0, depth).join('/'));
  }
  const folderEntries = [...folders].sort().map((path) => ({ type: 'directory', path, size: 0, oid: gitOid(Buffer.from(path)) }));
  const fileEntries = [...files.values()].map((file) =>
    file.lfs
      ? { type: 'file', path: file.path, size: file.bytes.length, oid: file.gitOid, lfs: { oid: file.sha256, size: file.bytes.length, pointerSize: 134 } }
      : { type: 'file', path: file.path, size: file.bytes.length, oid: file.gitOid },
  );
  return [...folderEntries, ...fileEntries];
}
