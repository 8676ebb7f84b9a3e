import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { APIAttachment, APIUser } from 'discord.js';
import { createConsoleChat, type ConsoleChat } from '../../adapters/console/index.js';
import { COMMAND_TABLE, silentLogger, TurnDelivery, type CommandDefinition, type CommandName, type SpeechToText } from '../../core/index.js';
import { DEFAULT_IMAGE_LIMITS } from '../../core/media/index.js';
import type { ScriptedVisionModel } from '../../core/models/testing/scripted-vision-model.js';
import { makeHarness } from './assistant-harness.js';
import { startDiscordHarness, type DiscordHarness } from './discord-harness.js';
import { discordUser } from './fake-discord.js';
import { privateChat, telegramUser, type InjectedMessage } from './fake-telegram.js';
import { InMemoryPlatform, type PostedAttachment, type PostedMessage } from './in-memory-platform.js';
import { describingModel, startTelegramHarness, type TelegramHarness } from './telegram-harness.js';
import { makeTempFolder } from './temp-folder.js';

/**
 * What the shared adapter suite says to a platform: a person in a private chat with the bot sends
 * things and hears answers. One driver per platform turns these into that platform's own wire
 * (the fake Telegram and Discord servers, a console's input stream, the in-memory platform), with
 * the real assistant on a real SQLite file behind it.
 */
export interface PlatformDriver {
  readonly name: string;
  /** The longest message the platform itself accepts (Telegram 4096, Discord 2000). */
  readonly messageLimit: number;
  /** What this platform cannot do, each with the reason a skipped scenario prints. */
  readonly cannot: Partial<Record<Capability, string>>;
  /** The vision model double every chat of this driver talks to. */
  readonly model: ScriptedVisionModel;
  /** A new person in a new private chat: no memory, nothing received yet. */
  newChat(): Promise<ChatDriver>;
  close(): Promise<void>;
}

export type Capability = 'severalPhotos' | 'replyTo' | 'redelivery';

export interface ChatDriver {
  sendText(text: string): Promise<void>;
  /** One message carrying all the photos (an album on Telegram), the caption being the question. */
  sendPhotos(images: readonly Uint8Array[], caption?: string): Promise<void>;
  /** A voice note, OGG/Opus. */
  sendVoice(ogg: Uint8Array, seconds: number): Promise<void>;
  /** Uses the platform's reply feature on the `index`-th text this person received. */
  replyToAnswer(index: number, text: string): Promise<void>;
  /** The platform's command: typed on Telegram and the console, a slash command on Discord. */
  command(name: CommandName, argument?: string): Promise<void>;
  /** Something the assistant cannot take: a PDF sent as a file. */
  sendUnsupported(): Promise<void>;
  /** The platform delivers the last message once more, as after a reconnect or a webhook retry. */
  redeliverLast(): Promise<void>;
  /**
   * Every text this person has received, in order, once there are at least `count` and the bot
   * has gone quiet, so an extra message makes an exact comparison fail.
   */
  answers(count: number): Promise<string[]>;
}

export interface DriverOptions {
  /** The describing model (answers name the photos seen and the question) unless given. */
  readonly model?: ScriptedVisionModel;
  readonly speech?: SpeechToText;
}

export type DriverFactory = (options?: DriverOptions) => Promise<PlatformDriver>;

/** A text the person received, with the platform's id so a later message can reply to it. */
interface Received {
  readonly id: string;
  readonly text: string;
}

const ANSWER_TIMEOUT_MS = 10_000;
/** Nothing new for this long, with the delivery routine idle, counts as the bot having finished. */
const QUIET_MS = 60;
const PDF = new TextEncoder().encode('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n');

