import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BotCommand, Chat, Message, MessageEntity, Update, UserFromGetMe } from 'grammy/types';
import { downloadLimitBytes, TelegramState, UpdateQueue, type InjectedMessage, type MessageInput, type StoredFile } from './fake-telegram-updates.js';
import { voiceContent } from './fake-telegram-voice.js';
import { ApiFailure, decodeBody, defaultDescriptions, isUploadedFile, numberParam, objectParam, respond, stringParam, stripHtml, withoutUndefined, type Params } from './fake-telegram-wire.js';

export { detectEntities, forwardedFrom, groupChat, privateChat, supergroupChat, telegramUser } from './fake-telegram-updates.js';
export type { InjectedMessage, MessageInput, UserChat } from './fake-telegram-updates.js';
export type { UploadedFile } from './fake-telegram-wire.js';

/**
 * A Telegram Bot API server on 127.0.0.1 for tests that drive the real grammy client: long polling
 * that holds `getUpdates` open and honours `offset`, JSON and grammy's multipart uploads, file
 * downloads, the errors the real server gives for the limits the adapter must respect, and
 * injected faults. Every API call is recorded so tests can assert on what the bot did.
 */

export interface RecordedCall {
  readonly method: string;
  /** JSON bodies as sent; multipart fields stay strings (as on the wire), files become `UploadedFile`. */
  readonly params: Record<string, unknown>;
  /** `Date.now()` when the request arrived. */
  readonly at: number;
  /** Set once the call was answered with an error. */
  errorCode?: number;
}

export interface FailureOptions {
  readonly errorCode: number;
  /** Defaults to the real server's wording for the code, e.g. "Too Many Requests: retry after N". */
  readonly description?: string;
  readonly retryAfter?: number;
  readonly times?: number;
}

export interface DownloadFailureOptions {
  /** Answer with this status (default 500) ... */
  readonly statusCode?: number;
  /** ... or send half the bytes, then cut the connection. */
  readonly dropConnection?: boolean;
  readonly times?: number;
}

export interface FakeTelegramOptions {
  readonly token?: string;
  /** Overrides for the `getMe` result (username, can_read_all_group_messages, ...). */
  readonly botUser?: Partial<Omit<UserFromGetMe, 'is_bot'>>;
}

type WithFile = MessageInput & { caption?: string; mediaGroupId?: string; fileSize?: number };

export interface FakeTelegram {
  readonly apiRoot: string;
  readonly token: string;
  readonly botInfo: UserFromGetMe;
  readonly calls: RecordedCall[];
  sendText(input: MessageInput & { text: string; entities?: MessageEntity[] }): InjectedMessage;
  sendPhoto(input: WithFile & { image: Uint8Array; width?: number; height?: number }): InjectedMessage;
  sendDocument(input: WithFile & { bytes: Uint8Array; fileName: string; mimeType: string }): InjectedMessage;
  sendVoice(input: WithFile & { bytes: Uint8Array; duration: number }): InjectedMessage;
  sendSticker(input: MessageInput & { emoji?: string }): InjectedMessage;
  sendLocation(input: MessageInput & { latitude: number; longitude: number }): InjectedMessage;
  /** Queues a raw update; `update_id` is assigned when left out. */
  pushUpdate(update: Omit<Update, 'update_id'> & { update_id?: number }): Update;
  /** Queues an already confirmed update again, delivered once more whatever the client's offset. */
  redeliver(updateId: number): void;
  /** Updates queued and not yet confirmed by a later `offset`. */
  unconfirmedUpdates(): Update[];
  failNext(method: string, failure: FailureOptions): void;
  /** The next `times` calls of `method` lose their connection without an answer. */
  dropNext(method: string, times?: number): void;
  failNextDownload(failure?: DownloadFailureOptions): void;
  /** From now on, voice notes to this person's private chat are refused, as a Premium user may choose. */
  forbidVoiceMessages(userId: number): void;
  /** The bytes behind a file id: what the bot uploaded (a sent voice note's `voice.file_id`) or a user sent. */
  fileBytes(fileId: string): Uint8Array | undefined;
  /** Messages the bot sent (sendMessage, sendPhoto, ...), in order, as last edited; deleted ones stay. */
  sentMessages(chatId?: number): Message[];
  chatActions(chatId: number): string[];
  myCommands(scope?: { type: string; chat_id?: number | string; user_id?: number }, languageCode?: string): BotCommand[];
  /** Resolves with the first recorded call, past or future, that satisfies the predicate. */
  waitFor(predicate: (call: RecordedCall) => boolean, options?: { timeoutMs?: number }): Promise<RecordedCall>;
  close(): Promise<void>;
}

