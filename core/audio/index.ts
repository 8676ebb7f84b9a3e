/**
 * Voice notes to 16 kHz mono samples for speech models, and spoken replies to Ogg/Opus voice
 * notes, all in-process (WebAssembly codecs).
 */
export type { AudioErrorKind } from './audio-error.js';
export { AudioError, isAudioError } from './audio-error.js';
export type { AudioLimits, DecodedAudio } from './decode-audio.js';
export { decodeAudio } from './decode-audio.js';
export type { AudioFormat } from './detect-format.js';
export type { Loudness } from './loudness.js';
export { isSilent, measureLoudness, MIN_ACTIVE_SECONDS, SPEECH_THRESHOLD_DBFS } from './loudness.js';
export { downmixToMono, resample } from './resample.js';
export type { EncodedVoiceNote, VoiceNoteOptions } from './voice-note.js';
export { DEFAULT_VOICE_BITRATE, encodeVoiceNote } from './voice-note.js';
