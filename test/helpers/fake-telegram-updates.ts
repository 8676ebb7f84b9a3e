import { randomBytes } from 'node:crypto';
import type { Chat, Document, Message, MessageEntity, MessageOrigin, PhotoSize, Update, User, Voice } from 'grammy/types';

/**
 * The state a fake Telegram keeps about chats, messages and files, and the builders of the
 * updates that users "send". Shapes follow what the real Bot API delivers, so the adapter under
 * test meets the same fields (photo sizes largest last, voice as OGG/Opus with integer duration,
 * entities in UTF-16 offsets) that it will meet in production.
 */

/** Chats a bot can receive user messages from; channels post without a `from`, so are left out. */
export type UserChat = Chat.PrivateChat | Chat.GroupChat | Chat.SupergroupChat;

export interface MessageInput {
  readonly chat: UserChat;
  readonly from: User;
  readonly replyToMessageId?: number;
  /** Makes it a forwarded message: where it came from, as Telegram reports it (see `forwardedFrom`). */
  readonly forwardOrigin?: MessageOrigin;
}

export interface InjectedMessage {
  readonly update: Update;
  readonly message: Message;
}

export interface StoredFile {
  readonly fileId: string;
  readonly fileUniqueId: string;
  readonly filePath: string;
  readonly bytes: Uint8Array;
  /** What Telegram reports; may exceed `bytes.length` to stand for a file too big to hold in a test. */
  readonly fileSize: number;
}

/** The Bot API refuses `getFile` above this size. */
export const downloadLimitBytes = 20 * 1024 * 1024;

// Unique across fakes in one process so that chats built for one test never collide with another's.
let nextEntityId = 1000;

export function telegramUser(overrides: Partial<User> = {}): User {
  const id = overrides.id ?? ++nextEntityId;
  return { id, is_bot: false, first_name: `User${id}`, username: `user${id}`, language_code: 'en', ...overrides };
}

/** The `forward_origin` of a message forwarded from another user's chat. */
export function forwardedFrom(sender: User, date: number = Math.floor(Date.now() / 1000) - 60): MessageOrigin {
  return { type: 'user', date, sender_user: sender };
}

export function privateChat(user: User): Chat.PrivateChat {
  const chat: Chat.PrivateChat = { id: user.id, type: 'private', first_name: user.first_name };
  if (user.last_name !== undefined) chat.last_name = user.last_name;
  if (user.username !== undefined) chat.username = user.username;
  return chat;
}

export function groupChat(overrides: { id?: number; title?: string } = {}): Chat.GroupChat {
  return { id: overrides.id ?? -++nextEntityId, type: 'group', title: overrides.title ?? 'Test group' };
}

/** Supergroup ids carry the -100 prefix Telegram gives them; some code branches on the sign only. */
export function supergroupChat(overrides: { id?: number; title?: string; username?: string } = {}): Chat.SupergroupChat {
  const chat: Chat.SupergroupChat = { id: overrides.id ?? -(1_000_000_000_000 + ++nextEntityId), type: 'supergroup', title: overrides.title ?? 'Test supergroup' };
  if (overrides.username !== undefined) chat.username = overrides.username;
  return chat;
}

/**
 * The entities the Telegram client would attach: a leading command (with its @botname, if any)
 * and @username mentions. Offsets are UTF-16 code units, which is what JavaScript indexes.
 */
export function detectEntities(text: string): MessageEntity[] {
  const entities: MessageEntity[] = [];
  const command = /^\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?/.exec(text);
  if (command) entities.push({ type: 'bot_command', offset: 0, length: command[0].length });
  const commandEnd = command ? command[0].length : 0;
  for (const match of text.matchAll(/(^|[^A-Za-z0-9_@/])(@[A-Za-z0-9_]{5,32})/g)) {
    const offset = (match.index ?? 0) + (match[1] ?? '').length;
    if (offset >= commandEnd) entities.push({ type: 'mention', offset, length: (match[2] ?? '').length });
  }
  return entities;
}

/** Reads PNG or JPEG dimensions so photo sizes look like the picture that was sent. */
export function imageDimensions(bytes: Uint8Array): { width: number; height: number } | undefined {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.length >= 24 && view.readUInt32BE(0) === 0x89504e47) return { width: view.readUInt32BE(16), height: view.readUInt32BE(20) };
  if (view.length < 4 || view[0] !== 0xff || view[1] !== 0xd8) return undefined;
  for (let index = 2; index + 9 < view.length; ) {
    if (view[index] !== 0xff) return undefined;
    const marker = view[index + 1] ?? 0;
    const isStartOfFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isStartOfFrame) return { height: view.readUInt16BE(index + 5), width: view.readUInt16BE(index + 7) };
    index += 2 + view.readUInt16BE(index + 2);
  }
  return undefined;
}

/** Chats, their messages (user and bot share one message_id sequence per chat, as in Telegram), files. */
export class TelegramState {
  readonly chats = new Map<number, Chat>();
  private readonly messagesByChat = new Map<number, Map<number, Message>>();
  private readonly lastMessageIds = new Map<number, number>();
  private readonly filesById = new Map<string, StoredFile>();
  private readonly filesByPath = new Map<string, StoredFile>();
  private nextUpdateIdentifier = 700_000_001;
  private nextFileNumber = 1;

