import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';

export { LATEST_SCHEMA_VERSION };

/**
 * Stamped in the file header (SQLite's `application_id`, "SEED"), so a database of another program
 * is recognised as such instead of being migrated into ours.
 */
export const APPLICATION_ID = 0x53454544;

/** What is wrong with the database file or its folder, for the program to word for its user. */
export type DatabaseProblem =
  /** The folder for the file is a file (or lies under one). */
  | 'folder-is-a-file'
  /** The folder cannot be created, or files cannot be created in it. */
  | 'folder-not-writable'
  /** The database path is a folder. */
  | 'path-is-a-folder'
  /** The file can be read but not written. */
  | 'read-only'
  /** The file exists but cannot be opened at all (not readable). */
  | 'cannot-open'
  /** Not an SQLite database (random bytes, another format). */
  | 'not-a-database'
  /** An SQLite database that is damaged or cut short. */
  | 'damaged'
  /** An SQLite database of another program. */
  | 'foreign'
  /** Written by a newer version of this program: its schema version is above ours. */
  | 'newer'
  /** Another process holds a lock on it. */
  | 'locked'
  /** The disk is full. */
  | 'disk-full';

/**
 * The database could not be opened for a reason in the file or its surroundings, not a bug: the
 * caller words it for its user. `schemaVersion` is the file's, for 'newer'.
 */
export class DatabaseOpenError extends Error {
  override readonly name = 'DatabaseOpenError';
  readonly problem: DatabaseProblem;
  readonly filePath: string;
  readonly schemaVersion: number | undefined;

  constructor(problem: DatabaseProblem, filePath: string, message: string, options: { cause?: unknown; schemaVersion?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.problem = problem;
    this.filePath = filePath;
    this.schemaVersion = options.schemaVersion;
  }
}

/**
 * Opens (creating if needed) the database file and brings its schema up to date. A file that
 * cannot be used (not writable, damaged, another program's, newer, locked) is refused with a
 * `DatabaseOpenError`; any other error is a bug and is thrown as it is.
 */
export function openDatabase(filePath: string): Database.Database {
  const inMemory = filePath === ':memory:' || filePath === '';
  // The folder and the files hold people's photos and words: only their owner may read them.
  // New ones are created so (the umask covers the folder, the file and its -wal and -shm, which
  // SQLite creates with the file's mode); ones left by older versions lose their group and other
  // bits, and nothing else (a read-only file stays read-only).
  const ownerOnly = <T>(work: () => T): T => (inMemory ? work() : withOwnerOnlyUmask(work));
  const db = ownerOnly(() => {
    if (!inMemory) {
      createFolder(filePath);
      tightenModes(filePath);
    }
    try {
      return new Database(filePath);
    } catch (error) {
      throw explainOpenFailure(error, filePath);
    }
  });
  try {
    // WAL lets the sweeper and the bots read while a turn is being written.
    // An in-memory database stays in 'memory' mode, which is fine.
    ownerOnly(() => db.pragma('journal_mode = WAL'));
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Deleted user data (forget requests, expired images) is overwritten, not just unlinked.
    db.pragma('secure_delete = ON');
    // Safe with WAL: a power cut can lose the last commits but never corrupts the file.
    db.pragma('synchronous = NORMAL');
    checkOwnership(db, filePath);
    migrate(db);
    // A write on every start, so a file that can be read but not written is refused now rather
    // than at the first question.
    db.pragma(`application_id = ${APPLICATION_ID}`);
  } catch (error) {
    db.close();
    throw explainOpenFailure(error, filePath);
  }
  return db;
}

function withOwnerOnlyUmask<T>(work: () => T): T {
  const previous = process.umask(0o077);
  try {
    return work();
  } finally {
    process.umask(previous);
  }
}

/** The files of a database: the file itself and SQLite's companions. */
const COMPANIONS = ['', '-wal', '-shm', '-journal'];

/**
 * Takes the group and other bits off the database files left by older versions (which created them
 * 0644), and off their folder when it holds nothing else (a folder the user shares with other
 * things, such as their home, is left as it is). Owner bits are kept. Files this process does not
 * own are left alone; opening them reports what is wrong.
 */
function tightenModes(filePath: string): void {
  const file = path.resolve(filePath);
  const folder = path.dirname(file);
  const ours = new Set(COMPANIONS.map((suffix) => path.basename(file) + suffix));
  for (const suffix of COMPANIONS) removeGroupAndOther(file + suffix);
  try {
    if (fs.readdirSync(folder).every((name) => ours.has(name))) removeGroupAndOther(folder);
  } catch {
    // Unreadable folder: opening the file reports it.
  }
}

function removeGroupAndOther(target: string): void {
  try {
    const stat = fs.statSync(target);
    if ((stat.mode & 0o077) === 0) return;
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) return;
    fs.chmodSync(target, stat.mode & 0o7700);
  } catch {
    // Missing, or not ours to change: opening the file reports any real problem.
  }
}

