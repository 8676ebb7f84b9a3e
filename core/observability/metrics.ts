import type { ModelErrorKind } from '../models/model-error.js';

/**
 * What the core and the bots report for an operator to watch. The core holds only this interface
 * (and `noMetrics`), so it never imports a metrics library; bots/ops implements it with
 * prom-client. No method takes a user id, a chat id or any text: every argument is a number or a
 * name from a small fixed set, so nothing a person sent can end up in a metric label.
 */
export interface AssistantMetrics {
  /** Once per incoming turn, when its delivery ended. */
  turnFinished(platform: string, outcome: TurnResult): void;
  /** Once per part the platform accepted. */
  partDelivered(platform: string, kind: DeliveredPartKind): void;
  /** One model stream that ran to its end. */
  modelTimings(timings: ModelTimings): void;
  /** One transcription that succeeded. */
  speechTimings(timings: SpeechTimings): void;
  /** One photo read (OCR) that succeeded. */
  ocrTimings(timings: OcrTimings): void;
  /** A model call that failed; `internal` when what was thrown was not a ModelError. */
  modelError(component: ModelComponent, kind: ModelErrorLabel): void;
  /** The scheduler's queue changed size (see `schedulerObserver`). */
  queueChanged(waiting: number, running: number): void;
  /** A turn waited this long in the queue before it started. */
  queueWaited(ms: number): void;
}

/**
 * How a turn's delivery ended:
 * - `answered`: the model's answer reached the person.
 * - `replied`: only the assistant's own words (a command's result, a note about what it cannot take).
 * - `problem`: a kind message that something failed, instead of an answer.
 * - `refused`: the access policy said no (not on the allow-list, rate limit, daily quota).
 * - `busy`: the queue was full.
 * - `aborted`: cancelled before an answer (shutdown, restart).
 * - `dropped`: the person blocked the bot or left; the rest of the answer was dropped.
 * - `skipped`: nothing to send (a delivery already answered, a message not for the bot).
 * - `failed`: the delivery itself failed (the platform refused, a bug).
 */
export type TurnResult = 'answered' | 'replied' | 'problem' | 'refused' | 'busy' | 'aborted' | 'dropped' | 'skipped' | 'failed';
export const TURN_RESULTS: readonly TurnResult[] = ['answered', 'replied', 'problem', 'refused', 'busy', 'aborted', 'dropped', 'skipped', 'failed'];

/** The kinds of `SendTextOptions.kind`, and `voice` for a voice message. */
export type DeliveredPartKind = 'answer' | 'notice' | 'reply' | 'problem' | 'voice';
export const DELIVERED_PART_KINDS: readonly DeliveredPartKind[] = ['answer', 'notice', 'reply', 'problem', 'voice'];

export type ModelComponent = 'vision' | 'speech' | 'ocr';
export const MODEL_COMPONENTS: readonly ModelComponent[] = ['vision', 'speech', 'ocr'];

export type ModelErrorLabel = ModelErrorKind | 'internal';
export const MODEL_ERROR_LABELS: readonly ModelErrorLabel[] = [
  'unavailable',
  'unknown-model',
  'unsupported-input',
  'context-length',
  'aborted',
  'timeout',
  'failed',
  'internal',
];

export interface ModelTimings {
  /** Until the first text arrived; absent when the stream carried no text. */
  readonly firstTokenMs?: number;
  readonly durationMs: number;
  /** As the backend reported them; absent when it reported none. */
  readonly outputTokens?: number;
  readonly inputTokens?: number;
}

export interface SpeechTimings {
  readonly durationMs: number;
  /** Length of the audio transcribed. */
  readonly audioSeconds: number;
}

export interface OcrTimings {
  readonly durationMs: number;
}

/** The scheduler's observer, structurally: the scheduler needs no import of metrics. */
export interface QueueObserver {
  waited(ms: number): void;
  queueChanged(waiting: number, running: number): void;
}

/** Reports nothing: for tests, the console and a bot without an ops port. */
export const noMetrics: AssistantMetrics = Object.freeze({
  turnFinished() {},
  partDelivered() {},
  modelTimings() {},
  speechTimings() {},
  ocrTimings() {},
  modelError() {},
  queueChanged() {},
  queueWaited() {},
});

/** Pass as the scheduler's `observer`: queue length and each turn's wait. */
export function schedulerObserver(metrics: AssistantMetrics): QueueObserver {
  return {
    waited: (ms) => quietly(() => metrics.queueWaited(ms)),
    queueChanged: (waiting, running) => quietly(() => metrics.queueChanged(waiting, running)),
  };
}

/**
 * Runs a metrics call so that a fault in it never reaches the turn that reported: a missing metric
 * costs an operator a data point, a thrown one would cost a person their answer.
 */
export function quietly(report: () => void): void {
  try {
    report();
  } catch {
    // Deliberately ignored, see above.
  }
}
