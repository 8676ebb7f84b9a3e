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
 * just a question. A word counts as a path when it is quoted, has backslash-escaped characters
 * (`my\ photo.jpg`), names an existing file, looks like an image or audio file name, or looks like
 * a path (`~/…`, `./…`, `/home/…`), so a mistyped path gets a "file not found" message instead of
 * being sent to the model as a question (and answered about the previous photo).
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
  const { word, escaped, rest } = firstWord(text);
  const candidate = resolvePath(word, workingFolder);
  const looksLikeCommand = /^\/[\p{L}_-]+$/u.test(word);
  const isPath =
    (!looksLikeCommand && existsSync(candidate)) || classifyFile({ name: word }) !== 'other' || escaped || looksLikePath(word);
  return isPath ? { path: candidate, rest } : undefined;
}

/**
 * The first word, with backslash escapes undone (`my\ photo.jpg`, `it\'s.png`, as terminals write a
 * dragged-in file's path). A backslash before a letter or digit is kept as it is.
 */
function firstWord(text: string): { word: string; escaped: boolean; rest: string } {
  let word = '';
  let escaped = false;
  let index = 0;
  while (index < text.length && !/\s/.test(text[index]!)) {
    const next = text[index + 1];
    if (text[index] === '\\' && next !== undefined && !/[\p{L}\p{N}]/u.test(next)) {
      word += next;
      escaped = true;
      index += 2;
    } else {
      word += text[index];
      index += 1;
    }
  }
  return { word, escaped, rest: text.slice(index).trim() };
}

/** `~/…`, `./…`, `../…`, or an absolute path with at least two parts (`/home/me`), not a command such as `/settings`. */
function looksLikePath(word: string): boolean {
  return /^(?:~|\.{1,2})\/./.test(word) || /^\/[^/]+\/./.test(word);
}

function resolvePath(path: string, workingFolder: string): string {
  const expanded = path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
  return resolve(workingFolder, expanded);
}
