import { join } from 'node:path';
import { createDiscordPlatform, type DiscordPlatform } from '../../adapters/discord/index.js';
import { Assistant, silentLogger, TurnDelivery, type Logger, type PerceptionTools, type SpeechToText, type VoiceReplies } from '../../core/index.js';
import { DEFAULT_IMAGE_LIMITS } from '../../core/media/index.js';
import type { ScriptedVisionModel } from '../../core/models/testing/scripted-vision-model.js';
import { openDatabase, Store } from '../../storage/index.js';
import { startFakeDiscord, type FakeDiscord, type SentMessage } from './fake-discord.js';
import { describingModel } from './telegram-harness.js';
import { makeTempFolder } from './temp-folder.js';

export interface DiscordHarness {
  readonly discord: FakeDiscord;
  readonly platform: DiscordPlatform;
  readonly delivery: TurnDelivery;
  readonly store: Store;
  readonly model: ScriptedVisionModel;
  /** A second bot process on the same memory, as after a restart. */
  restartBot(): Promise<DiscordPlatform>;
  /** Resolves once the bot has sent `count` messages to the channel (all channels when omitted). */
  messages(count: number, channelId?: string): Promise<SentMessage[]>;
  close(): Promise<void>;
}

/** The real discord.js client logged in to the fake Discord on loopback. */
export async function startDiscordHarness(
  options: { model?: ScriptedVisionModel; speech?: SpeechToText; logger?: Logger; perception?: PerceptionTools; voiceReplies?: VoiceReplies } = {},
): Promise<DiscordHarness> {
  const discord = await startFakeDiscord();
  const folder = makeTempFolder();
  const store = new Store(openDatabase(join(folder.path, 'discord.sqlite')));
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
  const delivery = new TurnDelivery({ assistant, store, logger: options.logger ?? silentLogger() });
  const makeBot = (): DiscordPlatform =>
    createDiscordPlatform({
      token: discord.token,
      apiRoot: discord.apiRoot,
      testGuildId: discord.defaultGuildId,
      logger: options.logger ?? silentLogger(),
      downloadLimitBytes: 20 * 1024 * 1024,
    });
  let bot = makeBot();
  await bot.start(delivery);
  return {
    discord,
    get platform() {
      return bot;
    },
    delivery,
    store,
    model,
    async restartBot() {
      await bot.stop();
      bot = makeBot();
      await bot.start(delivery);
      return bot;
    },
    async messages(count, channelId) {
      const deadline = Date.now() + 10_000;
      while (discord.sentMessages(channelId).length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} messages, got ${discord.sentMessages(channelId).length}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return discord.sentMessages(channelId);
    },
    async close() {
      await bot.stop();
      await discord.close();
      store.close();
      folder.remove();
    },
  };
}