async function waitForAnswers(read: () => readonly Received[], count: number, idle: () => Promise<void>): Promise<string[]> {
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  while (read().length < count) {
    if (Date.now() > deadline) {
      throw new Error(`expected ${count} messages, got ${read().length}: ${JSON.stringify(read().map((entry) => entry.text))}`);
    }
    await pause(10);
  }
  let seen: number;
  do {
    seen = read().length;
    await idle();
    await pause(QUIET_MS);
  } while (read().length !== seen);
  return read().map((entry) => entry.text);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Telegram: the real grammy bot polling the fake Bot API; several photos are an album. */
export const telegramDriver: DriverFactory = async (options = {}) => {
  // Wide enough that a loaded machine still delivers an album's parts inside it.
  const harness: TelegramHarness = await startTelegramHarness({ albumWindowMs: 800, ...options });
  const { telegram } = harness;
  return {
    name: 'telegram',
    messageLimit: 4096,
    cannot: {},
    model: harness.model,
    async newChat() {
      const person = telegramUser({ language_code: 'en' });
      const chat = privateChat(person);
      const from = { chat, from: person };
      let last: InjectedMessage | undefined;
      let albums = 0;
      const received = (): Received[] =>
        telegram.sentMessages(chat.id).map((message) => ({ id: String(message.message_id), text: 'text' in message ? (message.text ?? '') : '' }));
      return {
        async sendText(text) {
          last = telegram.sendText({ ...from, text });
        },
        async sendPhotos(images, caption) {
          const mediaGroupId = images.length > 1 ? `album-${chat.id}-${(albums += 1)}` : undefined;
          images.forEach((image, index) => {
            last = telegram.sendPhoto({
              ...from,
              image,
              ...(index === 0 && caption ? { caption } : {}),
              ...(mediaGroupId ? { mediaGroupId } : {}),
            });
          });
        },
        async sendVoice(ogg, seconds) {
          last = telegram.sendVoice({ ...from, bytes: ogg, duration: seconds });
        },
        async replyToAnswer(index, text) {
          last = telegram.sendText({ ...from, text, replyToMessageId: Number(received()[index]!.id) });
        },
        async command(name, argument) {
          last = telegram.sendText({ ...from, text: argument ? `/${name} ${argument}` : `/${name}` });
        },
        async sendUnsupported() {
          last = telegram.sendDocument({ ...from, bytes: PDF, fileName: 'menu.pdf', mimeType: 'application/pdf' });
        },
        async redeliverLast() {
          telegram.redeliver(last!.update.update_id);
        },
        answers: (count) => waitForAnswers(received, count, () => harness.delivery.idle()),
      };
    },
    close: () => harness.close(),
  };
};

/** Discord: the real discord.js client on the fake gateway; messages in a DM, commands as slash commands. */
export const discordDriver: DriverFactory = async (options = {}) => {
  const harness: DiscordHarness = await startDiscordHarness(options);
  const { discord } = harness;
  return {
    name: 'discord',
    messageLimit: 2000,
    cannot: {},
    model: harness.model,
    async newChat() {
      const person: APIUser = discordUser();
      const interactions: string[] = [];
      let lastMessageId: string | undefined;
      let files = 0;
      const attachment = (bytes: Uint8Array, filename: string, contentType: string, durationSecs?: number): APIAttachment =>
        discord.attachment(bytes, { filename, contentType, ...(durationSecs === undefined ? {} : { durationSecs }) });
      const post = (content: string, attachments: APIAttachment[] = [], extra: { referencedMessageId?: string; flags?: number } = {}): void => {
        lastMessageId = discord.dmMessage({ author: person, content, attachments, ...extra }).id;
      };
      // Channel messages and interaction answers are two records in the fake; snowflake ids grow
      // with time, so sorting by id gives the order the person saw them in.
      const received = (): Received[] => {
        // The fake opens the DM channel once the person has written or used a command.
        const messages = discord.sentMessages(discord.dmChannelId(person.id)).map((message) => ({ id: message.id, text: message.content }));
        const answers = new Map<string, string>();
        for (const interactionId of interactions) {
          for (const response of discord.interactionResponses(interactionId)) {
            if ((response.kind === 'edit-original' || response.kind === 'follow-up') && response.messageId) {
              answers.set(response.messageId, response.content ?? '');
            }
          }
        }
        const all = [...messages, ...[...answers].map(([id, text]) => ({ id, text }))];
        return all.sort((first, second) => (BigInt(first.id) < BigInt(second.id) ? -1 : 1));
      };
      return {
        async sendText(text) {
          post(text);
        },
        async sendPhotos(images, caption) {
          post(caption ?? '', images.map((image) => attachment(image, `photo-${(files += 1)}.jpg`, 'image/jpeg')));
        },
        async sendVoice(ogg, seconds) {
          // Discord marks a recorded voice message with flag 8192 (IS_VOICE_MESSAGE).
          post('', [attachment(ogg, 'voice-message.ogg', 'audio/ogg', seconds)], { flags: 8192 });
        },
        async replyToAnswer(index, text) {
          post(text, [], { referencedMessageId: received()[index]!.id });
        },
        async command(name, argument) {
          const option = (COMMAND_TABLE as readonly CommandDefinition[]).find((command) => command.name === name)?.argument;
          const interaction = discord.slashCommand({
            user: person,
            name,
            ...(argument && option ? { options: [{ name: option.name, type: 3, value: argument }] } : {}),
          });
          interactions.push(interaction.id);
        },
        async sendUnsupported() {
          post('', [attachment(PDF, 'menu.pdf', 'application/pdf')]);
        },
        async redeliverLast() {
          discord.dispatchAgain(lastMessageId!);
        },
        answers: (count) => waitForAnswers(received, count, () => harness.delivery.idle()),
      };
    },
    close: () => harness.close(),
  };
};

/**
 * The console: each chat is its own `createConsoleChat` reading lines from a stream. Photos and
 * voice notes are files in a temporary folder, and a line names them by path, as a person types it.
 */
export const consoleDriver: DriverFactory = async (options = {}) => {
  const model = options.model ?? describingModel();
  const assistant = makeHarness(model, options.speech ? { speech: options.speech } : {});
  const delivery = new TurnDelivery({ assistant: assistant.assistant, store: assistant.store, logger: silentLogger() });
  const folder = makeTempFolder();
  const chats: ConsoleChat[] = [];
  let files = 0;
  const saveFile = (bytes: Uint8Array, extension: string): string => {
    const path = join(folder.path, `file ${(files += 1)}.${extension}`);
    writeFileSync(path, bytes);
    return path;
  };
  return {
    name: 'console',
    messageLimit: 2000,
    cannot: {
      severalPhotos: 'a console line takes one photo path',
      replyTo: 'the console has no reply feature; a follow-up is simply the next line (see test/console.test.ts)',
      redelivery: 'a typed line arrives exactly once',
    },
    model,
    async newChat() {
      const input = new PassThrough();
      const { output, parts } = partRecorder();
      const chat = createConsoleChat({
        identity: { userId: `console-person-${chats.length + 1}`, chatId: `console-${chats.length + 1}` },
        limits: { image: DEFAULT_IMAGE_LIMITS, audioMaxBytes: 20 * 1024 * 1024 },
        input,
        output,
        workingFolder: folder.path,
      });
      chats.push(chat);
      await chat.start(delivery);
      const type = async (line: string): Promise<void> => {
        input.write(`${line}\n`);
      };
      const refuse = (capability: Capability) => async (): Promise<void> => {
        throw new Error(`the console cannot do that (${capability}); the suite should have skipped it`);
      };
      const received = (): Received[] => parts.map((text, index) => ({ id: String(index), text }));
      return {
        sendText: type,
        async sendPhotos(images, caption) {
          if (images.length !== 1) return refuse('severalPhotos')();
          await type(`"${saveFile(images[0]!, 'jpg')}" ${caption ?? ''}`);
        },
        async sendVoice(ogg) {
          await type(`"${saveFile(ogg, 'ogg')}"`);
        },
        replyToAnswer: refuse('replyTo'),
        async command(name, argument) {
          await type(argument ? `/${name} ${argument}` : `/${name}`);
        },
        async sendUnsupported() {
          await type(`"${saveFile(PDF, 'pdf')}" what is on the menu?`);
        },
        redeliverLast: refuse('redelivery'),
        answers: (count) => waitForAnswers(received, count, () => delivery.idle()),
      };
    },
    async close() {
      for (const chat of chats) await chat.stop();
      assistant.close();
      folder.remove();
    },
  };
};

/**
 * What the console printed, one entry per reply part: the reply channel writes each part in one
 * `write`, while the introduction, the prompt and the blank line after an answer are the chat's own.
 */
function partRecorder(): { output: Writable; parts: string[] } {
  const parts: string[] = [];
  let introduced = false;
  const output = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      const text = String(chunk);
      if (!introduced) introduced = true;
      else if (text !== 'You: ' && text !== '\n') parts.push(text.replace(/\n$/, ''));
      done();
    },
  });
  return { output, parts };
}

