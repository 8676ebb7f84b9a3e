/**
 * What every model backend receives: chat messages made of text parts and media parts.
 * Images and audio share one `file` part told apart by `mediaType`, so a backend can refuse a
 * kind it cannot take by looking at one field.
 */
export interface TextPart {
  readonly type: 'text';
  readonly text: string;
}

export interface FilePart {
  readonly type: 'file';
  /** IANA media type, e.g. `image/jpeg` or `audio/ogg`. */
  readonly mediaType: string;
  readonly data: Uint8Array;
  /**
   * A stable name for these bytes, e.g. the stored media's id: a backend may keep work derived from
   * them (an image's encoded features) under it until `forgetImages` names it.
   */
  readonly key?: string;
}

export type ContentPart = TextPart | FilePart;

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: readonly ContentPart[];
}

export function textPart(text: string): TextPart {
  return { type: 'text', text };
}

export function isImagePart(part: ContentPart): part is FilePart {
  return part.type === 'file' && part.mediaType.startsWith('image/');
}
