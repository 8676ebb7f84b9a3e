import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { exponentialBackoff, parseRetryAfter, retryWithBackoff } from '../../core/util/index.js';
import { ContentHasher, fileSize, hashFileInto } from './file-checksum.js';
import { ModelInstallError } from './install-error.js';
import { StallWatch, writeBody } from './write-body.js';

/**
 * A small client for the Hugging Face Hub: pin a revision to a commit, list the files with their
 * checksums, download one file with resume. A file reaches its final name only once its size and
 * checksum match; until then it lives at `<target>.partial`, which the next attempt resumes.
 */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export interface HubFile {
  readonly path: string;
  readonly size: number;
  /** LFS files: sha256 of the content. */
  readonly sha256?: string | undefined;
  /** Other files: the git blob id, which is a checksum of the content too. */
  readonly gitOid?: string | undefined;
}

export interface HubClientOptions {
  readonly endpoint?: string;
  /** Sent only to the endpoint's own origin, never to the CDN a download redirects to. */
  readonly token?: string | undefined;
  /** Tries per request or transfer, the first included. */
  readonly attempts?: number;
  /** Wait before try `attempt + 1`; tests pass a few milliseconds. */
  readonly backoffMs?: (attempt: number) => number;
  /** A connection that delivers nothing for this long is dropped and retried. */
  readonly stallTimeoutMs?: number;
}

export interface DownloadRequest {
  readonly repository: string;
  readonly commit: string;
  readonly file: HubFile;
  readonly target: string;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((downloadedBytes: number, totalBytes: number) => void) | undefined;
}

const MAX_REDIRECTS = 5;
const MAX_RETRY_AFTER_MS = 60_000;
const revisionSchema = z.object({ sha: z.string().regex(/^[0-9a-f]{40}$/i) });
const treeSchema = z.array(
  z.object({
    type: z.string(),
    path: z.string(),
    size: z.number().int().nonnegative(),
    oid: z.string(),
    lfs: z.object({ oid: z.string(), size: z.number().int().nonnegative() }).optional(),
  }),
);

export class HubClient {
  private readonly endpoint: URL;
  private readonly token: string | undefined;
  private readonly attempts: number;
  private readonly backoffMs: (attempt: number) => number;
  private readonly stallTimeoutMs: number;

  constructor(options: HubClientOptions = {}) {
    const endpoint = (options.endpoint ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
    if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
      throw new ModelInstallError('invalid', `HF_ENDPOINT must be a URL starting with http:// or https://.`);
    }
    this.endpoint = new URL(`${endpoint}/`);
    this.token = options.token || undefined;
    this.attempts = Math.max(1, options.attempts ?? 5);
    this.backoffMs = options.backoffMs ?? exponentialBackoff;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
  }

  /** Pins a branch or tag to a commit, so every file of one pull comes from the same commit. */
  async resolveCommit(repository: string, revision: string, signal?: AbortSignal): Promise<string> {
    const url = this.url(`api/models/${repository}/revision/${encodeURIComponent(revision)}`);
    const what = `revision ${revision} of ${repository}`;
    const { body } = await this.withRetries(signal, () => this.getJson(url, what, signal));
    return parseHubAnswer(revisionSchema, body, what).sha.toLowerCase();
  }

  /** Every file of the commit with its size and checksum; follows the Hub's pagination. */
  async listFiles(repository: string, commit: string, signal?: AbortSignal): Promise<HubFile[]> {
    const what = `file list of ${repository} at commit ${commit.slice(0, 8)}`;
    const files: HubFile[] = [];
    let next: URL | undefined = this.url(`api/models/${repository}/tree/${commit}?recursive=true`);
    while (next) {
      const page: URL = next;
      const { body, headers } = await this.withRetries(signal, () => this.getJson(page, what, signal));
      for (const entry of parseHubAnswer(treeSchema, body, what)) {
        if (entry.type !== 'file') continue;
        files.push(
          entry.lfs
            ? { path: entry.path, size: entry.lfs.size, sha256: entry.lfs.oid }
            : { path: entry.path, size: entry.size, gitOid: entry.oid },
        );
      }
      next = nextPageUrl(headers.get('link'), page);
    }
    return files;
  }

