import { DatabaseOpenError, LATEST_SCHEMA_VERSION } from '../storage/index.js';

/**
 * One line for a problem found while starting (the data folder, the database file) that the person
 * running the bot can fix: what is wrong, and what to do, naming the setting. Undefined for any
 * other error, which is a bug and keeps its stack trace.
 */
export function startUpProblem(error: unknown, dataDir: string): string | undefined {
  if (!(error instanceof DatabaseOpenError)) return undefined;
  const folder = `DATA_DIR (${dataDir})`;
  const file = `The database ${error.filePath}`;
  const elsewhere = 'or set DATA_DIR to another folder';
  switch (error.problem) {
    case 'folder-is-a-file':
      return `${folder} is not a folder: it, or a folder above it, is a file. Set DATA_DIR to a folder (it is created if missing), or move that file away.`;
    case 'folder-not-writable':
      return `I cannot create files in ${folder}. Let the user that runs the bot write there, ${elsewhere} it can write.`;
    case 'path-is-a-folder':
      return `${file} in DATA_DIR is a folder, not a file. Move that folder away, ${elsewhere}.`;
    case 'read-only':
      return `${file} in DATA_DIR is read-only. Let the user that runs the bot write it, ${elsewhere}.`;
    case 'cannot-open':
      return `I cannot open ${error.filePath} in DATA_DIR. Let the user that runs the bot read and write it, ${elsewhere}.`;
    case 'not-a-database':
      return `${file} in DATA_DIR is not a database file. Move it away to start with an empty memory, ${elsewhere}.`;
    case 'damaged':
      return `${file} in DATA_DIR is damaged or cut short. Restore it from a backup, or move it and its -wal and -shm files away to start with an empty memory.`;
    case 'foreign':
      return `${file} in DATA_DIR belongs to another program. Set DATA_DIR to a folder for this bot alone.`;
    case 'newer':
      return `${file} in DATA_DIR was written by a newer version of this bot (schema ${error.schemaVersion ?? 'unknown'}; this one knows up to ${LATEST_SCHEMA_VERSION}). Update the bot, ${elsewhere}.`;
    case 'locked':
      return `${file} in DATA_DIR is in use by another process. If the bot is already running, stop it first, or give each its own DATA_DIR.`;
    case 'disk-full':
      return `The disk that holds ${folder} is full. Free some space, ${elsewhere} on another disk.`;
  }
}
