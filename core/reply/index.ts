export { toSpeechFriendly } from './speech-friendly.js';
export { textForSpeech } from './speech-text.js';
export { splitForDelivery, splitSentences, takeGist } from './split.js';
export { AnswerDelivery, type AnswerChunk } from './answer-delivery.js';
