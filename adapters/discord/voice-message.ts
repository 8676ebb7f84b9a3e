import { MessageFlags, Routes, type APIMessage, type Client } from 'discord.js';
import type { OutgoingVoiceNote } from '../../core/index.js';

/** The name Discord's own clients give a recorded voice message. */
const FILE_NAME = 'voice-message.ogg';
/** Discord draws at most 256 one-byte loudness samples. */
const MAX_WAVEFORM_SAMPLES = 256;
/** Discord refuses a voice message without a waveform; without one from the core, a level line. */
const LEVEL_WAVEFORM = new Uint8Array(64).fill(128);

/**
 * Posts a real voice message (flag IS_VOICE_MESSAGE, one audio attachment with its length and
 * waveform, no text) through the REST client: `channel.send()` labels Ogg `application/ogg`, and
 * Discord plays a voice message only from an `audio/*` part.
 */
export async function postVoiceMessage(client: Client, channelId: string, note: OutgoingVoiceNote, replyTo?: string): Promise<APIMessage> {
  return (await client.rest.post(Routes.channelMessages(channelId), {
    files: [{ name: FILE_NAME, data: note.data, contentType: 'audio/ogg' }],
    body: voiceMessageBody(note, replyTo),
  })) as APIMessage;
}

function voiceMessageBody(note: OutgoingVoiceNote, replyTo?: string): Record<string, unknown> {
  return {
    flags: MessageFlags.IsVoiceMessage,
    attachments: [
      {
        id: 0,
        filename: FILE_NAME,
        duration_secs: Number.isFinite(note.durationSeconds) ? Math.max(0, note.durationSeconds) : 0,
        waveform: Buffer.from(fitWaveform(note.waveform ?? LEVEL_WAVEFORM)).toString('base64'),
      },
    ],
    allowed_mentions: { parse: [], replied_user: false },
    // The question may be deleted while the answer is spoken; the answer still matters.
    ...(replyTo === undefined ? {} : { message_reference: { message_id: replyTo, fail_if_not_exists: false } }),
  };
}

/** The loudest sample of each stretch, so a longer waveform than Discord takes keeps its peaks. */
function fitWaveform(samples: Uint8Array): Uint8Array {
  if (samples.length === 0) return LEVEL_WAVEFORM;
  if (samples.length <= MAX_WAVEFORM_SAMPLES) return samples;
  const fitted = new Uint8Array(MAX_WAVEFORM_SAMPLES);
  for (let index = 0; index < MAX_WAVEFORM_SAMPLES; index += 1) {
    const start = Math.floor((index * samples.length) / MAX_WAVEFORM_SAMPLES);
    const end = Math.floor(((index + 1) * samples.length) / MAX_WAVEFORM_SAMPLES);
    fitted[index] = Math.max(...samples.subarray(start, end));
  }
  return fitted;
}
