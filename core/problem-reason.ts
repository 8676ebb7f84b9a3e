import type { AudioErrorKind } from './audio/index.js';
import type { ModelErrorKind } from './models/index.js';

/**
 * Why the assistant sent a problem instead of an answer: short, content-free names recorded with a
 * turn and logged, never shown as they are. Their own file, so the catalogues that word them and
 * the turn that yields them need not import each other.
 */

/** What was wrong with a voice note; `not-found`: a path typed in the console names no file. */
export type VoiceProblemKind = AudioErrorKind | 'download-failed' | 'not-found';

/** Why a voice note got a message instead of an answer. */
export type VoiceProblemReason =
  | 'speech-not-set-up'
  | 'silent'
  | 'no-words'
  | `transcription-${ModelErrorKind}`
  | `voice-${VoiceProblemKind}`;

/** Why a model turn failed. */
export type FailureReason = 'aborted' | 'model-unavailable' | 'unknown-model' | 'context-length' | 'timeout' | 'model-failed' | 'empty-answer' | 'internal';

/**
 * Why a model turn was not started: the waiting line was full (`busy`), the access policy said no,
 * or the assistant is restarting (the delivery is kept and answered after the restart).
 */
export type ServiceProblemReason = 'busy' | 'not-allowed' | 'rate-limited' | 'quota' | 'restarting';

/** Why a `problem` part was sent: a failed turn, a refused photo or voice note, or no model at all. */
export type ProblemReason = FailureReason | 'model-not-set-up' | 'bad-image' | PhotoProblemReason | VoiceProblemReason | ServiceProblemReason;

/** Why `/read` or a colour question got a message instead of an answer. */
export type PhotoProblemReason = 'no-text' | 'reading-failed' | 'perception-failed';
