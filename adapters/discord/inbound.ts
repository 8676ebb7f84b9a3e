import { ChannelType, MessageReferenceType, type Attachment, type Client, type Message } from 'discord.js';
import type { IncomingTurn } from '../../core/index.js';
import { isAudioAttachment, isImageAttachment, toIncomingAudio, toIncomingImage } from './discord-media.js';

export const DISCORD_PLATFORM = 'discord';

export type Inbound = { readonly kind: 'turn'; readonly turn: IncomingTurn } | { readonly kind: 'ignore'; readonly reason: string };

/**
 * A Discord message → the core's turn. In servers only messages that mention the bot or reply to
 * it are taken; everything else is left alone and nothing of it is stored. A forwarded message
 * (a reference of type Forward, its content in a message snapshot) is someone else's words: never
 * a command, and a reference that addresses nobody.
 */
export async function messageToTurn(message: Message, client: Client<true>, limitBytes: number): Promise<Inbound> {
  if (message.author.bot || message.system) return { kind: 'ignore', reason: 'not from a person' };
  const botId = client.user.id;
  const isDirect = message.channel.type === ChannelType.DM;
  if (!isDirect && !message.mentions.users.has(botId) && !(await repliesToBot(message, botId))) {
    return { kind: 'ignore', reason: 'server message not addressed to the bot' };
  }
  const snapshot = isForward(message) ? message.messageSnapshots.first() : undefined;
  const attachments = [...message.attachments.values(), ...(snapshot?.attachments?.values() ?? [])];
  const typed = message.content.replace(new RegExp(`<@!?${botId}>`, 'g'), '').replace(/\s{2,}/g, ' ').trim();
  // Discord sends a forward without words of its own; should it carry some, they are quoted with it.
  const text = snapshot ? [typed, snapshot.content?.trim() ?? ''].filter(Boolean).join('\n') : typed;
  return {
    kind: 'turn',
    turn: {
      platform: DISCORD_PLATFORM,
      userId: message.author.id,
      chatId: message.channelId,
      messageId: message.id,
      eventId: `message:${message.id}`,
      text,
      ...(isForward(message) ? { textSource: 'forwarded' as const } : {}),
      ...(isReply(message) ? { replyTo: { messageId: message.reference!.messageId! } } : {}),
      ...attachmentParts(attachments, limitBytes),
    },
  };
}

export function attachmentParts(attachments: readonly Attachment[], limitBytes: number): Partial<IncomingTurn> {
  const images = attachments.filter(isImageAttachment).map((attachment) => toIncomingImage(attachment, limitBytes));
  const audio = attachments.filter(isAudioAttachment).map((attachment) => toIncomingAudio(attachment, limitBytes));
  const other = attachments.length - images.length - audio.length;
  return {
    ...(images.length > 0 ? { images } : {}),
    ...(audio.length > 0 ? { audio } : {}),
    ...(images.length === 0 && audio.length === 0 && other > 0 ? { unsupportedContent: 'document' as const } : {}),
  };
}

function isForward(message: Message): boolean {
  return message.reference?.type === MessageReferenceType.Forward;
}

/** A reply (reference type Default, or none given by older payloads); a forward points at a message without answering it. */
function isReply(message: Message): boolean {
  return message.reference?.messageId !== undefined && !isForward(message);
}

async function repliesToBot(message: Message, botId: string): Promise<boolean> {
  if (!isReply(message)) return false;
  if (message.mentions.repliedUser) return message.mentions.repliedUser.id === botId;
  try {
    return (await message.fetchReference()).author.id === botId;
  } catch {
    return false;
  }
}
