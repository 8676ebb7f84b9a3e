import { join } from 'node:path';
import { createTelegramPlatform, type TelegramPlatform } from '../../adapters/telegram/index.js';
import { Assistant, silentLogger, TurnDelivery, type FilePart, type Logger, type PerceptionTools, type SpeechToText, type VoiceReplies } from '../../core/index.js';
import { DEFAULT_IMAGE_LIMITS } from '../../core/media/index.js';
import { ScriptedVisionModel } from '../../core/models/testing/scripted-vision-model.js';
import { openDatabase, Store } from '../../storage/index.js';
import { startFakeTelegram, type FakeTelegram } from './fake-telegram.js';
import { makeTempFolder } from './temp-folder.js';

const LONG_SENTENCE = 'The shelf on the left holds tins of tomatoes priced at 1.25 euros each, next to the pasta. ';

/** Answers say how many photos the model saw and what was asked, so tests can check both. */
export function describingModel(): ScriptedVisionModel {
  return new ScriptedVisionModel((request) => {
    const last = request.messages.at(-1)!;
    const photos = last.content.filter((part): part is FilePart => part.type === 'file').length;
    const question = last.content.map((part) => (part.type === 'text' ? part.text : '')).join('').split('\n').at(-1) ?? '';
    if (question.includes('long')) return { chunks: ['A long answer. ', ...Array<string>(90).fill(LONG_SENTENCE)] };
    return { chunks: [`I see ${photos} photos. `, `You asked: ${question}`] };
  });
}

export interface TelegramHarness {
  readonly telegram: FakeTelegram;
  readonly platform: TelegramPlatform;
  readonly delivery: TurnDelivery;
  readonly store: Store;
  /** The SQLite file, for tests that read what reached the disk. */
  readonly databasePath: string;
  readonly model: ScriptedVisionModel;
  /** Resolves once the bot has sent `count` messages to the chat (all chats when omitted). */
  messages(count: number, chatId?: number, timeoutMs?: number): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * The real grammy bot against the fake Bot API on loopback: polled by the real runner, or with
 * `webhookSecret`, receiving on its own webhook server on a free loopback port.
 */
export async function startTelegramHarness(
  options: {
    webhookSecret?: string;
    albumWindowMs?: number;
    speech?: SpeechToText;
    model?: ScriptedVisionModel;
    logger?: Logger;
    perception?: PerceptionTools;
    voiceReplies?: VoiceReplies;
  } = {},
): Promise<TelegramHarness> {
  const telegram = await startFakeTelegram();
  const folder = makeTempFolder();
  const databasePath = join(folder.path, 'telegram.sqlite');
  const store = new Store(openDatabase(databasePath));
  const model = options.model ?? describingModel();
  const assistant = new Assistant({
    store,
    logger: options.logger ?? silentLogger(),
    model,
    limits: { image: DEFAULT_IMAGE_LIMITS, maxImagesPerTurn: 4, mediaRetentionMs: 3_600_000, historyTokenBudget: 1500, historyTurns: 20 },
    voice: { speech: options.speech, limits: { maxBytes: 20 * 1024 * 1024, maxSeconds: 120 } },
    ...(options.perception ? { perception: options.perception } : {}),
    ...(options.voiceReplies ? { voiceReplies: options.voiceReplies } : {}),
  });
  const platform = createTelegramPlatform({
    token: telegram.token,
    apiRoot: telegram.apiRoot,
    logger: options.logger ?? silentLogger(),
    albumWindowMs: options.albumWindowMs ?? 800,
    downloadLimitBytes: 20 * 1024 * 1024,
    receive: options.webhookSecret
      ? { mode: 'webhook', url: 'https://bot.example/telegram', host: '127.0.0.1', port: 0, secret: options.webhookSecret }
      : { mode: 'polling' },
  });
  const delivery = new TurnDelivery({ assistant, store, logger: options.logger ?? silentLogger() });
  await platform.start(delivery);
  return {
    telegram,
    platform,
    delivery,
    store,
    databasePath,
    model,
    async messages(count, chatId, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (telegram.sentMessages(chatId).length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} messages, got ${telegram.sentMessages(chatId).length}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return telegram.sentMessages(chatId).map((message) => ('text' in message ? (message.text ?? '') : ''));
    },
    async close() {
      await platform.stop();
      await telegram.close();
      store.close();
      folder.remove();
    },
  };
}
