import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { GrammyError, type Api } from 'grammy';
import { type FileFlavor, type FileApiFlavor, hydrateFiles } from '@grammyjs/files';
import { downloadWithRetry, MediaError, tooLargeError } from '../../core/index.js';

/** The official Bot API lets bots download at most 20 MB; a self-hosted server has no such limit. */
export const OFFICIAL_DOWNLOAD_LIMIT_BYTES = 20 * 1024 * 1024;

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
 * getFile is retried by auto-retry, the one owner of Bot API retries; the download itself by
 * downloadWithRetry.
 */
export async function downloadTelegramFile(api: FileApi, source: TelegramFileSource, limitBytes: number): Promise<Uint8Array> {
  // Before getFile, which the official server refuses above 20 MB anyway.
  if (source.fileSize !== undefined && source.fileSize > limitBytes) throw tooLargeError(limitBytes, source.fileSize);
  let location: string;
  try {
    location = (await api.getFile(source.fileId)).getUrl();
  } catch (error) {
    if (error instanceof GrammyError && /file is too big/i.test(error.description)) throw tooLargeError(limitBytes, source.fileSize);
    throw new MediaError('download-failed', 'Telegram did not hand the file over.', undefined, { cause: error });
  }
  if (!isAbsolute(location)) return downloadWithRetry(location, { limitBytes });
  try {
    return await readFile(location);
  } catch (error) {
    throw new MediaError('download-failed', 'The file the Bot API server stored could not be read.', undefined, { cause: error });
  }
}

export type { FileFlavor };