  nextUpdateId(): number {
    return this.nextUpdateIdentifier++;
  }

  /** Keeps ids ahead of a raw update that brought its own. */
  noteUpdateId(updateId: number): void {
    this.nextUpdateIdentifier = Math.max(this.nextUpdateIdentifier, updateId + 1);
  }

  /** A chat the fake never saw still gets a plausible object: private for positive ids, group otherwise. */
  chatFor(chatId: number): Chat {
    const known = this.chats.get(chatId);
    if (known) return known;
    const chat: Chat = chatId > 0 ? { id: chatId, type: 'private', first_name: `User${chatId}` } : { id: chatId, type: 'group', title: `Group ${chatId}` };
    this.chats.set(chatId, chat);
    return chat;
  }

  /** Ids are never reused, even after a delete, as in Telegram. */
  nextMessageId(chatId: number): number {
    const next = (this.lastMessageIds.get(chatId) ?? 0) + 1;
    this.lastMessageIds.set(chatId, next);
    return next;
  }

  storeMessage(message: Message): void {
    this.chats.set(message.chat.id, message.chat);
    let messages = this.messagesByChat.get(message.chat.id);
    if (!messages) this.messagesByChat.set(message.chat.id, (messages = new Map()));
    messages.set(message.message_id, message);
  }

  findMessage(chatId: number, messageId: number): Message | undefined {
    return this.messagesByChat.get(chatId)?.get(messageId);
  }

  deleteMessage(chatId: number, messageId: number): boolean {
    return this.messagesByChat.get(chatId)?.delete(messageId) ?? false;
  }

  /** Telegram quotes the replied-to message one level deep only. */
  replyTarget(chatId: number, messageId: number): Message['reply_to_message'] {
    const target = this.findMessage(chatId, messageId);
    if (!target) return undefined;
    const { reply_to_message: _nested, ...shallow } = target;
    return shallow as Message['reply_to_message'];
  }

  registerFile(bytes: Uint8Array, folder: string, extension: string, declaredSize?: number): StoredFile {
    const number = this.nextFileNumber++;
    const file: StoredFile = {
      fileId: `AgAC${folder.slice(0, 3)}${number}_${randomBytes(12).toString('base64url')}`,
      fileUniqueId: `AQAD${number}${randomBytes(4).toString('hex')}`,
      filePath: `${folder}/file_${number}.${extension}`,
      bytes,
      fileSize: declaredSize ?? bytes.length,
    };
    this.filesById.set(file.fileId, file);
    this.filesByPath.set(file.filePath, file);
    return file;
  }

  fileById(fileId: string): StoredFile | undefined {
    return this.filesById.get(fileId);
  }

  fileByPath(filePath: string): StoredFile | undefined {
    return this.filesByPath.get(filePath);
  }

  /**
   * Telegram offers thumbnails (90, 320, 800, 1280 px) up to the picture's size and caps the
   * largest at 2560 px. The smaller sizes reuse the bytes: tests only download the largest.
   */
  photoSizes(bytes: Uint8Array, size: { width?: number; height?: number; fileSize?: number } = {}): PhotoSize[] {
    const sniffed = imageDimensions(bytes);
    const width = size.width ?? sniffed?.width ?? 1280;
    const height = size.height ?? sniffed?.height ?? 960;
    const longest = Math.max(width, height);
    const sides = [90, 320, 800, 1280].filter((side) => side < longest).concat(Math.min(longest, 2560));
    return sides.map((side, index) => {
      const isLargest = index === sides.length - 1;
      const file = this.registerFile(bytes, 'photos', 'jpg', isLargest ? size.fileSize : undefined);
      const scale = side / longest;
      return {
        file_id: file.fileId,
        file_unique_id: file.fileUniqueId,
        file_size: file.fileSize,
        width: Math.max(1, Math.round(width * scale)),
        height: Math.max(1, Math.round(height * scale)),
      };
    });
  }

  documentOf(bytes: Uint8Array, fileName: string, mimeType: string, declaredSize?: number): Document {
    const file = this.registerFile(bytes, 'documents', /\.([A-Za-z0-9]{1,8})$/.exec(fileName)?.[1] ?? 'dat', declaredSize);
    return { file_id: file.fileId, file_unique_id: file.fileUniqueId, file_size: file.fileSize, file_name: fileName, mime_type: mimeType };
  }

  /** Voice notes are OGG/Opus; Telegram stores them as .oga and reports whole seconds. */
  voiceOf(bytes: Uint8Array, duration: number, declaredSize?: number): Voice {
    const file = this.registerFile(bytes, 'voice', 'oga', declaredSize);
    return { file_id: file.fileId, file_unique_id: file.fileUniqueId, file_size: file.fileSize, duration: Math.round(duration), mime_type: 'audio/ogg' };
  }