function createFolder(filePath: string): void {
  const folder = path.dirname(path.resolve(filePath));
  try {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new DatabaseOpenError('folder-is-a-file', filePath, `${folder} is a file, or lies under one, not a folder`, { cause: error });
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new DatabaseOpenError('folder-not-writable', filePath, `cannot create the folder ${folder}`, { cause: error });
    }
    throw error;
  }
}

/** Refuses another program's database, and one written by a newer version of this program. */
function checkOwnership(db: Database.Database, filePath: string): void {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const version = schemaVersion(db);
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .all()
    .map((row) => row.name);
  const foreign = (why: string) => new DatabaseOpenError('foreign', filePath, `${filePath} is not this program's database: ${why}`);
  if (applicationId !== 0 && applicationId !== APPLICATION_ID) throw foreign(`its application id is ${applicationId}`);
  if (version > LATEST_SCHEMA_VERSION) {
    throw new DatabaseOpenError(
      'newer',
      filePath,
      `database schema version ${version} is newer than this program supports (${LATEST_SCHEMA_VERSION})`,
      { schemaVersion: version },
    );
  }
  // Files from before the application id was stamped: ours have a users table from version 1 on,
  // and every migration sets its version in the same transaction as its tables.
  if (version === 0 && tables.length > 0) throw foreign(`it has tables (${tables.slice(0, 3).join(', ')}) but no schema version`);
  if (version > 0 && !tables.includes('users')) throw foreign(`it is at schema version ${version} without a users table`);
}

/** A DatabaseOpenError for a problem in the file or its surroundings; any other error as it is. */
function explainOpenFailure(error: unknown, filePath: string): unknown {
  if (error instanceof DatabaseOpenError) return error;
  const code = errorCode(error) ?? '';
  const make = (problem: DatabaseProblem) =>
    new DatabaseOpenError(problem, filePath, `${filePath}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return make('locked');
  if (code === 'SQLITE_NOTADB') return make('not-a-database');
  if (code.startsWith('SQLITE_CORRUPT')) return make('damaged');
  if (code === 'SQLITE_FULL') return make('disk-full');
  if (code === 'SQLITE_READONLY_DIRECTORY') return make('folder-not-writable');
  if (code.startsWith('SQLITE_READONLY')) return make('read-only');
  if (code.startsWith('SQLITE_CANTOPEN')) {
    if (isFolder(filePath)) return make('path-is-a-folder');
    if (!fs.existsSync(filePath) || !canWrite(path.dirname(path.resolve(filePath)))) return make('folder-not-writable');
    return make('cannot-open');
  }
  return error;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isFolder(filePath: string): boolean {
  try {
    return fs.statSync(filePath).isDirectory();
  } catch {
    return false;
  }
}

function canWrite(folder: string): boolean {
  try {
    fs.accessSync(folder, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every migration above the database's version up to `targetVersion`, each in
 * its own transaction together with its `user_version` bump, so a failure leaves the
 * database at the last version that fully applied.
 */
export function migrate(db: Database.Database, targetVersion: number = LATEST_SCHEMA_VERSION): void {
  if (!Number.isInteger(targetVersion) || targetVersion < 0 || targetVersion > LATEST_SCHEMA_VERSION) {
    throw new RangeError(`schema version ${targetVersion} does not exist (latest is ${LATEST_SCHEMA_VERSION})`);
  }
  const current = schemaVersion(db);
  if (current > LATEST_SCHEMA_VERSION) {
    throw new Error(`database schema version ${current} is newer than this program supports (${LATEST_SCHEMA_VERSION})`);
  }
  if (current > targetVersion) {
    throw new Error(`database is at schema version ${current}; downgrading to ${targetVersion} is not supported`);
  }

  for (const migration of MIGRATIONS) {
    if (migration.version <= current || migration.version > targetVersion) continue;
    const apply = db.transaction(() => {
      // Another process may have migrated while this one waited for the write lock.
      if (schemaVersion(db) >= migration.version) return;
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    });
    apply.immediate();
  }
}