/** The in-memory platform from test/helpers/in-memory-platform.ts, the example of a new platform. */
export const inMemoryDriver: DriverFactory = async (options = {}) => {
  const model = options.model ?? describingModel();
  const assistant = makeHarness(model, options.speech ? { speech: options.speech } : {});
  const delivery = new TurnDelivery({ assistant: assistant.assistant, store: assistant.store, logger: silentLogger() });
  const platform = new InMemoryPlatform();
  await platform.start(delivery);
  let people = 0;
  return {
    name: 'in-memory',
    messageLimit: 1000,
    cannot: {},
    model,
    async newChat() {
      people += 1;
      const userId = `person-${people}`;
      const chatId = `chat-${people}`;
      let last: PostedMessage | undefined;
      let posted = 0;
      const post = (fields: { text?: string; attachments?: PostedAttachment[]; replyToId?: string }): void => {
        last = { id: `${chatId}-message-${(posted += 1)}`, userId, chatId, ...fields };
        void platform.post(last);
      };
      const received = (): Received[] => platform.sent.filter((message) => message.chatId === chatId);
      return {
        async sendText(text) {
          post({ text });
        },
        async sendPhotos(images, caption) {
          post({ ...(caption ? { text: caption } : {}), attachments: images.map((bytes) => ({ kind: 'photo', bytes })) });
        },
        async sendVoice(ogg, seconds) {
          post({ attachments: [{ kind: 'voice', bytes: ogg, seconds }] });
        },
        async replyToAnswer(index, text) {
          post({ text, replyToId: received()[index]!.id });
        },
        async command(name, argument) {
          post({ text: argument ? `/${name} ${argument}` : `/${name}` });
        },
        async sendUnsupported() {
          post({ attachments: [{ kind: 'document', bytes: PDF }] });
        },
        async redeliverLast() {
          void platform.post(last!);
        },
        answers: (count) => waitForAnswers(received, count, () => delivery.idle()),
      };
    },
    async close() {
      await platform.stop();
      assistant.close();
    },
  };
};

/** Every platform the shared suite runs against, by name. */
export const PLATFORM_DRIVERS: Readonly<Record<string, DriverFactory>> = {
  telegram: telegramDriver,
  discord: discordDriver,
  console: consoleDriver,
  'in-memory': inMemoryDriver,
};
