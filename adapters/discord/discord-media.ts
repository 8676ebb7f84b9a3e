import type { Attachment } from 'discord.js';
import { classifyFile, downloadWithRetry, type FileKind, type IncomingAudio, type IncomingImage } from '../../core/index.js';

/**
 * Attachment URLs on Discord's CDN are signed and expire, so bytes are fetched when the core asks,
 * which is while the turn runs, soon after the message arrived. Failures become MediaErrors the
 * core can explain.
 */
export function attachmentFetcher(attachment: Attachment, limitBytes: number): () => Promise<Uint8Array> {
  return () => downloadWithRetry(attachment.url, { limitBytes, sizeBytes: attachment.size });
}

/** One answer per attachment, so a file is never both a photo and a voice question. */
function attachmentKind(attachment: Attachment): FileKind {
  return classifyFile({ name: attachment.name, mediaType: attachment.contentType ?? undefined });
}

export function isImageAttachment(attachment: Attachment): boolean {
  return attachmentKind(attachment) === 'image';
}

export function isAudioAttachment(attachment: Attachment): boolean {
  return attachmentKind(attachment) === 'audio';
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
