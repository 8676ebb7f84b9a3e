import type { Message, MessageEntity, UserFromGetMe } from 'grammy/types';
import { classifyFile, type IncomingAudio, type IncomingImage, type IncomingTurn, type UnsupportedContent } from '../../core/index.js';
import { downloadTelegramFile, type FileApi } from './telegram-files.js';

export const TELEGRAM_PLATFORM = 'telegram';

export interface InboundContext {
  readonly api: FileApi;
  readonly me: UserFromGetMe;
  readonly downloadLimitBytes: number;
}

export type Inbound =
  | { readonly kind: 'turn'; readonly turn: IncomingTurn }
  /** Not addressed to the bot (a group message without a mention) or not a user message: nothing is stored. */
  | { readonly kind: 'ignore'; readonly reason: string };

/** Telegram message → the core's turn. Only translation; what to answer is the core's business. */
export function toIncomingTurn(message: Message, updateId: number, context: InboundContext): Inbound {
  const from = message.from;
  if (!from || from.is_bot) return { kind: 'ignore', reason: 'not from a person' };
  const isPrivate = message.chat.type === 'private';
  const rawText = message.text ?? message.caption ?? '';
  const entities = message.entities ?? message.caption_entities ?? [];
  const repliesToBot = message.reply_to_message?.from?.id === context.me.id;
  // A forwarded message is someone else's words: its "/forget" is text to read, not the user's
  // command, and a mention of the bot inside it does not address the bot in a group.
  const forwarded = message.forward_origin !== undefined;
  const command = forwarded ? undefined : leadingCommand(rawText, entities);
  if (command && command.target && command.target.toLowerCase() !== context.me.username.toLowerCase()) {
    return { kind: 'ignore', reason: 'command for another bot' };
  }
  const mentioned = !forwarded && mentionsBot(rawText, entities, context.me.username);
  if (!isPrivate && !command && !mentioned && !repliesToBot) return { kind: 'ignore', reason: 'group message not addressed to the bot' };

  const text = mentioned ? removeMention(rawText, context.me.username) : rawText;
  const turn: IncomingTurn = {
    platform: TELEGRAM_PLATFORM,
    userId: String(from.id),
    chatId: String(message.chat.id),
    messageId: String(message.message_id),
    eventId: String(updateId),
    text,
    ...(forwarded ? { textSource: 'forwarded' as const } : {}),
    ...(from.language_code ? { languageHint: from.language_code } : {}),
    ...(message.reply_to_message ? { replyTo: { messageId: String(message.reply_to_message.message_id) } } : {}),
    ...attachments(message, context),
  };
  return { kind: 'turn', turn };
}

function attachments(message: Message, context: InboundContext): Partial<IncomingTurn> {
  const download = (fileId: string, fileSize: number | undefined) => () =>
    downloadTelegramFile(context.api, { fileId, ...(fileSize === undefined ? {} : { fileSize }) }, context.downloadLimitBytes);
  if (message.photo) {
    // Sizes come smallest first; the largest reads small print best.
    const largest = message.photo.at(-1)!;
    const image: IncomingImage = { fetch: download(largest.file_id, largest.file_size), mediaType: 'image/jpeg' };
    return { images: [image] };
  }
  if (message.document) {
    const { document } = message;
    // A recording sent as a file (a forwarded note, a WAV from a recorder app) is still a voice question.
    const kind = classifyFile({ name: document.file_name, mediaType: document.mime_type });
    if (kind === 'audio') {
      const note: IncomingAudio = {
        fetch: download(document.file_id, document.file_size),
        ...(document.mime_type ? { mediaType: document.mime_type } : {}),
      };
      return { audio: [note] };
    }
    if (kind !== 'image') return { unsupportedContent: 'document' };
    const image: IncomingImage = {
      fetch: download(document.file_id, document.file_size),
      ...(document.mime_type ? { mediaType: document.mime_type } : {}),
    };
    return { images: [image] };
  }
  const audio = message.voice ?? message.audio;
  if (audio) {
    const note: IncomingAudio = {
      fetch: download(audio.file_id, audio.file_size),
      durationSeconds: audio.duration,
      ...(audio.mime_type ? { mediaType: audio.mime_type } : {}),
    };
    return { audio: [note] };
  }
  const unsupported = unsupportedKind(message);
  return unsupported ? { unsupportedContent: unsupported } : {};
}

function unsupportedKind(message: Message): UnsupportedContent | undefined {
  if (message.sticker) return 'sticker';
  if (message.location || message.venue) return 'location';
  if (message.poll) return 'poll';
  if (message.video || message.video_note || message.animation) return 'video';
  if (message.contact) return 'contact';
  if (message.text !== undefined) return undefined;
  return 'other';
}

function leadingCommand(text: string, entities: readonly MessageEntity[]): { target?: string } | undefined {
  const entity = entities.find((candidate) => candidate.type === 'bot_command' && candidate.offset === 0);
  if (!entity) return undefined;
  const [, target] = text.slice(0, entity.length).split('@');
  return target ? { target } : {};
}

function mentionsBot(text: string, entities: readonly MessageEntity[], username: string): boolean {
  const handle = `@${username}`.toLowerCase();
  return entities.some(
    (entity) => entity.type === 'mention' && text.slice(entity.offset, entity.offset + entity.length).toLowerCase() === handle,
  );
}

function removeMention(text: string, username: string): string {
  return text.replace(new RegExp(`@${username}\\b`, 'gi'), '').replace(/\s{2,}/g, ' ').trim();
}
