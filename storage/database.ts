import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';

export { LATEST_SCHEMA_VERSION };

/** Opens (creating if needed) the database file and brings its schema up to date. */
export function openDatabase(filePath: string): Database.Database {
  const inMemory = filePath === ':memory:' || filePath === '';
  if (!inMemory) fs.mkdirSync(path.dirname(path.resolve(filePath)), { recursive: true });

  const db = new Database(filePath);
  try {
    // WAL lets the sweeper and the bots read while a turn is being written.
    // An in-memory database stays in 'memory' mode, which is fine.
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Deleted user data (forget requests, expired images) is overwritten, not just unlinked.
    db.pragma('secure_delete = ON');
    // Safe with WAL: a power cut can lose the last commits but never corrupts the file.
    db.pragma('synchronous = NORMAL');
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
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