  /** Builds, stores and returns a user's message; the caller wraps it in an update. */
  userMessage(input: MessageInput, content: Partial<Message>): Message {
    const message: Message = {
      message_id: this.nextMessageId(input.chat.id),
      date: Math.floor(Date.now() / 1000),
      chat: input.chat,
      from: input.from,
      ...(input.forwardOrigin ? { forward_origin: input.forwardOrigin } : {}),
      ...content,
    };
    if (input.replyToMessageId !== undefined) {
      const target = this.replyTarget(input.chat.id, input.replyToMessageId);
      if (!target) throw new Error(`Fake Telegram: chat ${input.chat.id} has no message ${input.replyToMessageId} to reply to`);
      message.reply_to_message = target;
    }
    this.storeMessage(message);
    return message;
  }

  /** Caption fields as Telegram sends them: absent when empty, entities only when there are some. */
  static captionFields(caption: string | undefined): Partial<Message> {
    if (caption === undefined || caption === '') return {};
    const entities = detectEntities(caption);
    return entities.length > 0 ? { caption, caption_entities: entities } : { caption };
  }

  static textFields(text: string, entities?: MessageEntity[]): Partial<Message> {
    const detected = entities ?? detectEntities(text);
    return detected.length > 0 ? { text, entities: detected } : { text };
  }
}

export interface PollRequest {
  readonly offset: number;
  readonly limit: number;
  readonly timeoutSeconds: number;
  /** As sent; an array replaces the previous setting, anything else keeps it (as Telegram does). */
  readonly allowedUpdates: unknown;
}

interface QueuedUpdate { readonly update: Update; redelivered: boolean }
interface PollWaiter { readonly offset: number; readonly limit: number; readonly answer: (updates: Update[] | 'conflict') => void; timer?: NodeJS.Timeout }

// Telegram leaves these out of getUpdates unless allowed_updates names them.
const optInUpdateTypes = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

/**
 * Telegram's update queue: an update stays until a later `offset` confirms it, so a client that
 * dies before confirming gets it again; a long poll waits for the first deliverable update.
 */
export class UpdateQueue {
  private entries: QueuedUpdate[] = [];
  private readonly history = new Map<number, Update>();
  private allowedUpdates: string[] | undefined;
  private waiter: PollWaiter | undefined;

  push(update: Update, redelivered = false): void {
    this.history.set(update.update_id, update);
    const existing = this.entries.find((entry) => entry.update.update_id === update.update_id);
    if (existing) existing.redelivered ||= redelivered;
    else this.entries.push({ update, redelivered });
    this.entries.sort((first, second) => first.update.update_id - second.update.update_id);
    this.wake();
  }

  /** A redelivered update ignores the client's offset once, as if the client had restarted. */
  redeliver(updateId: number): void {
    const update = this.history.get(updateId);
    if (!update) throw new Error(`Fake Telegram: no update ${updateId} was ever queued`);
    this.push(update, true);
  }

  unconfirmed(): Update[] {
    return this.entries.map((entry) => entry.update);
  }

  clear(): void {
    this.entries = [];
  }

  /** Answers through `answer` now or later; returns how to forget the poll when its client hangs up. */
  poll(request: PollRequest, answer: PollWaiter['answer']): () => void {
    // Telegram ends a pending long poll with 409 as soon as another getUpdates arrives.
    this.finish('conflict');
    if (request.offset > 0) this.entries = this.entries.filter((entry) => entry.redelivered || entry.update.update_id >= request.offset);
    else if (request.offset < 0) this.entries = this.entries.slice(request.offset);
    if (Array.isArray(request.allowedUpdates)) this.allowedUpdates = request.allowedUpdates as string[];
    const waiter: PollWaiter = { offset: request.offset, limit: Math.min(100, Math.max(1, request.limit)), answer };
    this.waiter = waiter;
    this.wake();
    if (this.waiter === waiter && request.timeoutSeconds <= 0) this.finish([]);
    if (this.waiter === waiter) waiter.timer = setTimeout(() => this.finish([]), request.timeoutSeconds * 1000);
    return () => {
      if (this.waiter !== waiter) return;
      clearTimeout(waiter.timer);
      this.waiter = undefined;
    };
  }

  /** Ends a pending long poll with no updates, as the server does when it shuts down. */
  close(): void {
    this.finish([]);
  }

  private deliverable(offset: number, limit: number): QueuedUpdate[] {
    const wanted = (update: Update): boolean => {
      const type = Object.keys(update).find((key) => key !== 'update_id') ?? '';
      return this.allowedUpdates && this.allowedUpdates.length > 0 ? this.allowedUpdates.includes(type) : !optInUpdateTypes.has(type);
    };
    return this.entries.filter((entry) => (entry.redelivered || entry.update.update_id >= offset) && wanted(entry.update)).slice(0, limit);
  }

  private wake(): void {
    if (!this.waiter) return;
    const ready = this.deliverable(this.waiter.offset, this.waiter.limit);
    if (ready.length === 0) return;
    for (const entry of ready) entry.redelivered = false;
    this.finish(ready.map((entry) => entry.update));
  }

  private finish(result: Update[] | 'conflict'): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    clearTimeout(waiter.timer);
    waiter.answer(result);
  }
}
