import { open, rm } from 'node:fs/promises';
import type { ContentHasher } from './file-checksum.js';
import { ModelInstallError } from './install-error.js';

/** Resets on every chunk; fires only when the connection goes quiet. */
export class StallWatch {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;
  fired = false;

  constructor(private readonly timeoutMs: number) {
    this.timer = this.start();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  touch(): void {
    clearTimeout(this.timer);
    this.timer = this.start();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private start(): NodeJS.Timeout {
    return setTimeout(() => {
      this.fired = true;
      this.controller.abort();
    }, this.timeoutMs);
  }
}

export interface BodyTarget {
  readonly partial: string;
  /** 0 writes the file afresh; otherwise the body continues the partial file from this byte. */
  readonly appendFrom: number;
  readonly hasher: ContentHasher;
  readonly totalBytes: number;
  readonly stall: StallWatch;
  readonly signal: AbortSignal;
  readonly onProgress?: ((downloadedBytes: number, totalBytes: number) => void) | undefined;
}

/** Streams a response body into the partial file, hashing as it goes; returns the bytes the file holds. */
export async function writeBody(response: Response, target: BodyTarget): Promise<number> {
  const { partial, hasher, totalBytes, onProgress } = target;
  const handle = await open(partial, target.appendFrom > 0 ? 'a' : 'w');
  let received = target.appendFrom;
  try {
    onProgress?.(received, totalBytes);
    if (!response.body) return received;
    for await (const chunk of readUntilAborted(response.body, target.signal)) {
      target.stall.touch();
      received += chunk.byteLength;
      if (received > totalBytes) break;
      hasher.update(chunk);
      await handle.write(chunk);
      onProgress?.(received, totalBytes);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (received > totalBytes) {
    await rm(partial, { force: true });
    throw new ModelInstallError('checksum', `The Hub sent more than the ${totalBytes} bytes it lists for a file; nothing was kept.`);
  }
  return received;
}

/**
 * Node 20's fetch never settles a read when the signal aborts after the whole body has arrived
 * but before it was read, so every read races the signal rather than trusting the stream to fail.
 */
async function* readUntilAborted(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  try {
    while (true) {
      if (signal.aborted) throw signal.reason;
      const { done, value } = await Promise.race([reader.read(), aborted]);
      if (done) return;
      yield value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    reader.cancel().catch(() => {});
  }
}
