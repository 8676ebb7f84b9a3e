import { userInfo } from 'node:os';
import { join } from 'node:path';
import {
  Assistant,
  createLogger,
  redactConfig,
  startRetentionSweeper,
  type Config,
  type ImageLimits,
  type Logger,
  type VisionLanguageModel,
} from '../core/index.js';
import { openDatabase, Store } from '../storage/index.js';
import { chooseVisionModel, type VisionModelChoice } from './vision-model.js';

/** Everything a bot needs, built once from the configuration and passed as one object. */
export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Store;
  readonly assistant: Assistant;
  readonly imageLimits: ImageLimits;
  /** Set when no model is usable: one line saying what to set up. */
  readonly setupHint: string | undefined;
  close(): void;
}

const HOUR_MS = 60 * 60 * 1000;

export interface StartOptions {
  readonly config: Config;
  readonly defaultLogLevel: string;
  /** Replaces the configured backend; for tests that drive the real command line with a test double. */
  readonly model?: VisionLanguageModel;
}

export async function startApp(options: StartOptions): Promise<App> {
  const { config } = options;
  const logger = createLogger({ level: config.LOG_LEVEL ?? options.defaultLogLevel });
  logger.debug({ config: redactConfig(config) }, 'configuration');
  const store = new Store(openDatabase(join(config.DATA_DIR, 'seed.sqlite')));
  const choice: VisionModelChoice = options.model ? { model: options.model } : await chooseVisionModel(config, logger);
  if (choice.setupHint) logger.warn(choice.setupHint);
  const imageLimits: ImageLimits = {
    maxInputBytes: config.IMAGE_MAX_BYTES,
    maxInputPixels: config.IMAGE_MAX_PIXELS,
    maxSide: config.VLM_MAX_IMAGE_SIDE,
  };
  const assistant = new Assistant({
    store,
    logger,
    model: choice.model,
    limits: {
      image: imageLimits,
      maxImagesPerTurn: config.MAX_IMAGES_PER_TURN,
      mediaRetentionMs: config.MEDIA_RETENTION_HOURS * HOUR_MS,
      historyTokenBudget: config.HISTORY_TOKEN_BUDGET,
      historyTurns: 20,
    },
  });
  const stopSweeper = startRetentionSweeper(store, logger, {
    historyRetentionMs: config.HISTORY_RETENTION_DAYS * 24 * HOUR_MS,
  });
  return {
    config,
    logger,
    store,
    assistant,
    imageLimits,
    setupHint: choice.setupHint,
    close: () => {
      stopSweeper();
      store.close();
    },
  };
}

/** The console user is the person at the keyboard; their memory is theirs across sessions. */
export function consoleIdentity(): { userId: string; chatId: string } {
  return { userId: userInfo().username, chatId: 'console' };
}
