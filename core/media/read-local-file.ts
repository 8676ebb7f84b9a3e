import { readFile, stat } from 'node:fs/promises';
import { MediaError } from './media-error.js';

/**
 * Reads a file the user named on the command line (a photo, a voice note), refusing a missing
 * path, a folder, or a file over `maxBytes` before reading it, with the reasons the user hears.
 */
export async function readLocalFile(path: string, maxBytes: number): Promise<Uint8Array> {
  let size: number;
  try {
    const stats = await stat(path);
    if (!stats.isFile()) throw new MediaError('not-a-file', 'Path is not a regular file');
    size = stats.size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new MediaError('not-found', 'File not found', undefined, { cause: error });
    throw error;
  }
  if (size > maxBytes) throw new MediaError('too-large', 'File is over the limit', { limitBytes: maxBytes, actualBytes: size });
  const bytes = await readFile(path);
  // The file may have grown between stat and read.
  if (bytes.byteLength > maxBytes) {
    throw new MediaError('too-large', 'File is over the limit', { limitBytes: maxBytes, actualBytes: bytes.byteLength });
  }
  return bytes;
}
