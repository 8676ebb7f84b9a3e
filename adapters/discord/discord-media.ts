import type { Attachment } from 'discord.js';
import { MediaError, type IncomingAudio, type IncomingImage } from '../../core/index.js';

const DOWNLOAD_ATTEMPTS = 2;
const DOWNLOAD_TIMEOUT_MS = 60_000;

/**
 * Attachment URLs on Discord's CDN are signed and expire, so bytes are fetched when the core asks,
 * which is while the turn runs, soon after the message arrived. Failures become MediaErrors the
 * core can explain.
 */
export function attachmentFetcher(attachment: Attachment, limitBytes: number): () => Promise<Uint8Array> {
  return async () => {
    if (attachment.size > limitBytes) {
      throw new MediaError('too-large', 'The attachment is over the size limit.', { limitBytes, actualBytes: attachment.size });
    }
    let lastError: unknown;
    for (let attempt = 1; attempt <= DOWNLOAD_ATTEMPTS; attempt += 1) {
      try {
        const response = await fetch(attachment.url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
        if (!response.ok) throw new Error(`the CDN answered ${response.status}`);
        return new Uint8Array(await response.arrayBuffer());
      } catch (error) {
        lastError = error;
      }
    }
    throw new MediaError('download-failed', 'The attachment could not be downloaded.', undefined, { cause: lastError });
  };
}

export function isImageAttachment(attachment: Attachment): boolean {
  return attachment.contentType?.startsWith('image/') === true || /\.(jpe?g|png|webp|gif|heic|heif|avif)$/i.test(attachment.name);
}

export function isAudioAttachment(attachment: Attachment): boolean {
  return attachment.contentType?.startsWith('audio/') === true || /\.(ogg|oga|opus|mp3|m4a|wav)$/i.test(attachment.name);
}

export function toIncomingImage(attachment: Attachment, limitBytes: number): IncomingImage {
  return {
    fetch: attachmentFetcher(attachment, limitBytes),
    ...(attachment.contentType ? { mediaType: attachment.contentType } : {}),
    // The sender's alt text: passed to the model as untrusted context.
    ...(attachment.description ? { description: attachment.description } : {}),
  };
}

export function toIncomingAudio(attachment: Attachment, limitBytes: number): IncomingAudio {
  return {
    fetch: attachmentFetcher(attachment, limitBytes),
    ...(attachment.contentType ? { mediaType: attachment.contentType } : {}),
    ...(attachment.duration === null ? {} : { durationSeconds: attachment.duration }),
  };
}
