import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { GrammyError, type Api } from 'grammy';
import { type FileFlavor, type FileApiFlavor, hydrateFiles } from '@grammyjs/files';
import { MediaError } from '../../core/index.js';

/** The official Bot API lets bots download at most 20 MB; a self-hosted server has no such limit. */
export const OFFICIAL_DOWNLOAD_LIMIT_BYTES = 20 * 1024 * 1024;
const DOWNLOAD_ATTEMPTS = 2;
const DOWNLOAD_TIMEOUT_MS = 60_000;

export interface TelegramFileSource {
  readonly fileId: string;
  /** As Telegram reports it, when it does. */
  readonly fileSize?: number;
}

export type FileApi = FileApiFlavor<Api>;

export function withFileMethods(api: Api, token: string, apiRoot: string): FileApi {
  api.config.use(hydrateFiles(token, { apiRoot }));
  return api as FileApi;
}

/**
 * Fetches a file's bytes: through the download route, or from disk when a self-hosted Bot API
 * server hands out local paths. Telegram's refusals become MediaErrors the core can explain.
 */
export async function downloadTelegramFile(api: FileApi, source: TelegramFileSource, limitBytes: number): Promise<Uint8Array> {
  if (source.fileSize !== undefined && source.fileSize > limitBytes) throw tooLarge(limitBytes, source.fileSize);
  let lastError: unknown;
  for (let attempt = 1; attempt <= DOWNLOAD_ATTEMPTS; attempt += 1) {
    try {
      const file = await api.getFile(source.fileId);
      const location = file.getUrl();
      if (isAbsolute(location)) return await readFile(location);
      const response = await fetch(location, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`download answered ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      if (error instanceof GrammyError && /file is too big/i.test(error.description)) throw tooLarge(limitBytes, source.fileSize);
      lastError = error;
    }
  }
  throw new MediaError('download-failed', 'The file could not be downloaded from Telegram.', undefined, { cause: lastError });
}

function tooLarge(limitBytes: number, actualBytes: number | undefined): MediaError {
  return new MediaError('too-large', 'The file is over the download limit.', {
    limitBytes,
    ...(actualBytes === undefined ? {} : { actualBytes }),
  });
}

export type { FileFlavor };
