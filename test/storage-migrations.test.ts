import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase, migrate, LATEST_SCHEMA_VERSION, APPLICATION_ID, DatabaseOpenError } from '../storage/index.js';

let folder = '';
let fileCount = 0;
const freshPath = () => path.join(folder, `db-${++fileCount}.sqlite`);

before(() => {
  folder = fs.mkdtempSync(os.tmpdir() + '/seed-');
});
after(() => {
  fs.rmSync(folder, { recursive: true, force: true });
});

/** A database at exactly `version`, opened the way an older release of the program would have. */
function databaseAtVersion(filePath: string, version: number): Database.Database {
  const db = new Database(filePath);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  migrate(db, version);
  return db;
}

const userVersion = (db: Database.Database) => db.pragma('user_version', { simple: true });

function schemaOf(db: Database.Database) {
  const rows = db
    .prepare<[], { type: string; name: string; tbl_name: string; sql: string | null }>(
      'SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name',
    )
    .all();
  return rows.map((row) => ({ ...row, sql: row.sql?.replace(/\s+/g, ' ').trim() ?? null }));
}

function tableNames(db: Database.Database): string[] {
  return db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((row) => row.name);
}

function contentsOf(db: Database.Database): Record<string, unknown[]> {
  return Object.fromEntries(
    tableNames(db).map((name) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]),
  );
}

