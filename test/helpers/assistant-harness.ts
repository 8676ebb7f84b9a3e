import { join } from 'node:path';
import {
  Assistant,
  silentLogger,
  type IncomingTurn,
  type Logger,
  type ReplyPart,
  type SpeechToText,
  type VisionLanguageModel,
  type AccessPolicy,
  type TurnScheduler,
  type VoiceReplies,
} from '../../core/index.js';
import { DEFAULT_IMAGE_LIMITS } from '../../core/media/index.js';
import { openDatabase, Store } from '../../storage/index.js';
import { makeTempFolder } from './temp-folder.js';

export interface Harness {
  readonly assistant: Assistant;
  readonly store: Store;
  /** Sends a turn and collects every reply part. */
  send(turn: Partial<IncomingTurn> & { userId?: string }, maxPartLength?: number, signal?: AbortSignal): Promise<ReplyPart[]>;
  /** The same, on a platform with voice messages (or with `alwaysSpeak`, as `--speak` asks). */
  sendWithVoice(turn: Partial<IncomingTurn> & { userId?: string }, options?: { alwaysSpeak?: boolean; signal?: AbortSignal }): Promise<ReplyPart[]>;
  close(): void;
}

/** The real assistant on a real SQLite file, with whatever model double the test passes. */
export interface HarnessOptions {
  historyTokenBudget?: number;
  now?: () => number;
  /** IANA time zone for today's date in the system prompt. */
  timeZone?: string;
  /** Voice questions: the speech double and the limits (default 120 s, 20 MB). */
  speech?: SpeechToText;
  voiceMaxSeconds?: number;
  logger?: Logger;
  voiceReplies?: VoiceReplies;
  scheduler?: TurnScheduler;
  accessPolicy?: AccessPolicy;
  turnDeadlineMs?: number;
  placeNoticeAfterMs?: number;
}

export function makeHarness(model: VisionLanguageModel | undefined, options: HarnessOptions = {}): Harness {
  const folder = makeTempFolder();
  const store = new Store(openDatabase(join(folder.path, 'test.sqlite')), options.now ? { now: options.now } : {});
  const assistant = new Assistant({
    store,
    logger: options.logger ?? silentLogger(),
    model,
    limits: {
      image: DEFAULT_IMAGE_LIMITS,
      maxImagesPerTurn: 4,
      mediaRetentionMs: 24 * 60 * 60 * 1000,
      historyTokenBudget: options.historyTokenBudget ?? 1500,
      historyTurns: 20,
      ...(options.turnDeadlineMs === undefined ? {} : { turnDeadlineMs: options.turnDeadlineMs }),
      ...(options.placeNoticeAfterMs === undefined ? {} : { placeNoticeAfterMs: options.placeNoticeAfterMs }),
    },
    voice: {
      speech: options.speech,
      speechSetupHint: 'The speech model whisper-base is not installed. Run: npm run models -- pull whisper-base',
      limits: { maxBytes: 20 * 1024 * 1024, maxSeconds: options.voiceMaxSeconds ?? 120 },
    },
    ...(options.now ? { now: options.now } : {}),
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
    ...(options.voiceReplies ? { voiceReplies: options.voiceReplies } : {}),
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    ...(options.accessPolicy ? { accessPolicy: options.accessPolicy } : {}),
  });
  return {
    assistant,
    store,
    async send(turn, maxPartLength = 4096, signal) {
      const parts: ReplyPart[] = [];
      const full: IncomingTurn = { platform: 'test', userId: 'alice', chatId: 'chat-1', ...turn };
      for await (const part of assistant.handle(full, { maxPartLength, ...(signal ? { signal } : {}) })) parts.push(part);
      return parts;
    },
    async sendWithVoice(turn, { alwaysSpeak, signal } = {}) {
      const parts: ReplyPart[] = [];
      const full: IncomingTurn = { platform: 'test', userId: 'alice', chatId: 'chat-1', ...turn };
      const options = { maxPartLength: 4096, supportsVoice: true, ...(alwaysSpeak ? { alwaysSpeak } : {}), ...(signal ? { signal } : {}) };
      for await (const part of assistant.handle(full, options)) parts.push(part);
      return parts;
    },
    close() {
      store.close();
      folder.remove();
    },
  };
}

export function imageOf(data: Uint8Array, description?: string): NonNullable<IncomingTurn['images']>[number] {
  return { fetch: async () => data, mediaType: 'image/jpeg', ...(description ? { description } : {}) };
}

export function texts(parts: readonly ReplyPart[]): string[] {
  return parts.map((part) => part.text);
}