const chatActionNames = new Set(['typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice', 'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note']);
const notModified = 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a previous content and reply markup of the message';


export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const token = options.token ?? '123456789:AAFakeTelegramTestTokenForSeedBot0000';
  const botInfo: UserFromGetMe = {
    id: Number(token.split(':')[0]) || 123456789, is_bot: true, first_name: 'Seed', username: 'seed_test_bot',
    can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false, can_connect_to_business: false,
    has_main_web_app: false, has_topics_enabled: false, allows_users_to_create_topics: false, can_manage_bots: false,
    supports_join_request_queries: false, ...options.botUser,
  };
  const botUser = { id: botInfo.id, is_bot: true, first_name: botInfo.first_name, username: botInfo.username };
  const state = new TelegramState();
  const calls: RecordedCall[] = [];
  const callListeners = new Set<(call: RecordedCall) => void>();
  const sent: Message[] = [];
  const updates = new UpdateQueue();
  let webhookUrl = '';
  let closed = false;
  const faults = new Map<string, Array<ApiFailure | 'drop'>>();
  const downloadFaults: DownloadFailureOptions[] = [];
  const commands = new Map<string, BotCommand[]>();
  const voiceForbiddenBy = new Set<number>();

  const injectMessage = (input: MessageInput, content: Partial<Message>): InjectedMessage => {
    const message = state.userMessage(input, content);
    const update = { update_id: state.nextUpdateId(), message } as Update;
    updates.push(update);
    return { update, message };
  };

  const chatOf = (params: Params): Chat => {
    const chatId = numberParam(params, 'chat_id');
    if (chatId === undefined) throw new ApiFailure(400, 'Bad Request: chat_id is empty');
    if (Number.isNaN(chatId)) throw new ApiFailure(400, 'Bad Request: chat not found');
    return state.chatFor(chatId);
  };

  const botMessage = (chat: Chat, params: Params, content: Partial<Message>): Message => {
    const message: Message = { message_id: 0, from: botUser, chat, date: Math.floor(Date.now() / 1000), ...content };
    const replyParameters = objectParam(params, 'reply_parameters') as { message_id?: number; allow_sending_without_reply?: boolean } | undefined;
    const replyToId = replyParameters?.message_id ?? numberParam(params, 'reply_to_message_id');
    if (replyToId !== undefined) {
      const target = state.replyTarget(chat.id, replyToId);
      if (target) message.reply_to_message = target;
      else if (!replyParameters?.allow_sending_without_reply) throw new ApiFailure(400, 'Bad Request: message to be replied not found');
    }
    const markup = objectParam(params, 'reply_markup') as Message['reply_markup'] | undefined;
    if (markup?.inline_keyboard) message.reply_markup = markup;
    message.message_id = state.nextMessageId(chat.id);
    state.storeMessage(message);
    sent.push(message);
    return message;
  };

  const validText = (text: string | undefined, parseMode: string | undefined): string => {
    const visible = parseMode?.toUpperCase() === 'HTML' ? stripHtml(text ?? '') : text ?? '';
    if (visible.trim() === '') throw new ApiFailure(400, 'Bad Request: message text is empty');
    if (visible.length > 4096) throw new ApiFailure(400, 'Bad Request: message is too long');
    return visible;
  };

  const captionOf = (params: Params): Partial<Message> => {
    const caption = stringParam(params, 'caption');
    const visible = stringParam(params, 'parse_mode')?.toUpperCase() === 'HTML' ? stripHtml(caption ?? '') : caption;
    if (visible !== undefined && visible.length > 1024) throw new ApiFailure(400, 'Bad Request: message caption is too long');
    return TelegramState.captionFields(visible);
  };

  const fileOf = (params: Params, field: string): { bytes: Uint8Array; fileName: string | undefined } => {
    const value = params[field];
    if (isUploadedFile(value)) {
      if (value.bytes.length === 0) throw new ApiFailure(400, 'Bad Request: file must be non-empty');
      return { bytes: value.bytes, fileName: value.fileName };
    }
    if (typeof value !== 'string' || value === '') throw new ApiFailure(400, `Bad Request: there is no ${field} in the request`);
    const known = state.fileById(value);
    if (!known) throw new ApiFailure(400, 'Bad Request: wrong file identifier/HTTP URL specified');
    return { bytes: known.bytes, fileName: undefined };
  };

  const commandsKey = (params: Params): string => {
    const scope = (objectParam(params, 'scope') ?? { type: 'default' }) as { type?: string; chat_id?: unknown; user_id?: unknown };
    return `${scope.type ?? 'default'}:${String(scope.chat_id ?? '')}:${String(scope.user_id ?? '')}|${stringParam(params, 'language_code') ?? ''}`;
  };

  const ownMessage = (params: Params, missing: string): Message => {
    const message = state.findMessage(numberParam(params, 'chat_id') ?? NaN, numberParam(params, 'message_id') ?? NaN);
    if (!message) throw new ApiFailure(400, missing);
    return message;
  };

  const handlers: Record<string, (params: Params) => unknown> = {
    getme: () => botInfo,
    deletewebhook: (params) => {
      webhookUrl = '';
      if (params.drop_pending_updates === true || params.drop_pending_updates === 'true') updates.clear();
      return true;
    },
    setwebhook: (params) => {
      webhookUrl = stringParam(params, 'url') ?? '';
      return true;
    },
    getwebhookinfo: () => ({ url: webhookUrl, has_custom_certificate: false, pending_update_count: updates.unconfirmed().length }),
    getfile: (params) => {
      const file = state.fileById(stringParam(params, 'file_id') ?? '');
      if (!file) throw new ApiFailure(400, 'Bad Request: invalid file_id');
      if (file.fileSize > downloadLimitBytes) throw new ApiFailure(400, 'Bad Request: file is too big');
      return { file_id: file.fileId, file_unique_id: file.fileUniqueId, file_size: file.fileSize, file_path: file.filePath };
    },
    sendmessage: (params) => {
      const chat = chatOf(params);
      const text = validText(stringParam(params, 'text'), stringParam(params, 'parse_mode'));
      const entities = objectParam(params, 'entities') as MessageEntity[] | undefined;
      return botMessage(chat, params, entities ? { text, entities } : { text });
    },
    editmessagetext: (params) => {
      if (params.inline_message_id !== undefined) return true;
      const message = ownMessage(params, 'Bad Request: message to edit not found');
      if (message.from?.id !== botInfo.id) throw new ApiFailure(400, "Bad Request: message can't be edited");
      if (message.text === undefined) throw new ApiFailure(400, 'Bad Request: there is no text in the message to edit');
      const text = validText(stringParam(params, 'text'), stringParam(params, 'parse_mode'));
      const entities = objectParam(params, 'entities') as MessageEntity[] | undefined;
      const markup = objectParam(params, 'reply_markup') as Message['reply_markup'] | undefined;
      if (JSON.stringify([text, entities, markup]) === JSON.stringify([message.text, message.entities, message.reply_markup])) throw new ApiFailure(400, notModified);
      Object.assign(message, withoutUndefined({ text, entities, reply_markup: markup, edit_date: Math.floor(Date.now() / 1000) }));
      if (entities === undefined) delete message.entities;
      if (markup === undefined) delete message.reply_markup;
      return message;
    },
    sendchataction: (params) => {
      chatOf(params);
      if (!chatActionNames.has(stringParam(params, 'action') ?? '')) throw new ApiFailure(400, 'Bad Request: wrong parameter action in request');
      return true;
    },
    setmycommands: (params) => {
      const list = (objectParam(params, 'commands') ?? []) as BotCommand[];
      if (list.some((command) => !/^[a-z0-9_]{1,32}$/.test(command.command))) throw new ApiFailure(400, 'Bad Request: BOT_COMMAND_INVALID');
      commands.set(commandsKey(params), list);
      return true;
    },
    getmycommands: (params) => commands.get(commandsKey(params)) ?? [],
    deletemycommands: (params) => {
      commands.delete(commandsKey(params));
      return true;
    },
    sendphoto: (params) => {
      const chat = chatOf(params);
      const photo = state.photoSizes(fileOf(params, 'photo').bytes);
      return botMessage(chat, params, { photo, ...captionOf(params) });
    },
    senddocument: (params) => {
      const chat = chatOf(params);
      const { bytes, fileName } = fileOf(params, 'document');
      const document = state.documentOf(bytes, fileName ?? 'document', 'application/octet-stream');
      return botMessage(chat, params, { document, ...captionOf(params) });
    },
    sendvoice: (params) => {
      const chat = chatOf(params);
      return botMessage(chat, params, { ...voiceContent(state, chat, fileOf(params, 'voice'), params, voiceForbiddenBy), ...captionOf(params) });
    },
    deletemessage: (params) => {
      ownMessage(params, 'Bad Request: message to delete not found');
      return state.deleteMessage(numberParam(params, 'chat_id') ?? NaN, numberParam(params, 'message_id') ?? NaN);
    },
    setmessagereaction: (params) => Boolean(ownMessage(params, 'Bad Request: message to react not found')),
    answercallbackquery: () => true,
  };

  const poll = (params: Params, call: RecordedCall, response: ServerResponse): void => {
    const answer = (result: Update[] | ApiFailure): void => {
      if (result instanceof ApiFailure) call.errorCode = result.errorCode;
      respond(response, result instanceof ApiFailure ? result : { ok: true, result });
    };
    if (webhookUrl !== '') return answer(new ApiFailure(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"));
    const request = { offset: numberParam(params, 'offset') ?? 0, limit: numberParam(params, 'limit') ?? 100, allowedUpdates: objectParam(params, 'allowed_updates') };
    const forget = updates.poll({ ...request, timeoutSeconds: closed ? 0 : numberParam(params, 'timeout') ?? 0 }, (result) => {
      answer(result === 'conflict' ? new ApiFailure(409, defaultDescriptions[409] ?? 'Conflict') : result);
    });
    // The client hangs up on stop(); forget the poll so nothing is "delivered" into a dead socket.
    response.on('close', () => {
      if (!response.writableFinished) forget();
    });
  };

  const serveFile = (filePath: string, response: ServerResponse): void => {
    const file: StoredFile | undefined = state.fileByPath(decodeURIComponent(filePath));
    if (!file) return respond(response, new ApiFailure(404, 'Not Found'));
    const fault = downloadFaults[0];
    if (fault && (fault.times ?? 1) <= 1) downloadFaults.shift();
    else if (fault) downloadFaults[0] = { ...fault, times: (fault.times ?? 1) - 1 };
    if (fault && !fault.dropConnection) return respond(response, new ApiFailure(fault.statusCode ?? 500, defaultDescriptions[fault.statusCode ?? 500] ?? 'Error'));
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes.length });
    if (!fault) return void response.end(file.bytes);
    response.write(file.bytes.subarray(0, Math.floor(file.bytes.length / 2)), () => response.destroy());
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://fake-telegram');
    const fileRoute = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (fileRoute && request.method === 'GET') {
      return fileRoute[1] === token ? serveFile(fileRoute[2] ?? '', response) : respond(response, new ApiFailure(401, 'Unauthorized'));
    }
    const apiRoute = /^\/bot([^/]+)\/([A-Za-z0-9_]+)$/.exec(url.pathname);
    if (!apiRoute) return respond(response, new ApiFailure(404, 'Not Found'));
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const call: RecordedCall = { method: apiRoute[2] ?? '', params: {}, at: Date.now() };
    let outcome: unknown;
    calls.push(call);
    try {
      Object.assign(call.params, Object.fromEntries(url.searchParams), decodeBody(request.headers['content-type'] ?? '', Buffer.concat(chunks)));
      if (apiRoute[1] !== token) throw new ApiFailure(401, 'Unauthorized');
      const methodName = call.method.toLowerCase();
      const fault = faults.get(methodName)?.shift();
      if (fault === 'drop') return void request.socket.destroy();
      if (fault) throw fault;
      if (methodName === 'getupdates') return poll(call.params, call, response);
      const handler = handlers[methodName];
      if (!handler) throw new ApiFailure(404, 'Not Found: method not found');
      outcome = { ok: true, result: handler(call.params) };
    } catch (error) {
      if (!(error instanceof ApiFailure)) throw error;
      call.errorCode = error.errorCode;
      outcome = error;
    } finally {
      for (const listener of [...callListeners]) listener(call);
    }
    respond(response, outcome as ApiFailure | { ok: true; result: unknown });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A fault in the fake itself answers 400 rather than 500, which auto-retry would retry for seconds.
      respond(response, new ApiFailure(400, `Bad Request: the fake Telegram failed: ${error instanceof Error ? error.message : String(error)}`));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    botInfo,
    calls,
    sendText: ({ text, entities, ...input }) => injectMessage(input, TelegramState.textFields(text, entities)),
    sendPhoto: ({ image, caption, mediaGroupId, width, height, fileSize, ...input }) => {
      const photo = state.photoSizes(image, { width, height, fileSize });
      return injectMessage(input, withoutUndefined({ photo, ...TelegramState.captionFields(caption), media_group_id: mediaGroupId }));
    },
    sendDocument: ({ bytes, fileName, mimeType, caption, mediaGroupId, fileSize, ...input }) => {
      const document = state.documentOf(bytes, fileName, mimeType, fileSize);
      return injectMessage(input, withoutUndefined({ document, ...TelegramState.captionFields(caption), media_group_id: mediaGroupId }));
    },
    sendVoice: ({ bytes, duration, caption, fileSize, ...input }) => injectMessage(input, { voice: state.voiceOf(bytes, duration, fileSize), ...TelegramState.captionFields(caption) }),
    sendSticker: ({ emoji, ...input }) => {
      const file = state.registerFile(new Uint8Array([0x52, 0x49, 0x46, 0x46]), 'stickers', 'webp');
      const sticker = { file_id: file.fileId, file_unique_id: file.fileUniqueId, file_size: file.fileSize, type: 'regular' as const, width: 512, height: 512, is_animated: false, is_video: false, emoji: emoji ?? '👍' };
      return injectMessage(input, { sticker });
    },
    sendLocation: ({ latitude, longitude, ...input }) => injectMessage(input, { location: { latitude, longitude } }),
    pushUpdate: (raw) => {
      const { update_id: updateId, ...fields } = raw;
      const update = { update_id: updateId ?? state.nextUpdateId(), ...fields } as Update;
      state.noteUpdateId(update.update_id);
      const message = update.message ?? update.edited_message;
      if (message) state.storeMessage(message);
      updates.push(update);
      return update;
    },
    redeliver: (updateId) => updates.redeliver(updateId),
    unconfirmedUpdates: () => updates.unconfirmed(),
    failNext: (method, { errorCode, description, retryAfter, times = 1 }) => {
      const text = description ?? (errorCode === 429 ? `Too Many Requests: retry after ${retryAfter ?? 1}` : defaultDescriptions[errorCode] ?? 'Error');
      const failure = new ApiFailure(errorCode, text, errorCode === 429 ? retryAfter ?? 1 : retryAfter);
      faults.set(method.toLowerCase(), [...(faults.get(method.toLowerCase()) ?? []), ...Array<ApiFailure>(times).fill(failure)]);
    },
    dropNext: (method, times = 1) => {
      faults.set(method.toLowerCase(), [...(faults.get(method.toLowerCase()) ?? []), ...Array<'drop'>(times).fill('drop')]);
    },
    failNextDownload: (failure = {}) => void downloadFaults.push(failure),
    forbidVoiceMessages: (userId) => void voiceForbiddenBy.add(userId),
    fileBytes: (fileId) => state.fileById(fileId)?.bytes,
    sentMessages: (chatId) => sent.filter((message) => chatId === undefined || message.chat.id === chatId),
    chatActions: (chatId) => calls
      .filter((call) => call.method.toLowerCase() === 'sendchataction' && call.errorCode === undefined && numberParam(call.params, 'chat_id') === chatId)
      .map((call) => String(call.params.action)),
    myCommands: (scope, languageCode) => commands.get(commandsKey({ scope, language_code: languageCode })) ?? [],
    waitFor: (predicate, { timeoutMs = 2000 } = {}) => new Promise<RecordedCall>((resolve, reject) => {
      const found = calls.find(predicate);
      if (found) return resolve(found);
      const listener = (call: RecordedCall): void => {
        if (call === closedMarker) return finish(new Error('Fake Telegram closed while waiting for a call'));
        if (predicate(call)) finish(call);
      };
      const finish = (result: RecordedCall | Error): void => {
        clearTimeout(timer);
        callListeners.delete(listener);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const timer = setTimeout(() => finish(new Error(`Fake Telegram: no matching call within ${timeoutMs} ms; calls: ${calls.map((call) => call.method).join(', ')}`)), timeoutMs);
      callListeners.add(listener);
    }),
    close: async () => {
      if (closed) return;
      closed = true;
      updates.close();
      for (const listener of [...callListeners]) listener(closedMarker);
      // Let the answers to pending polls leave before the sockets are cut.
      await new Promise((resolve) => setImmediate(resolve));
      const serverClosed = once(server, 'close');
      server.close();
      // grammy's keep-alive agent would otherwise hold idle sockets (and this process) open.
      server.closeAllConnections();
      await serverClosed;
    },
  };
}

const closedMarker: RecordedCall = { method: '', params: {}, at: 0 };
