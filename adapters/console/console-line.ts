import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { classifyFile } from '../../core/index.js';

export interface ConsoleLine {
  /** A path the user meant as a photo, resolved against the working folder. */
  readonly imagePath?: string;
  /** A path to a voice note or audio file: its words are the question. */
  readonly audioPath?: string;
  readonly text: string;
}

/**
 * Splits a console line into an optional photo path, an optional audio path and the question:
 * `photo.jpg is it open?`, `"my photo.jpg" what is this`, `note.ogg`, `photo.jpg note.ogg`, or
 * just a question. A word counts as a path when it is quoted, names an existing file, or looks
 * like an image or audio file name, so a mistyped path gets a "file not found" message instead of
 * being sent to the model as a question.
 */
export function parseConsoleLine(line: string, workingFolder: string): ConsoleLine {
  let rest = line.trim();
  let imagePath: string | undefined;
  let audioPath: string | undefined;
  // At most one photo and one voice note, in either order.
  for (let taken = 0; taken < 2 && rest; taken += 1) {
    const next = takePath(rest, workingFolder);
    if (!next) break;
    const isAudio = classifyFile({ name: next.path }) === 'audio';
    if (isAudio && !audioPath) audioPath = next.path;
    else if (!imagePath && !isAudio) imagePath = next.path;
    else break;
    rest = next.rest;
  }
  return { ...(imagePath ? { imagePath } : {}), ...(audioPath ? { audioPath } : {}), text: rest };
}

function takePath(text: string, workingFolder: string): { path: string; rest: string } | undefined {
  const quoted = text.match(/^(["'])(.+?)\1(?:\s+([\s\S]*))?$/);
  if (quoted) return { path: resolvePath(quoted[2]!, workingFolder), rest: (quoted[3] ?? '').trim() };
  const [first = '', ...words] = text.split(/\s+/);
  const candidate = resolvePath(first, workingFolder);
  const looksLikeCommand = /^\/[\p{L}_-]+$/u.test(first);
  const isPath = (!looksLikeCommand && existsSync(candidate)) || classifyFile({ name: first }) !== 'other';
  return isPath ? { path: candidate, rest: words.join(' ') } : undefined;
}

function resolvePath(path: string, workingFolder: string): string {
  const expanded = path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
  return resolve(workingFolder, expanded);
}
