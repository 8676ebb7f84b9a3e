import { decodeAudio, isAudioError, isSilent, measureLoudness, type AudioLimits } from './audio/index.js';
import type { Messages } from './i18n/index.js';
import type { VoiceProblemReason } from './problem-reason.js';
import type { Logger } from './log.js';
import { MediaError } from './media/index.js';
import { isModelError, SPEECH_SAMPLE_RATE, type SpeechToText, type Transcript } from './models/index.js';
import type { IncomingAudio } from './turn.js';
import { Semaphore } from './util/index.js';

export interface VoiceDependencies {
  /** Undefined when no speech model is set up: voice notes get a message saying to type instead. */
  readonly speech: SpeechToText | undefined;
  /** The one line for the log saying how to set the speech model up. */
  readonly speechSetupHint?: string;
  readonly limits: AudioLimits;
}

export type HeardQuestion =
  | { readonly heard: true; readonly transcript: Transcript }
  | { readonly heard: false; readonly aborted: true }
  | { readonly heard: false; readonly aborted?: false; readonly text: string; readonly reason: VoiceProblemReason };

// Whisper writes something for almost any sound; a transcript with no letter or digit in it is
// music, a cough or a hallucinated "..." and is no question.
const HAS_WORDS = /[\p{L}\p{N}]/u;

// Each decode instantiates a WebAssembly decoder that reserves 16-28 MiB until collected; one at a
// time bounds that under a burst of notes, and at about 50 ms per 30 s note costs no one much.
const decoding = new Semaphore(1);

/**
 * A voice note in, its transcript or the message to send instead out. Everything a user can get
 * wrong (an empty, damaged, endless or silent note, an unknown format) ends here as a kind
 * message; nothing about the audio or the words is logged, only sizes and timings.
 */
export async function hearQuestion(
  audio: IncomingAudio,
  context: {
    readonly voice: VoiceDependencies;
    readonly language: string | undefined;
    readonly messages: Messages;
    readonly log: Logger;
    readonly signal?: AbortSignal;
  },
): Promise<HeardQuestion> {
  const { voice, messages, log } = context;
  const { speech, limits } = voice;
  if (!speech) {
    log.warn({ fix: voice.speechSetupHint }, 'voice note refused: no speech model is set up');
    return { heard: false, text: messages.voiceNotSetUp, reason: 'speech-not-set-up' };
  }
  // The platform's stated length spares downloading a note that would be refused anyway.
  if (audio.durationSeconds !== undefined && audio.durationSeconds > limits.maxSeconds) {
    log.info({ seconds: audio.durationSeconds }, 'voice note refused: too long');
    return problem(messages, 'too-long', { seconds: audio.durationSeconds, maxSeconds: limits.maxSeconds });
  }

  let bytes: Uint8Array;
  try {
    bytes = await audio.fetch();
  } catch (error) {
    if (!(error instanceof MediaError)) throw error;
    log.info({ kind: error.kind }, 'voice note not downloaded');
    switch (error.kind) {
      case 'too-large':
        return problem(messages, 'too-large', { maxBytes: error.details?.limitBytes ?? limits.maxBytes });
      case 'not-found':
      case 'not-a-file':
        return problem(messages, 'not-found', {});
      default:
        return problem(messages, 'download-failed', {});
    }
  }

  const release = await decoding.acquire();
  const decodeStarted = performance.now();
  let samples: Float32Array;
  try {
    const decoded = await decodeAudio(bytes, limits, audio.mediaType);
    samples = decoded.samples;
    log.info(
      { format: decoded.format, bytes: bytes.length, seconds: round(decoded.durationSeconds), ms: Math.round(performance.now() - decodeStarted) },
      'voice note decoded',
    );
  } catch (error) {
    if (!isAudioError(error)) throw error;
    log.info({ kind: error.kind, bytes: bytes.length, mediaType: audio.mediaType }, 'voice note refused');
    return problem(messages, error.kind, error.details);
  } finally {
    release();
  }

  const loudness = measureLoudness(samples, SPEECH_SAMPLE_RATE);
  if (isSilent(loudness)) {
    log.info({ peakDbfs: round(loudness.peakDbfs), activeSeconds: round(loudness.activeSeconds) }, 'voice note silent');
    return { heard: false, text: messages.couldNotHear, reason: 'silent' };
  }

  const started = performance.now();
  let transcript: Transcript;
  try {
    transcript = await speech.transcribe({
      samples,
      ...(context.language ? { language: context.language } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
    });
  } catch (error) {
    if (!isModelError(error)) throw error;
    if (error.kind === 'aborted') return { heard: false, aborted: true };
    log.warn({ kind: error.kind, err: error }, 'transcription failed');
    return {
      heard: false,
      text: error.kind === 'timeout' ? messages.modelTimedOut : messages.transcriptionFailed,
      reason: `transcription-${error.kind}`,
    };
  }
  const words = HAS_WORDS.test(transcript.text);
  log.info(
    {
      ms: Math.round(performance.now() - started),
      seconds: round(transcript.durationSeconds),
      language: transcript.language,
      pinned: context.language !== undefined,
      transcriptChars: transcript.text.length,
    },
    'voice note transcribed',
  );
  if (!words) return { heard: false, text: messages.couldNotHear, reason: 'no-words' };
  return { heard: true, transcript };
}

function problem(
  messages: Messages,
  kind: Parameters<Messages['voiceProblem']>[0],
  details: Readonly<Record<string, string | number>>,
): HeardQuestion {
  return { heard: false, text: messages.voiceProblem(kind, details), reason: `voice-${kind}` };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