  async downloadFile(request: DownloadRequest): Promise<void> {
    await mkdir(dirname(request.target), { recursive: true });
    await this.withRetries(request.signal, () => this.transferOnce(request));
  }

  private async transferOnce(request: DownloadRequest): Promise<void> {
    const { file, target } = request;
    const partial = `${target}.partial`;
    const existing = await fileSize(partial);
    let resumeFrom = existing ?? 0;
    if (resumeFrom > file.size) {
      await rm(partial, { force: true });
      resumeFrom = 0;
    }
    let hasher = new ContentHasher(file);
    if (resumeFrom > 0) await hashFileInto(hasher, partial);
    // A previous run may have stopped between the last byte and the rename.
    if (existing !== undefined && resumeFrom === file.size) return finishTransfer(partial, target, hasher, file, true);

    const stall = new StallWatch(this.stallTimeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, stall.signal]) : stall.signal;
    const url = this.url(`${request.repository}/resolve/${request.commit}/${encodePath(file.path)}`);
    try {
      const response = await this.fetchFollowingRedirects(url, signal, resumeFrom);
      if (response.status === 416) await discardUnusablePartial(response, partial);
      await ensureOk(response, `file ${file.path} in ${request.repository}`, this.token);
      const appendFrom = response.status === 206 ? checkedRangeStart(response, resumeFrom, file.size) : 0;
      if (appendFrom === 0) hasher = new ContentHasher(file);
      const received = await writeBody(response, { partial, appendFrom, hasher, totalBytes: file.size, stall, signal, onProgress: request.onProgress });
      if (received < file.size) {
        throw new ModelInstallError('network', `The connection closed after ${received} of ${file.size} bytes of ${file.path}.`, {
          isRetryable: true,
        });
      }
      await finishTransfer(partial, target, hasher, file, appendFrom > 0);
    } catch (error) {
      if (stall.fired && !request.signal?.aborted) {
        throw new ModelInstallError('network', `No data arrived for ${this.stallTimeoutMs / 1000} seconds while downloading ${file.path}.`, {
          isRetryable: true,
        });
      }
      throw error;
    } finally {
      stall.stop();
    }
  }

  private async getJson(url: URL, what: string, signal: AbortSignal | undefined): Promise<{ body: unknown; headers: Headers }> {
    const timeout = AbortSignal.timeout(this.stallTimeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFollowingRedirects(url, combined, 0);
      await ensureOk(response, what, this.token);
      text = await response.text();
    } catch (error) {
      if (!timeout.aborted || signal?.aborted) throw error;
      throw new ModelInstallError('network', `The Hub did not answer within ${this.stallTimeoutMs / 1000} seconds.`, { isRetryable: true });
    }
    try {
      return { body: JSON.parse(text), headers: response.headers };
    } catch (error) {
      throw new ModelInstallError('invalid', `The Hub's answer for the ${what} is not valid JSON.`, { cause: error });
    }
  }

  /** Redirects are followed by hand so the token never travels to another origin. */
  private async fetchFollowingRedirects(url: URL, signal: AbortSignal | undefined, rangeStart: number): Promise<Response> {
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
      const headers: Record<string, string> = { 'user-agent': 'seed-assistant-models' };
      if (this.token && current.origin === this.endpoint.origin) headers.authorization = `Bearer ${this.token}`;
      if (rangeStart > 0) headers.range = `bytes=${rangeStart}-`;
      const response = await fetch(current, { headers, signal, redirect: 'manual' });
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return response;
      await response.body?.cancel();
      current = new URL(location, current);
    }
    throw new ModelInstallError('invalid', `The Hub redirected more than ${MAX_REDIRECTS} times for ${url.pathname}.`);
  }

  private async withRetries<T>(signal: AbortSignal | undefined, operation: () => Promise<T>): Promise<T> {
    try {
      return await retryWithBackoff(
        async () => {
          try {
            return await operation();
          } catch (error) {
            throw asInstallError(error, signal);
          }
        },
        {
          attempts: this.attempts,
          backoffMs: this.backoffMs,
          shouldRetry: (error) => error instanceof ModelInstallError && error.isRetryable,
          retryAfterMs: (error) => (error instanceof ModelInstallError ? error.retryAfterMs : undefined),
          signal,
        },
      );
    } catch (error) {
      // Checked again: the signal may have aborted while waiting to retry.
      const failure = asInstallError(error, signal);
      // Still retryable here means the tries ran out.
      if (!failure.isRetryable || this.attempts === 1) throw failure;
      throw new ModelInstallError(failure.kind, `${failure.message} Gave up after ${this.attempts} tries.`, { cause: failure });
    }
  }

  private url(path: string): URL {
    return new URL(path, this.endpoint);
  }
}

