import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';

export interface ConsoleLine {
  /** A path the user meant as a photo, resolved against the working folder. */
  readonly imagePath?: string;
  readonly text: string;
}

const IMAGE_EXTENSION = /\.(jpe?g|png|webp|gif|heic|heif|avif|tiff?|bmp|svg)$/i;

/**
 * Splits a console line into an optional photo path and the question: `photo.jpg is it open?`,
 * `"my photo.jpg" what is this`, or just a question. A first word counts as a path when it is
 * quoted, names an existing file, or looks like an image file name, so a mistyped path gets a
 * "file not found" message instead of being sent to the model as a question.
 */
export function parseConsoleLine(line: string, workingFolder: string): ConsoleLine {
  const trimmed = line.trim();
  const quoted = trimmed.match(/^(["'])(.+?)\1(?:\s+([\s\S]*))?$/);
  if (quoted) return { imagePath: resolvePath(quoted[2]!, workingFolder), text: (quoted[3] ?? '').trim() };

  const [first = '', ...rest] = trimmed.split(/\s+/);
  const candidate = resolvePath(first, workingFolder);
  const looksLikeCommand = /^\/[\p{L}_-]+$/u.test(first);
  const isPath = (!looksLikeCommand && existsSync(candidate)) || IMAGE_EXTENSION.test(first);
  return isPath ? { imagePath: candidate, text: rest.join(' ') } : { text: trimmed };
}

function resolvePath(path: string, workingFolder: string): string {
  const expanded = path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
  return resolve(workingFolder, expanded);
}