/** Rows a real user would have produced while the program ran at `version`. */
function insertRealisticRows(db: Database.Database, version: number): void {
  if (version >= 1) {
    db.exec(`
      INSERT INTO users (id, platform, platform_user_id, created_at) VALUES
        (1, 'telegram', '5550001', 1700000000000),
        (2, 'discord', '998877665544', 1700000001000);
      INSERT INTO settings (user_id, reply_length, language, updated_at) VALUES
        (1, 'short', 'zh', 1700000002000);
    `);
  }
  if (version >= 2) {
    db.exec(`
      INSERT INTO conversations (id, user_id, chat_id, started_at, closed_at) VALUES
        (1, 1, '5550001', 1700000003000, 1700000009000),
        (2, 1, '5550001', 1700000010000, NULL),
        (3, 2, 'guild-1/channel-7', 1700000004000, NULL);
      INSERT INTO turns (id, conversation_id, user_id, created_at, question, question_source, answer, status, failure, incoming_message_id) VALUES
        (1, 1, 1, 1700000003500, 'What is on this label?', 'text', 'Tomato soup, 400 grams.', 'done', NULL, '101'),
        (2, 2, 1, 1700000010500, '这是什么颜色？', 'voice', NULL, 'failed', 'model-failed', '102'),
        (3, 3, 2, 1700000004500, 'Read the sign please', 'text', NULL, 'pending', NULL, NULL);
    `);
  }
  if (version >= 3) {
    db.prepare(
      `INSERT INTO media (id, conversation_id, user_id, turn_id, created_at, expires_at, media_type, width, height, data)
       VALUES (1, 1, 1, 1, 1700000003500, 1700003603500, 'image/jpeg', 1024, 768, ?)`,
    ).run(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    db.exec(`INSERT INTO deliveries (turn_id, platform_message_id) VALUES (1, '201'), (1, '202');`);
  }
  if (version >= 4) {
    db.exec(`INSERT INTO processed_events (platform, event_id, processed_at) VALUES ('telegram', '900001', 1700000011000);`);
  }
  if (version >= 5) {
    db.exec(`UPDATE settings SET streaming = 'edits' WHERE user_id = 1;`);
  }
  if (version >= 6) {
    db.exec(`UPDATE settings SET voice_echo = 'on' WHERE user_id = 1;`);
  }
}

describe('storage migrations', () => {
  test('an empty database is brought to the latest version with the expected pragmas', () => {
    const filePath = path.join(folder, 'nested', 'deeper', 'assistant.sqlite');
    const db = openDatabase(filePath);
    try {
      assert.ok(fs.existsSync(filePath));
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(userVersion(db), LATEST_SCHEMA_VERSION);
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(db.pragma('secure_delete', { simple: true }), 1);
      assert.equal(db.pragma('synchronous', { simple: true }), 1); // NORMAL
      assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
      assert.deepEqual(tableNames(db), ['conversations', 'deliveries', 'health_probe', 'inbox', 'media', 'processed_events', 'settings', 'turns', 'users']);
    } finally {
      db.close();
    }
  });

  test('an in-memory database opens and migrates too', () => {
    const db = openDatabase(':memory:');
    assert.equal(userVersion(db), LATEST_SCHEMA_VERSION);
    db.close();
  });

  test('migrate(db, 0) leaves an empty database untouched', () => {
    const db = databaseAtVersion(freshPath(), 0);
    assert.equal(userVersion(db), 0);
    assert.deepEqual(tableNames(db), []);
    db.close();
  });

  for (let version = 1; version < LATEST_SCHEMA_VERSION; version++) {
    test(`upgrading from version ${version} keeps the data and ends with the fresh schema`, () => {
      const reference = openDatabase(freshPath());
      const freshSchema = schemaOf(reference);
      reference.close();

      const filePath = freshPath();
      const old = databaseAtVersion(filePath, version);
      assert.equal(userVersion(old), version);
      insertRealisticRows(old, version);
      const before = contentsOf(old);
      assert.ok(Object.values(before).some((rows) => rows.length > 0), 'the seed must insert something');
      old.close();

      const upgraded = openDatabase(filePath);
      try {
        assert.equal(userVersion(upgraded), LATEST_SCHEMA_VERSION);
        assert.deepEqual(schemaOf(upgraded), freshSchema);
        const after = contentsOf(upgraded);
        for (const [table, rows] of Object.entries(before)) {
          // Columns added later appear with their defaults; every value that was there stays.
          const kept = (after[table] ?? []).map((row, index) =>
            Object.fromEntries(Object.keys(rows[index] ?? {}).map((column) => [column, (row as Record<string, unknown>)[column]])),
          );
          assert.deepEqual(kept, rows, `rows of ${table} changed during the upgrade`);
        }
        // The upgraded database must accept rows only the newest schema allows.
        upgraded.exec(`
          INSERT INTO conversations (id, user_id, chat_id, started_at) VALUES (10, 1, 'dm', 1700000020000);
          INSERT INTO turns (id, conversation_id, user_id, created_at, question, question_source, status)
            VALUES (10, 10, 1, 1700000020000, 'And this one?', 'text', 'pending');
          INSERT INTO media (conversation_id, user_id, turn_id, created_at, expires_at, media_type, width, height, data)
            VALUES (10, 1, 10, 1700000020000, 1700003620000, 'image/png', 8, 8, x'89504e47');
          INSERT INTO deliveries (turn_id, platform_message_id) VALUES (10, '301');
          INSERT INTO settings (user_id, reply_length, language, streaming, voice_echo, voice_replies, updated_at) VALUES (2, 'detailed', 'es', 'edits', 'on', 'always', 1700000021000);
        `);
        assert.deepEqual(upgraded.pragma('foreign_key_check'), []);
      } finally {
        upgraded.close();
      }
    });
  }

  test('version 7 lets the language column hold any language code, checking only its shape', () => {
    const filePath = freshPath();
    const old = databaseAtVersion(filePath, 6);
    insertRealisticRows(old, 6);
    assert.throws(() => old.exec(`UPDATE settings SET language = 'es' WHERE user_id = 1`), /CHECK/);
    const settingsBefore = old.prepare('SELECT * FROM settings ORDER BY user_id').all();
    old.close();

    const upgraded = openDatabase(filePath);
    try {
      // Columns added by later versions appear with their defaults; every value that was there stays.
      const kept = upgraded
        .prepare('SELECT * FROM settings ORDER BY user_id')
        .all()
        .map((row, index) => Object.fromEntries(Object.keys((settingsBefore[index] ?? {}) as object).map((column) => [column, (row as Record<string, unknown>)[column]])));
      assert.deepEqual(kept, settingsBefore);
      const setLanguage = upgraded.prepare<[string]>('UPDATE settings SET language = ? WHERE user_id = 1');
      for (const accepted of ['auto', 'en', 'zh', 'es', 'fil']) setLanguage.run(accepted);
      for (const refused of ['', 'e', 'EN', 'english', 'zh-CN', 'auto ', 'abcd']) {
        assert.throws(() => setLanguage.run(refused), /CHECK/, `"${refused}" must be refused`);
      }
      // The rebuilt table keeps its link to users: forgetting a user still removes their settings.
      upgraded.exec('DELETE FROM users WHERE id = 1');
      assert.deepEqual(upgraded.prepare('SELECT user_id FROM settings').all(), []);
      assert.deepEqual(upgraded.pragma('foreign_key_check'), []);
    } finally {
      upgraded.close();
    }
  });

  test('migrating an up-to-date database again changes nothing', () => {
    const filePath = freshPath();
    const first = openDatabase(filePath);
    insertRealisticRows(first, LATEST_SCHEMA_VERSION);
    const schema = schemaOf(first);
    const contents = contentsOf(first);
    const changesBefore = first.prepare('SELECT total_changes() AS n').get();
    migrate(first);
    assert.deepEqual(first.prepare('SELECT total_changes() AS n').get(), changesBefore);
    first.close();

    const second = openDatabase(filePath);
    assert.equal(userVersion(second), LATEST_SCHEMA_VERSION);
    assert.deepEqual(schemaOf(second), schema);
    assert.deepEqual(contentsOf(second), contents);
    second.close();
  });

  test('a migration that fails part-way is rolled back entirely', () => {
    // Find the object version 2 creates last, so the collision below fails after the
    // earlier statements of that migration have already run inside its transaction.
    const scratch = databaseAtVersion(freshPath(), 1);
    migrate(scratch, 2);
    const last = scratch
      .prepare<[], { name: string }>('SELECT name FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid DESC LIMIT 1')
      .get();
    scratch.close();
    assert.ok(last);

    const db = databaseAtVersion(freshPath(), 1);
    try {
      db.exec(`CREATE TABLE "${last.name}" (placeholder INTEGER)`);
      const schemaBefore = schemaOf(db);
      assert.throws(() => migrate(db), /already/);
      assert.equal(userVersion(db), 1);
      assert.deepEqual(schemaOf(db), schemaBefore);
    } finally {
      db.close();
    }
  });

  test('a database from a newer program, or a downgrade, is refused', () => {
    const filePath = freshPath();
    const newer = new Database(filePath);
    newer.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    newer.close();
    assert.throws(() => openDatabase(filePath), /newer/);
    assert.throws(
      () => openDatabase(filePath),
      (error) => error instanceof DatabaseOpenError && error.problem === 'newer' && error.schemaVersion === LATEST_SCHEMA_VERSION + 1,
    );

    const current = openDatabase(freshPath());
    assert.throws(() => migrate(current, 1), /downgrad/);
    assert.throws(() => migrate(current, LATEST_SCHEMA_VERSION + 1), RangeError);
    current.close();
  });

  test('a database is stamped as this program\u2019s; another program\u2019s is refused and left untouched', () => {
    const fresh = openDatabase(freshPath());
    assert.equal(fresh.pragma('application_id', { simple: true }), APPLICATION_ID);
    fresh.close();

    // A file from a release before the stamp is recognised by its schema, and stamped.
    const olderPath = freshPath();
    const older = databaseAtVersion(olderPath, 3);
    insertRealisticRows(older, 3);
    older.close();
    const upgraded = openDatabase(olderPath);
    assert.equal(upgraded.pragma('application_id', { simple: true }), APPLICATION_ID);
    assert.equal(userVersion(upgraded), LATEST_SCHEMA_VERSION);
    upgraded.close();

    const refused = (problem: string) => (error: unknown) => error instanceof DatabaseOpenError && error.problem === problem;
    const notesPath = freshPath();
    const notes = new Database(notesPath);
    notes.exec('CREATE TABLE notes (body TEXT)');
    notes.close();
    assert.throws(() => openDatabase(notesPath), refused('foreign'));
    const reopened = new Database(notesPath);
    assert.deepEqual(tableNames(reopened), ['notes']);
    assert.equal(userVersion(reopened), 0);
    reopened.close();

    const versionedPath = freshPath();
    const versioned = new Database(versionedPath);
    versioned.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY)');
    versioned.pragma('user_version = 2');
    versioned.close();
    assert.throws(() => openDatabase(versionedPath), refused('foreign'));

    const stampedPath = freshPath();
    const stamped = new Database(stampedPath);
    stamped.pragma('application_id = 42');
    stamped.close();
    assert.throws(() => openDatabase(stampedPath), refused('foreign'));
  });
});
