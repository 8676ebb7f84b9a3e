import type { IncomingTurn } from '../../core/index.js';

/**
 * Telegram sends an album as one update per photo sharing a `media_group_id`, with the caption
 * on one of them. Parts are gathered until none has arrived for `windowMs`, then answered as one
 * turn about all the photos, so the user gets one answer instead of one per photo.
 */
export class AlbumCollector {
  private readonly pending = new Map<string, { parts: IncomingTurn[]; chatType: string; timer: NodeJS.Timeout | undefined }>();

  constructor(
    private readonly windowMs: number,
    private readonly onAlbum: (turn: IncomingTurn, chatType: string) => void,
  ) {}

  add(groupId: string, part: IncomingTurn, chatType: string): void {
    const key = `${part.chatId}:${groupId}`;
    const entry = this.pending.get(key) ?? { parts: [], chatType, timer: undefined };
    if (entry.timer) clearTimeout(entry.timer);
    entry.parts.push(part);
    entry.timer = setTimeout(() => this.flush(key, groupId), this.windowMs);
    this.pending.set(key, entry);
  }

  /** Answers every album still gathering, e.g. at shutdown. */
  flushAll(): void {
    for (const key of [...this.pending.keys()]) this.flush(key, key.slice(key.indexOf(':') + 1));
  }

  private flush(key: string, groupId: string): void {
    const entry = this.pending.get(key);
    if (!entry) return;
    if (entry.timer) clearTimeout(entry.timer);
    this.pending.delete(key);
    this.onAlbum(mergeAlbum(groupId, entry.parts), entry.chatType);
  }
}

function mergeAlbum(groupId: string, parts: readonly IncomingTurn[]): IncomingTurn {
  const ordered = [...parts].sort((a, b) => Number(a.messageId) - Number(b.messageId));
  const first = ordered[0]!;
  const captioned = ordered.find((part) => part.text?.trim());
  return {
    ...first,
    ...(captioned?.text ? { text: captioned.text } : {}),
    // Someone else's words if any part was forwarded: never a command.
    ...(ordered.some((part) => part.textSource === 'forwarded') ? { textSource: 'forwarded' as const } : {}),
    // One delivery for the whole album: a redelivered album is recognised as answered, and the
    // answer settles each update the album came in.
    eventId: `album:${groupId}`,
    inboxIds: ordered.flatMap((part) => (part.eventId === undefined ? [] : [part.eventId])),
    images: ordered.flatMap((part) => part.images ?? []),
  };
}
