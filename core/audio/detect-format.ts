/**
 * What a file is, from its first bytes. Chat apps label voice notes loosely (a forwarded file may
 * say audio/mpeg and hold Ogg), so the bytes decide; the declared media type only helps name
 * a file we cannot read.
 */

export type AudioFormat = 'ogg-opus' | 'wav' | 'mp3';

export type DetectedFormat =
  | { readonly supported: true; readonly format: AudioFormat }
  /**
   * `name` is a short human name for the user message when the bytes are recognised. `damaged`:
   * the magic is there but what follows cannot be a file of that kind.
   */
  | { readonly supported: false; readonly name?: string; readonly damaged?: boolean };

export function detectFormat(data: Uint8Array): DetectedFormat {
  if (startsWith(data, 'OggS')) return detectOgg(data);
  if ((startsWith(data, 'RIFF') || startsWith(data, 'RF64')) && startsWith(data, 'WAVE', 8)) return supported('wav');
  if (startsWith(data, 'RIFF')) return unsupported(riffName(ascii(data, 8, 4)));
  if (startsWith(data, 'ID3')) return detectAfterId3(data);
  if (isMpegAudioFrame(data, 0)) return supported('mp3');
  const name = otherName(data);
  return name === undefined ? { supported: false } : unsupported(name);
}

/** A human name for a declared media type, for files whose bytes we do not recognise. */
export function nameForMediaType(mediaType: string | undefined): string | undefined {
  const type = mediaType?.split(';')[0]?.trim().toLowerCase();
  if (!type) return undefined;
  const known: Record<string, string> = {
    'audio/aac': 'AAC',
    'audio/x-aac': 'AAC',
    'audio/mp4': 'M4A',
    'audio/x-m4a': 'M4A',
    'audio/m4a': 'M4A',
    'audio/flac': 'FLAC',
    'audio/x-flac': 'FLAC',
    'audio/amr': 'AMR',
    'audio/webm': 'WebM',
    'audio/x-ms-wma': 'WMA',
    'audio/aiff': 'AIFF',
    'audio/x-aiff': 'AIFF',
  };
  if (Object.hasOwn(known, type)) return known[type];
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('text/')) return 'text';
  return undefined;
}

/** Whether a declared media type claims one of the formats we read. */
export function claimsSupportedFormat(mediaType: string | undefined): boolean {
  const type = mediaType?.split(';')[0]?.trim().toLowerCase();
  return (
    type !== undefined &&
    ['audio/ogg', 'audio/opus', 'application/ogg', 'audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave', 'audio/mpeg', 'audio/mp3'].includes(type)
  );
}

function supported(format: AudioFormat): DetectedFormat {
  return { supported: true, format };
}

function unsupported(name: string): DetectedFormat {
  return { supported: false, name };
}

function startsWith(data: Uint8Array, text: string, offset = 0): boolean {
  if (data.length < offset + text.length) return false;
  for (let index = 0; index < text.length; index += 1) {
    if (data[offset + index] !== text.charCodeAt(index)) return false;
  }
  return true;
}

function ascii(data: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...data.subarray(offset, offset + length));
}

function detectOgg(data: Uint8Array): DetectedFormat {
  // The first page of a stream is version 0, flagged beginning-of-stream, and holds its codec's
  // identification header right after the lacing table.
  const segments = data[26];
  if (segments === undefined || segments === 0 || data[4] !== 0 || ((data[5] ?? 0) & 0x02) === 0) {
    return { supported: false, name: 'Ogg', damaged: true };
  }
  const body = 27 + segments;
  if (startsWith(data, 'OpusHead', body)) return supported('ogg-opus');
  if (startsWith(data, '\x01vorbis', body)) return unsupported('Ogg Vorbis');
  if (startsWith(data, '\x7fFLAC', body) || startsWith(data, 'fLaC', body)) return unsupported('FLAC');
  if (startsWith(data, 'Speex   ', body)) return unsupported('Speex');
  if (startsWith(data, '\x80theora', body)) return unsupported('video');
  return unsupported('Ogg');
}

function riffName(form: string): string {
  if (form === 'AVI ') return 'video';
  if (form === 'WEBP') return 'image';
  return 'RIFF';
}

