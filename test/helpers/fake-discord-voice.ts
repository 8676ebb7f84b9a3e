import { MessageFlags } from 'discord.js';
import { DiscordApiError, apiErrors, fieldError, type UploadedFile } from './fake-discord-wire.js';

/**
 * Discord's rules for voice messages (flag IS_VOICE_MESSAGE), as the fake enforces them: no text
 * or embeds beside the clip, exactly one file whose multipart part is labelled `audio/*` (Discord
 * plays only those as voice), its length and waveform in the payload's `attachments` entry (the
 * waveform base64, at most 256 one-byte samples), never edited, and never sent through an
 * interaction's webhook, which allows only the ephemeral, embed and notification flags.
 */

const maxWaveformSamples = 256;

export interface VoiceMessageBody {
  content?: string | null;
  embeds?: unknown[] | null;
  flags?: number | null;
  attachments?: Array<{ id: string | number; duration_secs?: unknown; waveform?: unknown }>;
  sticker_ids?: string[];
  components?: unknown[];
  poll?: unknown;
}

export const voiceErrors = {
  additionalContent: () => new DiscordApiError(400, { message: 'Voice messages do not support additional content.', code: 50159 }),
  singleAudioAttachment: () => new DiscordApiError(400, { message: 'Voice messages must have a single audio attachment.', code: 50160 }),
  supportingMetadata: () => new DiscordApiError(400, { message: 'Voice messages must have supporting metadata.', code: 50161 }),
  cannotBeEdited: () => new DiscordApiError(400, { message: 'Voice messages cannot be edited.', code: 50162 }),
};

export function isVoiceMessage(body: VoiceMessageBody): boolean {
  return ((body.flags ?? 0) & MessageFlags.IsVoiceMessage) !== 0;
}

/** Throws what Discord answers when a message with the voice flag breaks one of its rules. */
export function validateVoiceMessage(body: VoiceMessageBody, files: readonly UploadedFile[]): void {
  const hasOtherContent = (body.content ?? '') !== '' || (body.embeds?.length ?? 0) > 0 || (body.sticker_ids?.length ?? 0) > 0
    || (body.components?.length ?? 0) > 0 || body.poll !== undefined;
  if (hasOtherContent) throw voiceErrors.additionalContent();
  const [file] = files;
  if (!file || files.length !== 1 || (body.attachments?.length ?? 0) > 1 || !file.contentType.toLowerCase().startsWith('audio/')) {
    throw voiceErrors.singleAudioAttachment();
  }
  const index = /\[(\d+)\]$/.exec(file.field)?.[1] ?? file.field;
  const meta = body.attachments?.find((entry) => String(entry.id) === index);
  if (meta?.duration_secs === undefined || meta.waveform === undefined) throw voiceErrors.supportingMetadata();
  const invalid = (field: string, code: string, message: string): DiscordApiError =>
    apiErrors.invalidFormBody({ attachments: { 0: fieldError(field, code, message) } });
  if (typeof meta.duration_secs !== 'number' || !Number.isFinite(meta.duration_secs) || meta.duration_secs < 0) {
    throw invalid('duration_secs', 'NUMBER_TYPE_COERCE', 'Value is not a valid number.');
  }
  const samples = typeof meta.waveform === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(meta.waveform) ? Buffer.from(meta.waveform, 'base64') : undefined;
  if (!samples || samples.length === 0 || samples.length > maxWaveformSamples) {
    throw invalid('waveform', 'BASE_TYPE_BAD_LENGTH', `Must be base64 of 1 to ${maxWaveformSamples} bytes.`);
  }
}

/** An interaction response or follow-up asking for the voice flag: refused as an invalid flag. */
export function refuseVoiceFlag(body: VoiceMessageBody): void {
  if (isVoiceMessage(body)) throw apiErrors.invalidFormBody(fieldError('flags', 'MESSAGE_FLAGS_INVALID', 'Invalid flags.'));
}
