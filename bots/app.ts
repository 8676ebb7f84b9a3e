import { userInfo } from 'node:os';
import { join } from 'node:path';
import {
  AccessPolicy,
  Assistant,
  createLogger,
  instrumentSpeech,
  instrumentTextReader,
  instrumentVisionModel,
  noMetrics,
  parseUserIdList,
  schedulerObserver,
  TurnScheduler,
  type AssistantMetrics,
  startRetentionSweeper,
  type ImageLimits,
  type Logger,
  type PerceptionTools,
  type SpeechToText,
  type VisionLanguageModel,
  type VoiceDependencies,
  type VoiceReplies,
} from '../core/index.js';
import { openDatabase, Store } from '../storage/index.js';
import { redactConfig, SECRET_SETTING_NAMES, type Config } from './config/index.js';
import { PrometheusMetrics, trackModelHealth } from './ops/index.js';
import { createPerceptionTools } from './perception.js';
import { chooseSpeechModel, type SpeechModelChoice } from './speech-model.js';
import { chooseVisionModel, type VisionModelChoice } from './vision-model.js';
import { chooseVoiceReplies, type VoiceRepliesChoice } from './voice-replies.js';

/** Everything a bot needs, built once from the configuration and passed as one object. */
export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Store;
  readonly assistant: Assistant;
  readonly imageLimits: ImageLimits;
  /** Set when no model is usable: one line saying what to set up. */
  readonly setupHint: string | undefined;
  readonly voice: VoiceDependencies;
  /** Set when voice questions cannot be answered: one line saying what to set up. */
  readonly speechSetupHint: string | undefined;
  /** The engines that look at photos without the vision model. */
  readonly perception: PerceptionTools;
  /** Spoken answers; undefined when there is no voice (then `voiceSetupHint` says why). */
  readonly voiceReplies: VoiceReplies | undefined;
  readonly voiceSetupHint: string | undefined;
  /** What the ops endpoint reports; `noMetrics` when OPS_PORT is unset. */
  readonly metrics: AssistantMetrics;
  /** The prom-client registry behind `metrics`, when OPS_PORT is set. */
  readonly metricsRegistry: PrometheusMetrics['registry'] | undefined;
  /** For /healthz: a model is set up and its last call did not find it gone. */
  modelHealthy(): boolean;
  close(): Promise<void>;
}

const HOUR_MS = 60 * 60 * 1000;

export interface StartOptions {
  readonly config: Config;
  readonly defaultLogLevel: string;
  /** Replaces the configured backend; for tests that drive the real command line with a test double. */
  readonly model?: VisionLanguageModel;
  readonly speech?: SpeechToText;
  /** The engines that look at photos without the vision model; the built-in ones when absent. */
  readonly perception?: PerceptionTools;
  /** Replaces the configured voice; for tests. */
  readonly voiceReplies?: VoiceReplies;
  /**
   * Which models this run needs: a one-shot command loads only its own (default: vision and
   * speech; a voice only where something can be sent one).
   */
  readonly needs?: { readonly vision: boolean; readonly speech: boolean; readonly voice?: boolean };
}

