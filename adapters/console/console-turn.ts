import type { ImageLimits, IncomingTurn } from '../../core/index.js';
import { readImageFile, readLocalFile } from '../../core/index.js';
import type { ConsoleLine } from './console-line.js';

export const CONSOLE_PLATFORM = 'console';

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