async function finishTransfer(partial: string, target: string, hasher: ContentHasher, file: HubFile, resumed: boolean): Promise<void> {
  if (!hasher.matches()) {
    await rm(partial, { force: true });
    // Bad bytes may come from an old partial file, so a resumed transfer gets one fresh try.
    throw new ModelInstallError('checksum', `${file.path} does not match the checksum the Hub lists for it; the download was discarded.`, {
      isRetryable: resumed,
    });
  }
  await rename(partial, target);
}

async function ensureOk(response: Response, what: string, token: string | undefined): Promise<void> {
  if (response.ok) return;
  await response.body?.cancel();
  const status = response.status;
  if (status === 401 || status === 403) {
    const advice = token
      ? `Hugging Face refused the token in HF_TOKEN for the ${what}: check that it is valid and has read access, ` +
        "and that you accepted the model's terms on its page."
      : `Hugging Face refused access to the ${what}: the repository needs a token. ` +
        'Set HF_TOKEN to a Hugging Face access token with read access and try again.';
    throw new ModelInstallError('unauthorized', advice);
  }
  if (status === 404) throw new ModelInstallError('not-found', `The Hub has no ${what}.`);
  const isRetryable = status === 408 || status === 429 || status >= 500;
  // A wait longer than a minute is better left to the person, who can run the command again.
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  throw new ModelInstallError('network', `The Hub answered HTTP ${status} for the ${what}.`, {
    isRetryable,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs: Math.min(retryAfterMs, MAX_RETRY_AFTER_MS) }),
  });
}

/** The server cannot serve the rest of what we hold (the file changed size?): start over. */
async function discardUnusablePartial(response: Response, partial: string): Promise<never> {
  await response.body?.cancel();
  await rm(partial, { force: true });
  throw new ModelInstallError('network', 'The Hub could not resume the download; starting over.', { isRetryable: true });
}

function checkedRangeStart(response: Response, expectedStart: number, size: number): number {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
  if (match && Number(match[1]) === expectedStart && Number(match[3]) === size) return expectedStart;
  void response.body?.cancel();
  throw new ModelInstallError('network', 'The Hub answered a resumed download with a different range; starting over.', {
    isRetryable: true,
  });
}

function asInstallError(error: unknown, signal: AbortSignal | undefined): ModelInstallError {
  if (error instanceof ModelInstallError && error.kind === 'aborted') return error;
  if (signal?.aborted) return new ModelInstallError('aborted', 'Stopped; run the same command again to resume.', { cause: error });
  if (error instanceof ModelInstallError) return error;
  return new ModelInstallError('network', `The connection to the Hub failed: ${describeNetworkFailure(error)}.`, {
    isRetryable: true,
    cause: error,
  });
}

/** fetch reports "fetch failed" with the system's code in `cause`; say what that code means. */
function describeNetworkFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code;
  const known: Record<string, string> = {
    ENOTFOUND: 'the host name could not be found (are you offline?)',
    EAI_AGAIN: 'the host name could not be looked up (are you offline?)',
    ECONNREFUSED: 'the connection was refused',
    ECONNRESET: 'the connection was reset',
    ETIMEDOUT: 'the connection timed out',
    UND_ERR_CONNECT_TIMEOUT: 'connecting timed out',
    UND_ERR_SOCKET: 'the connection closed unexpectedly',
  };
  if (code && known[code]) return known[code];
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}

function parseHubAnswer<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new ModelInstallError('invalid', `The Hub's answer for the ${what} has an unexpected shape.`);
  return result.data;
}

function nextPageUrl(link: string | null, current: URL): URL | undefined {
  const match = link ? /<([^>]+)>\s*;\s*rel="next"/.exec(link) : null;
  return match?.[1] ? new URL(match[1], current) : undefined;
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
