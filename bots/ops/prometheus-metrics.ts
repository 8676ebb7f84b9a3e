import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  DELIVERED_PART_KINDS,
  MODEL_COMPONENTS,
  MODEL_ERROR_LABELS,
  TURN_RESULTS,
  type AssistantMetrics,
  type DeliveredPartKind,
  type ModelComponent,
  type ModelErrorLabel,
  type ModelTimings,
  type OcrTimings,
  type SpeechTimings,
  type TurnResult,
} from '../../core/observability/index.js';

export interface PrometheusMetricsOptions {
  /**
   * The platform names labels may carry; any other name is counted as `other`, so a label's values
   * stay a small fixed set whatever a caller passes.
   */
  readonly platforms?: readonly string[];
  /** Prepended to this assistant's own metric names (not the process metrics). */
  readonly prefix?: string;
  /** Node's process metrics (CPU, memory, event loop lag, GC); on by default. */
  readonly processMetrics?: boolean;
}

export const DEFAULT_PLATFORMS: readonly string[] = ['telegram', 'discord', 'console'];
const OTHER = 'other';

// Seconds. A turn on the embedded CPU model takes tens of seconds; one on a GPU host about one.
const WAIT_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];
const FIRST_TOKEN_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60];
const MODEL_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];
const SPEECH_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];
const OCR_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30];

/**
 * `AssistantMetrics` in Prometheus form, on a registry of its own, so that two assistants in one
 * process (tests) or a library that uses prom-client's global registry never mix their series.
 * Labels are platform names, outcomes, part kinds, model components and error kinds: never an id
 * or a text.
 */
export class PrometheusMetrics implements AssistantMetrics {
  readonly registry = new Registry();
  private readonly platforms: ReadonlySet<string>;
  private readonly turns: Counter<'platform' | 'outcome'>;
  private readonly parts: Counter<'platform' | 'kind'>;
  private readonly waiting: Gauge;
  private readonly running: Gauge;
  private readonly wait: Histogram;
  private readonly firstToken: Histogram;
  private readonly modelDuration: Histogram;
  private readonly outputTokens: Counter;
  private readonly inputTokens: Counter;
  private readonly speechDuration: Histogram;
  private readonly speechAudio: Counter;
  private readonly ocrDuration: Histogram;
  private readonly errors: Counter<'component' | 'kind'>;

  constructor(options: PrometheusMetricsOptions = {}) {
    const prefix = options.prefix ?? 'seed_';
    const registers = [this.registry];
    this.platforms = new Set(options.platforms ?? DEFAULT_PLATFORMS);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.turns = new Counter({
      name: `${prefix}turns_total`,
      help: 'Incoming turns whose delivery ended, by platform and outcome.',
      labelNames: ['platform', 'outcome'],
      registers,
    });
    this.parts = new Counter({
      name: `${prefix}parts_delivered_total`,
      help: 'Reply parts the platform accepted, by platform and kind.',
      labelNames: ['platform', 'kind'],
      registers,
    });
    this.waiting = new Gauge({ name: `${prefix}queue_waiting_turns`, help: 'Turns waiting in the scheduler queue.', registers });
    this.running = new Gauge({ name: `${prefix}queue_running_turns`, help: 'Turns running now.', registers });
    this.wait = new Histogram({ name: `${prefix}queue_wait_seconds`, help: 'Time a turn waited in the queue before it started.', buckets: WAIT_BUCKETS, registers });
    this.firstToken = new Histogram({
      name: `${prefix}model_first_token_seconds`,
      help: 'Time from a model request to its first text.',
      buckets: FIRST_TOKEN_BUCKETS,
      registers,
    });
    this.modelDuration = new Histogram({
      name: `${prefix}model_duration_seconds`,
      help: 'Time a model stream took, counting only the waits on the model.',
      buckets: MODEL_BUCKETS,
      registers,
    });
    this.outputTokens = new Counter({ name: `${prefix}model_output_tokens_total`, help: 'Tokens the model generated, as the backend reported them.', registers });
    this.inputTokens = new Counter({ name: `${prefix}model_input_tokens_total`, help: 'Prompt tokens (images included), as the backend reported them.', registers });
    this.speechDuration = new Histogram({ name: `${prefix}speech_duration_seconds`, help: 'Time one transcription took.', buckets: SPEECH_BUCKETS, registers });
    this.speechAudio = new Counter({ name: `${prefix}speech_audio_seconds_total`, help: 'Seconds of audio transcribed.', registers });
    this.ocrDuration = new Histogram({ name: `${prefix}ocr_duration_seconds`, help: 'Time reading the text in one photo took.', buckets: OCR_BUCKETS, registers });
    this.errors = new Counter({
      name: `${prefix}model_errors_total`,
      help: 'Failed model calls, by component (vision, speech, ocr) and error kind.',
      labelNames: ['component', 'kind'],
      registers,
    });
    // Every series exists from the start at 0, so rate() and absent() work before the first event.
    for (const component of MODEL_COMPONENTS) for (const kind of MODEL_ERROR_LABELS) this.errors.inc({ component, kind }, 0);
    for (const platform of this.platforms) {
      for (const outcome of TURN_RESULTS) this.turns.inc({ platform, outcome }, 0);
      for (const kind of DELIVERED_PART_KINDS) this.parts.inc({ platform, kind }, 0);
    }
  }

  turnFinished(platform: string, outcome: TurnResult): void {
    this.turns.inc({ platform: this.platformLabel(platform), outcome: oneOf(outcome, TURN_RESULTS) });
  }

  partDelivered(platform: string, kind: DeliveredPartKind): void {
    this.parts.inc({ platform: this.platformLabel(platform), kind: oneOf(kind, DELIVERED_PART_KINDS) });
  }

  modelTimings(timings: ModelTimings): void {
    if (timings.firstTokenMs !== undefined) observeMs(this.firstToken, timings.firstTokenMs);
    observeMs(this.modelDuration, timings.durationMs);
    if (isCount(timings.outputTokens)) this.outputTokens.inc(timings.outputTokens);
    if (isCount(timings.inputTokens)) this.inputTokens.inc(timings.inputTokens);
  }

  speechTimings(timings: SpeechTimings): void {
    observeMs(this.speechDuration, timings.durationMs);
    if (isCount(timings.audioSeconds)) this.speechAudio.inc(timings.audioSeconds);
  }

  ocrTimings(timings: OcrTimings): void {
    observeMs(this.ocrDuration, timings.durationMs);
  }

  modelError(component: ModelComponent, kind: ModelErrorLabel): void {
    this.errors.inc({ component: oneOf(component, MODEL_COMPONENTS), kind: oneOf(kind, MODEL_ERROR_LABELS) });
  }

  queueChanged(waiting: number, running: number): void {
    if (isCount(waiting)) this.waiting.set(waiting);
    if (isCount(running)) this.running.set(running);
  }

  queueWaited(ms: number): void {
    observeMs(this.wait, ms);
  }

  private platformLabel(platform: string): string {
    return this.platforms.has(platform) ? platform : OTHER;
  }
}

/** The value when it is one of the known set, else `other`: a label never takes a caller's free text. */
function oneOf<T extends string>(value: string, known: readonly T[]): T | typeof OTHER {
  return (known as readonly string[]).includes(value) ? (value as T) : OTHER;
}

function isCount(value: number | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function observeMs(histogram: Histogram, ms: number): void {
  if (isCount(ms)) histogram.observe(ms / 1000);
}
