import { isModelError } from '../models/model-error.js';
import type { SpeechToText, TranscribeRequest, Transcript } from '../models/speech-to-text.js';
import type { ReadTextRequest, ReadTextResult, TextReader } from '../models/text-reader.js';
import type { GenerateRequest, GenerateStreamPart, VisionLanguageModel } from '../models/vision-language-model.js';
import { quietly, type AssistantMetrics, type ModelComponent, type ModelErrorLabel } from './metrics.js';

/**
 * Decorators that time the model contracts, so the assistant needs no metric calls of its own.
 * Each wrapper passes everything through unchanged; an optional method exists on the wrapper only
 * when the wrapped object has it, because callers test for its presence (`forgetImages?.()`).
 */

type Clock = () => number;

/**
 * Times each stream. Duration and first token count only the time spent waiting on the model:
 * the assistant sends parts to the platform between chunks, and a slow chat API must not read as
 * a slow model.
 */
export function instrumentVisionModel(model: VisionLanguageModel, metrics: AssistantMetrics, now: Clock = performance.now.bind(performance)): VisionLanguageModel {
  return {
    get id() {
      return model.id;
    },
    get capabilities() {
      return model.capabilities;
    },
    ...(model.countTokens ? { countTokens: (text: string) => model.countTokens!(text) } : {}),
    ...(model.forgetImages ? { forgetImages: (keys?: readonly string[]) => model.forgetImages!(keys) } : {}),
    generate(request: GenerateRequest): AsyncIterable<GenerateStreamPart> {
      let stream: AsyncIterable<GenerateStreamPart>;
      try {
        stream = model.generate(request);
      } catch (error) {
        reportError(metrics, 'vision', error);
        throw error;
      }
      return timedStream(stream, metrics, now);
    },
  };
}

async function* timedStream(stream: AsyncIterable<GenerateStreamPart>, metrics: AssistantMetrics, now: Clock): AsyncGenerator<GenerateStreamPart> {
  const iterator = stream[Symbol.asyncIterator]();
  let waitedMs = 0;
  let firstTokenMs: number | undefined;
  let outputTokens: number | undefined;
  let inputTokens: number | undefined;
  let ended = false;
  try {
    for (;;) {
      const asked = now();
      let result: IteratorResult<GenerateStreamPart>;
      try {
        result = await iterator.next();
      } catch (error) {
        ended = true;
        reportError(metrics, 'vision', error);
        throw error;
      }
      waitedMs += now() - asked;
      if (result.done) {
        ended = true;
        break;
      }
      const part = result.value;
      if (part.type === 'text-delta' && firstTokenMs === undefined) firstTokenMs = waitedMs;
      if (part.type === 'finish') {
        outputTokens = part.usage?.outputTokens;
        inputTokens = part.usage?.inputTokens;
      }
      yield part;
    }
  } finally {
    // The consumer stopped early (`break`): the model must still hear it and free its slot.
    if (!ended) await iterator.return?.();
  }
  quietly(() =>
    metrics.modelTimings({
      durationMs: waitedMs,
      ...(firstTokenMs !== undefined ? { firstTokenMs } : {}),
      ...(outputTokens !== undefined ? { outputTokens } : {}),
      ...(inputTokens !== undefined ? { inputTokens } : {}),
    }),
  );
}

export function instrumentSpeech(speech: SpeechToText, metrics: AssistantMetrics, now: Clock = performance.now.bind(performance)): SpeechToText {
  return {
    get id() {
      return speech.id;
    },
    async transcribe(request: TranscribeRequest): Promise<Transcript> {
      const started = now();
      let transcript: Transcript;
      try {
        transcript = await speech.transcribe(request);
      } catch (error) {
        reportError(metrics, 'speech', error);
        throw error;
      }
      quietly(() => metrics.speechTimings({ durationMs: now() - started, audioSeconds: transcript.durationSeconds }));
      return transcript;
    },
    ...(speech.dispose ? { dispose: () => speech.dispose!() } : {}),
  };
}

export function instrumentTextReader(reader: TextReader, metrics: AssistantMetrics, now: Clock = performance.now.bind(performance)): TextReader {
  return {
    get id() {
      return reader.id;
    },
    async read(request: ReadTextRequest): Promise<ReadTextResult> {
      const started = now();
      let result: ReadTextResult;
      try {
        result = await reader.read(request);
      } catch (error) {
        reportError(metrics, 'ocr', error);
        throw error;
      }
      quietly(() => metrics.ocrTimings({ durationMs: now() - started }));
      return result;
    },
    ...(reader.warmUp ? { warmUp: () => reader.warmUp!() } : {}),
  };
}

function reportError(metrics: AssistantMetrics, component: ModelComponent, error: unknown): void {
  const kind: ModelErrorLabel = isModelError(error) ? error.kind : 'internal';
  quietly(() => metrics.modelError(component, kind));
}