function detectAfterId3(data: Uint8Array): DetectedFormat {
  // An ID3v2 tag can sit in front of AAC or FLAC too; what follows the tag says which.
  const size = ((data[6]! & 0x7f) << 21) | ((data[7]! & 0x7f) << 14) | ((data[8]! & 0x7f) << 7) | (data[9]! & 0x7f);
  const footer = (data[5]! & 0x10) !== 0 ? 10 : 0;
  let offset = 10 + size + footer;
  // Some writers pad after the tag; look a little further for the first frame.
  const limit = Math.min(data.length - 4, offset + 4096);
  while (offset < limit && data[offset] === 0) offset += 1;
  if (offset >= data.length - 4) return supported('mp3');
  if (startsWith(data, 'fLaC', offset)) return unsupported('FLAC');
  if (isAdtsFrame(data, offset)) return unsupported('AAC');
  return supported('mp3');
}

/** An MPEG-1/2/2.5 Layer I–III frame header: sync, valid version, layer, bitrate and sample rate. */
export function isMpegAudioFrame(data: Uint8Array, offset: number): boolean {
  if (data.length < offset + 4) return false;
  const b1 = data[offset + 1]!;
  const b2 = data[offset + 2]!;
  return (
    data[offset] === 0xff &&
    (b1 & 0xe0) === 0xe0 &&
    (b1 & 0x18) !== 0x08 && // reserved version
    (b1 & 0x06) !== 0x00 && // reserved layer (ADTS AAC uses it)
    (b2 & 0xf0) !== 0xf0 && // bad bitrate
    (b2 & 0x0c) !== 0x0c // reserved sample rate
  );
}

function isAdtsFrame(data: Uint8Array, offset: number): boolean {
  return data[offset] === 0xff && ((data[offset + 1] ?? 0) & 0xf6) === 0xf0;
}

function otherName(data: Uint8Array): string | undefined {
  if (isAdtsFrame(data, 0)) return 'AAC';
  if (startsWith(data, 'fLaC')) return 'FLAC';
  if (startsWith(data, 'ftyp', 4)) return isoName(ascii(data, 8, 4));
  if (startsWith(data, '\x1a\x45\xdf\xa3')) return ascii(data, 0, Math.min(64, data.length)).includes('webm') ? 'WebM' : 'Matroska';
  if (startsWith(data, '#!AMR')) return 'AMR';
  if (startsWith(data, 'FORM') && (startsWith(data, 'AIFF', 8) || startsWith(data, 'AIFC', 8))) return 'AIFF';
  if (startsWith(data, 'caff')) return 'CAF';
  if (startsWith(data, '.snd')) return 'AU';
  if (startsWith(data, 'MThd')) return 'MIDI';
  if (startsWith(data, '\x30\x26\xb2\x75\x8e\x66\xcf\x11')) return 'WMA';
  if (startsWith(data, '\x89PNG') || startsWith(data, '\xff\xd8\xff') || startsWith(data, 'GIF8')) return 'image';
  if (startsWith(data, '%PDF')) return 'PDF';
  if (startsWith(data, 'PK\x03\x04')) return 'ZIP';
  if (looksLikeText(data)) return 'text';
  return undefined;
}

function isoName(brand: string): string {
  if (brand.startsWith('M4A') || brand.startsWith('M4B')) return 'M4A';
  if (['heic', 'heix', 'mif1', 'msf1', 'avif'].includes(brand)) return 'image';
  if (brand.startsWith('qt')) return 'video';
  if (brand.startsWith('3g')) return '3GP';
  return 'MP4';
}

function looksLikeText(data: Uint8Array): boolean {
  const sample = data.subarray(0, 512);
  for (const byte of sample) {
    const printable = (byte >= 0x20 && byte < 0x7f) || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte >= 0x80;
    if (!printable) return false;
  }
  // Bytes from 0x80 up are allowed for UTF-8, but must then decode as UTF-8.
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, lastCompleteCharacter(sample)));
    return true;
  } catch {
    return false;
  }
}

/** Length of `bytes` without a UTF-8 sequence cut off at its end. */
function lastCompleteCharacter(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back += 1) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte
    if (byte < 0x80) return bytes.length;
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}
