export type { ChatMessage, ChatRole, ContentPart, FilePart, TextPart } from './content.js';
export { isImagePart, textPart } from './content.js';
export type { ModelErrorKind, ModelErrorOptions } from './model-error.js';
export { isModelError, ModelError } from './model-error.js';
export type {
  FinishReason,
  GenerateRequest,
  GenerateStreamPart,
  VisionLanguageCapabilities,
  VisionLanguageModel,
} from './vision-language-model.js';
export type { SpeechToText, TranscribeRequest, Transcript } from './speech-to-text.js';
export { SPEECH_SAMPLE_RATE } from './speech-to-text.js';
export type { ReadTextRequest, ReadTextResult, TextLine, TextReader } from './text-reader.js';
export type { SpeechSynthesizer, SynthesizedSpeech, SynthesizeRequest } from './speech-synthesizer.js';
