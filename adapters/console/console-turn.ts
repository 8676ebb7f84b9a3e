import type { ImageLimits, IncomingTurn } from '../../core/index.js';
import { readImageFile, readLocalFile } from '../../core/index.js';
import type { ConsoleLine } from './console-line.js';

export const CONSOLE_PLATFORM = 'console';
/** Wide enough for a terminal, short enough that a screen reader user can re-read one part. */
export const CONSOLE_PART_LENGTH = 2000;

export interface ConsoleIdentity {
  readonly userId: string;
  readonly chatId: string;
}

export interface ConsoleLimits {
  readonly image: ImageLimits;
  readonly audioMaxBytes: number;
}

export function consoleTurn(line: ConsoleLine, identity: ConsoleIdentity, limits: ConsoleLimits): IncomingTurn {
  const { imagePath, audioPath } = line;
  return {
    platform: CONSOLE_PLATFORM,
    userId: identity.userId,
    chatId: identity.chatId,
    text: line.text,
    ...(imagePath ? { images: [{ fetch: () => readImageFile(imagePath, limits.image) }] } : {}),
    ...(audioPath ? { audio: [{ fetch: () => readLocalFile(audioPath, limits.audioMaxBytes) }] } : {}),
  };
}
