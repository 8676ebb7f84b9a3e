import type { Chat, Message } from 'grammy/types';
import type { TelegramState } from './fake-telegram-updates.js';
import { ApiFailure, stringParam, type Params } from './fake-telegram-wire.js';

/**
 * What the Bot API makes of `sendVoice`: OGG/Opus (or MP3, M4A) becomes a voice message with a
 * whole-second `duration`; anything else arrives as a file, as the Bot API documents. A Telegram
 * Premium user may refuse voice messages, which the Bot API reports as VOICE_MESSAGES_FORBIDDEN.
 */

export const voiceMessagesForbidden = 'Bad Request: VOICE_MESSAGES_FORBIDDEN';

export function voiceContent(state: TelegramState, chat: Chat, upload: { bytes: Uint8Array; fileName: string | undefined }, params: Params, forbiddenBy: ReadonlySet<number>): Partial<Message> {
  // Only a private chat is governed by its person's privacy settings.
  if (chat.type === 'private' && forbiddenBy.has(chat.id)) throw new ApiFailure(400, voiceMessagesForbidden);
  const duration = stringParam(params, 'duration');
  // The real server truncates "1.5" to 1 without a word; the fake refuses it, so a bot that sends
  // fractions is caught here rather than showing a wrong length.
  if (duration !== undefined && !/^\d+$/.test(duration)) throw new ApiFailure(400, 'Bad Request: duration must be a whole number of seconds');
  const mimeType = voiceMimeType(upload.bytes);
  if (!mimeType) return { document: state.documentOf(upload.bytes, upload.fileName ?? 'voice', 'application/octet-stream') };
  // The fake reads no length from the file: a voice note sent without `duration` is stored with 0.
  const voice = state.voiceOf(upload.bytes, Number(duration ?? 0));
  return { voice: { ...voice, mime_type: mimeType } };
}

function voiceMimeType(bytes: Uint8Array): string | undefined {
  const text = (start: number, end: number): string => String.fromCharCode(...bytes.subarray(start, end));
  if (text(0, 4) === 'OggS') return 'audio/ogg';
  if (text(0, 3) === 'ID3' || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)) return 'audio/mpeg';
  if (text(4, 8) === 'ftyp') return 'audio/mp4';
  return undefined;
}
