import { detectFormat } from '../audio/detect-format.js';

export type FileKind = 'image' | 'audio' | 'other';

export interface FileLabel {
  /** The file name as sent, e.g. `IMG_0412.HEIC`; only its extension is read. */
  readonly name?: string | undefined;
  /** The declared MIME type, e.g. `image/jpeg` or `audio/ogg; codecs=opus`. */
  readonly mediaType?: string | undefined;
}

// One list for every platform. Formats the core cannot show or play are listed too, so the user
// hears which ones it can instead of having the file ignored.
const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['jpg', 'jpeg', 'png', 'webp', 'gif', 'heic', 'heif', 'avif', 'tif', 'tiff', 'bmp', 'svg']);
const AUDIO_EXTENSIONS: ReadonlySet<string> = new Set(['ogg', 'oga', 'opus', 'wav', 'wave', 'mp3', 'm4a', 'aac', 'flac', 'webm', 'amr']);
/** Audio that some senders label as an application. */
const AUDIO_APPLICATION_TYPES: ReadonlySet<string> = new Set(['application/ogg']);
/** Names detectFormat gives to audio it cannot play; a damaged Ogg file is reported as 'Ogg'. */
const AUDIO_FORMAT_NAMES: ReadonlySet<string> = new Set(['Ogg', 'Ogg Vorbis', 'FLAC', 'Speex', 'AAC', 'M4A', 'AMR', 'AIFF', 'CAF', 'AU', 'MIDI', 'WMA']);
// Not 'text': an SVG image is text too, so its label decides.
const OTHER_FORMAT_NAMES: ReadonlySet<string> = new Set(['video', 'PDF', 'ZIP']);

/**
 * Image, audio or neither, from what a platform says about a file before it is downloaded. A
 * declared image/, audio/ or video/ type decides; a missing or generic one (application/octet-stream)
 * leaves it to the name's extension.
 */
export function classifyFile(label: FileLabel): FileKind {
  const type = label.mediaType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('audio/') || AUDIO_APPLICATION_TYPES.has(type)) return 'audio';
  if (type.startsWith('video/')) return 'other';
  const extension = /\.([^./\\]+)$/.exec(label.name ?? '')?.[1]?.toLowerCase() ?? '';
  if (IMAGE_EXTENSIONS.has(extension)) return 'image';
  if (AUDIO_EXTENSIONS.has(extension)) return 'audio';
  return 'other';
}

/**
 * Like classifyFile, but the first bytes decide when they are recognised: chat apps label files
 * loosely (a forwarded note may say audio/mpeg and hold Ogg, a photo may be named .bin).
 * Containers that hold either sound or video (MP4, WebM) are left to the label.
 */
export function detectFileKind(file: FileLabel & { readonly bytes?: Uint8Array | undefined }): FileKind {
  if (file.bytes && file.bytes.byteLength > 0) {
    const detected = detectFormat(file.bytes);
    if (detected.supported) return 'audio';
    if (detected.name === 'image') return 'image';
    if (detected.name !== undefined && AUDIO_FORMAT_NAMES.has(detected.name)) return 'audio';
    if (detected.name !== undefined && OTHER_FORMAT_NAMES.has(detected.name)) return 'other';
  }
  return classifyFile(file);
}