export async function startApp(options: StartOptions): Promise<App> {
  const { config } = options;
  const logger = createLogger({ level: config.LOG_LEVEL ?? options.defaultLogLevel, secretNames: SECRET_SETTING_NAMES });
  logger.debug({ config: redactConfig(config) }, 'configuration');
  // Checkpoints in a worker: the turn that crosses SQLite's threshold no longer pays for copying
  // the log back (the per-turn p99 in bench/run.ts); SQLite's own checkpoint remains the fallback.
  const store = new Store(openDatabase(join(config.DATA_DIR, 'seed.sqlite')), {
    backgroundCheckpoints: { onError: (error) => logger.warn({ err: error }, 'background checkpoint failed; SQLite checkpoints by itself at 8,000 pages') },
  });
  const needs = options.needs ?? { vision: true, speech: true };
  const choice: VisionModelChoice = options.model
    ? { model: options.model }
    : needs.vision
      ? await chooseVisionModel(config, logger)
      : { setupHint: 'This command does not use the vision model.' };
  if (choice.setupHint && needs.vision) logger.warn(choice.setupHint);
  const speechChoice: SpeechModelChoice = options.speech
    ? { speech: options.speech }
    : needs.speech
      ? await chooseSpeechModel(config, logger)
      : { setupHint: 'This command does not use the speech model.' };
  if (speechChoice.setupHint && needs.speech) logger.warn(`Voice questions are off. ${speechChoice.setupHint}`);
  const voice: VoiceDependencies = {
    speech: speechChoice.speech,
    ...(speechChoice.setupHint ? { speechSetupHint: speechChoice.setupHint } : {}),
    limits: { maxBytes: config.AUDIO_MAX_BYTES, maxSeconds: config.VOICE_MAX_SECONDS },
  };
  const voiceChoice: VoiceRepliesChoice = options.voiceReplies
    ? { voiceReplies: options.voiceReplies }
    : needs.voice
      ? await chooseVoiceReplies(config, logger)
      : { setupHint: 'This command does not speak.' };
  if (voiceChoice.setupHint && needs.voice) logger.warn(voiceChoice.setupHint);
  const imageLimits: ImageLimits = {
    maxInputBytes: config.IMAGE_MAX_BYTES,
    maxInputPixels: config.IMAGE_MAX_PIXELS,
    maxSide: config.VLM_MAX_IMAGE_SIDE,
  };
  const prometheus = config.OPS_PORT === undefined ? undefined : new PrometheusMetrics();
  const metrics: AssistantMetrics = prometheus ?? noMetrics;
  const tools = options.perception ?? createPerceptionTools(logger);
  const perception: PerceptionTools = tools.textReader ? { ...tools, textReader: instrumentTextReader(tools.textReader, metrics) } : tools;
  const accessPolicy = accessPolicyFor(config);
  const health = choice.model ? trackModelHealth(instrumentVisionModel(choice.model, metrics)) : undefined;
  const assistant = new Assistant({
    store,
    logger,
    model: health?.model,
    limits: {
      image: imageLimits,
      maxImagesPerTurn: config.MAX_IMAGES_PER_TURN,
      mediaRetentionMs: config.MEDIA_RETENTION_HOURS * HOUR_MS,
      historyTokenBudget: config.HISTORY_TOKEN_BUDGET,
      historyTurns: 20,
      turnDeadlineMs: config.TURN_DEADLINE_S * 1000,
    },
    voice: voice.speech ? { ...voice, speech: instrumentSpeech(voice.speech, metrics) } : voice,
    perception,
    // One line for every platform in the process: a served model takes VLM_CONCURRENCY requests
    // at once, the embedded one a turn at a time (it would only split the CPU between them).
    scheduler: new TurnScheduler({
      concurrency: config.VLM_BACKEND === 'openai' ? config.VLM_CONCURRENCY : 1,
      maxWaiting: config.QUEUE_MAX_WAITING,
      observer: schedulerObserver(metrics),
      initialTurnMs: config.VLM_BACKEND === 'openai' ? 3000 : 8000,
    }),
    ...(accessPolicy ? { accessPolicy } : {}),
    ...(voiceChoice.voiceReplies ? { voiceReplies: voiceChoice.voiceReplies } : {}),
    ...(config.TIME_ZONE ? { timeZone: config.TIME_ZONE } : {}),
  });
  // Image features a model keeps for follow-ups go when the photos they came from are deleted.
  const stopForgettingImages = store.onMediaDeleted(() => choice.model?.forgetImages?.());
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
    voice,
    speechSetupHint: speechChoice.setupHint,
    perception,
    voiceReplies: voiceChoice.voiceReplies,
    voiceSetupHint: voiceChoice.setupHint,
    metrics,
    metricsRegistry: prometheus?.registry,
    modelHealthy: () => health?.healthy() ?? false,
    close: async () => {
      stopSweeper();
      stopForgettingImages();
      store.close();
      await speechChoice.speech?.dispose?.();
    },
  };
}

/** The limits the operator set, or none: everyone may use the assistant as much as the line allows. */
function accessPolicyFor(config: Config): AccessPolicy | undefined {
  const { ALLOWED_USERS, ADMIN_USERS, RATE_LIMIT_PER_MINUTE, DAILY_TURN_QUOTA, TIME_ZONE } = config;
  if (!ALLOWED_USERS && !ADMIN_USERS && RATE_LIMIT_PER_MINUTE === undefined && DAILY_TURN_QUOTA === undefined) return undefined;
  return new AccessPolicy({
    ...(ALLOWED_USERS ? { allowList: parseUserIdList(ALLOWED_USERS) } : {}),
    ...(ADMIN_USERS ? { admins: parseUserIdList(ADMIN_USERS) } : {}),
    ...(RATE_LIMIT_PER_MINUTE === undefined ? {} : { ratePerMinute: RATE_LIMIT_PER_MINUTE }),
    ...(DAILY_TURN_QUOTA === undefined ? {} : { dailyQuota: DAILY_TURN_QUOTA }),
    ...(TIME_ZONE ? { timeZone: TIME_ZONE } : {}),
  });
}

/** The console user is the person at the keyboard; their memory is theirs across sessions. */
export function consoleIdentity(): { userId: string; chatId: string } {
  return { userId: userInfo().username, chatId: 'console' };
}
