export type {
  AssistantMetrics,
  DeliveredPartKind,
  ModelComponent,
  ModelErrorLabel,
  ModelTimings,
  OcrTimings,
  QueueObserver,
  SpeechTimings,
  TurnResult,
} from './metrics.js';
export { DELIVERED_PART_KINDS, MODEL_COMPONENTS, MODEL_ERROR_LABELS, noMetrics, quietly, schedulerObserver, TURN_RESULTS } from './metrics.js';
export { instrumentSpeech, instrumentTextReader, instrumentVisionModel } from './instrument-models.js';
export { instrumentReplyChannel } from './instrument-channel.js';
