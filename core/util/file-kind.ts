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

