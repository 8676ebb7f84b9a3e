import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/**
 * What a file must look like. The Hub gives LFS files a sha256 of their content and every other
 * file its git blob id (sha1 of `blob <size>\0<content>`); one of the two is always known.
 */
export interface ExpectedContent {
  readonly size: number;
  readonly sha256?: string | undefined;
  readonly gitOid?: string | undefined;
}

export type FileProblemKind = 'missing' | 'wrong-size' | 'checksum-mismatch';

/** Hashes content as it streams by, so a download is checked without reading it back. */
export class ContentHasher {
  private readonly hash: Hash;
  private readonly expectedDigest: string;

  constructor(expected: ExpectedContent) {
    if (expected.sha256) {
      this.hash = createHash('sha256');
      this.expectedDigest = expected.sha256.toLowerCase();
    } else if (expected.gitOid) {
      this.hash = createHash('sha1').update(`blob ${expected.size}\0`);
      this.expectedDigest = expected.gitOid.toLowerCase();
    } else {
      throw new Error('A file needs a sha256 or a git blob id to be checked.');
    }
  }

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }

  /** Call once, after the last chunk. */
  matches(): boolean {
    return this.hash.digest('hex') === this.expectedDigest;
  }
}

export async function hashFileInto(hasher: ContentHasher, path: string): Promise<void> {
  for await (const chunk of createReadStream(path)) hasher.update(chunk as Buffer);
}

/** Size first, so a truncated file is reported without hashing it. */
export async function findFileProblem(path: string, expected: ExpectedContent): Promise<FileProblemKind | undefined> {
  const size = await fileSize(path);
  if (size === undefined) return 'missing';
  if (size !== expected.size) return 'wrong-size';
  const hasher = new ContentHasher(expected);
  await hashFileInto(hasher, path);
  return hasher.matches() ? undefined : 'checksum-mismatch';
}

/** The size of a regular file, or undefined when there is none at that path. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
