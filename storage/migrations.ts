import type Database from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly description: string;
  up(db: Database.Database): void;
}

/*
 * Append only: a released migration is never edited, because databases in the field
 * already ran it. Tables are STRICT so a wrong JavaScript type fails loudly instead of
 * being stored as text.
 *
 * Child rows carry their owner's user_id and a composite foreign key to their parent
 * (id, user_id), so a turn or an image can never be filed under another user's
 * conversation: the privacy boundary is enforced by the schema, not only by queries.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'users and their settings',
    up(db) {
      db.exec(`
        CREATE TABLE users (
          id INTEGER PRIMARY KEY,
          platform TEXT NOT NULL,
          platform_user_id TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          UNIQUE (platform, platform_user_id)
        ) STRICT;

        CREATE TABLE settings (
          user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
          reply_length TEXT NOT NULL CHECK (reply_length IN ('short', 'normal', 'detailed')),
          language TEXT NOT NULL CHECK (language IN ('auto', 'en', 'zh')),
          updated_at INTEGER NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 2,
    description: 'conversations and their turns',
    up(db) {
      db.exec(`
        CREATE TABLE conversations (
          id INTEGER PRIMARY KEY,
          user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
          chat_id TEXT NOT NULL,
          started_at INTEGER NOT NULL,
          closed_at INTEGER,
          UNIQUE (id, user_id)
        ) STRICT;
        CREATE INDEX conversations_by_user_chat ON conversations (user_id, chat_id, closed_at);
        -- Two concurrent messages must not each open a conversation for the same chat.
        CREATE UNIQUE INDEX conversations_one_open ON conversations (user_id, chat_id)
          WHERE closed_at IS NULL;

        CREATE TABLE turns (
          id INTEGER PRIMARY KEY,
          conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
          user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
          created_at INTEGER NOT NULL,
          question TEXT NOT NULL,
          question_source TEXT NOT NULL CHECK (question_source IN ('text', 'voice')),
          answer TEXT,
          status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
          failure TEXT,
          incoming_message_id TEXT,
          UNIQUE (id, conversation_id, user_id),
          FOREIGN KEY (conversation_id, user_id)
            REFERENCES conversations (id, user_id) ON DELETE CASCADE
        ) STRICT;
        CREATE INDEX turns_by_conversation ON turns (conversation_id, status, id);
        CREATE INDEX turns_by_user ON turns (user_id);
        CREATE INDEX turns_by_created_at ON turns (created_at);
        CREATE INDEX turns_by_incoming_message ON turns (incoming_message_id);
      `);
    },
  },
  {
    version: 3,
    description: 'short-lived media and delivered messages',
    up(db) {
      db.exec(`
        CREATE TABLE media (
          id INTEGER PRIMARY KEY,
          conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
          user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
          turn_id INTEGER NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          media_type TEXT NOT NULL CHECK (length(media_type) > 0),
          width INTEGER NOT NULL CHECK (width > 0),
          height INTEGER NOT NULL CHECK (height > 0),
          data BLOB NOT NULL,
          FOREIGN KEY (turn_id, conversation_id, user_id)
            REFERENCES turns (id, conversation_id, user_id) ON DELETE CASCADE
        ) STRICT;
        CREATE INDEX media_by_expiry ON media (expires_at);
        CREATE INDEX media_by_conversation_turn ON media (conversation_id, turn_id);
        -- Foreign-key checks on deleting a turn or a user look media up by these.
        CREATE INDEX media_by_turn ON media (turn_id);
        CREATE INDEX media_by_user ON media (user_id);

        CREATE TABLE deliveries (
          turn_id INTEGER NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
          platform_message_id TEXT NOT NULL,
          PRIMARY KEY (turn_id, platform_message_id)
        ) STRICT;
        CREATE INDEX deliveries_by_message ON deliveries (platform_message_id);
      `);
    },
  },
  {
    version: 4,
    description: 'platform deliveries already answered, so a redelivered update is not answered twice',
    up(db) {
      // Only the platform's delivery ids (a Telegram update id, a Discord message id): no user
      // link and no content, so forgetting a user leaves nothing personal here.
      db.exec(`
        CREATE TABLE processed_events (
          platform TEXT NOT NULL,
          event_id TEXT NOT NULL,
          processed_at INTEGER NOT NULL,
          PRIMARY KEY (platform, event_id)
        ) STRICT;
        CREATE INDEX processed_events_by_time ON processed_events (processed_at);
      `);
    },
  },
  {
    version: 5,
    description: 'opt-in streaming of answers by message edits',
    up(db) {
      db.exec(`ALTER TABLE settings ADD COLUMN streaming TEXT NOT NULL DEFAULT 'off' CHECK (streaming IN ('off', 'edits'));`);
    },
  },
  {
    version: 6,
    description: 'opt-in echo of what a voice question was heard as',
    up(db) {
      db.exec(`ALTER TABLE settings ADD COLUMN voice_echo TEXT NOT NULL DEFAULT 'off' CHECK (voice_echo IN ('off', 'on'));`);
    },
  },
  {
    version: 7,
    description: 'the language setting accepts any language code, so adding a language needs no migration',
    up(db) {
      // SQLite cannot change a CHECK in place: the table is rebuilt with every row copied.
      // Nothing references settings, so dropping the old table breaks no foreign key.
      db.exec(`
        CREATE TABLE settings_new (
          user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
          reply_length TEXT NOT NULL CHECK (reply_length IN ('short', 'normal', 'detailed')),
          language TEXT NOT NULL CHECK (language = 'auto' OR language GLOB '[a-z][a-z]' OR language GLOB '[a-z][a-z][a-z]'),
          updated_at INTEGER NOT NULL,
          streaming TEXT NOT NULL DEFAULT 'off' CHECK (streaming IN ('off', 'edits')),
          voice_echo TEXT NOT NULL DEFAULT 'off' CHECK (voice_echo IN ('off', 'on'))
        ) STRICT;
        INSERT INTO settings_new (user_id, reply_length, language, updated_at, streaming, voice_echo)
          SELECT user_id, reply_length, language, updated_at, streaming, voice_echo FROM settings;
        DROP TABLE settings;
        ALTER TABLE settings_new RENAME TO settings;
      `);
    },
  },
  {
    version: 8,
    description: 'an inbox of platform deliveries kept until answered, so a crash loses no message',
    up(db) {
      // A row lives from the moment a delivery is received (before the platform is told it arrived)
      // until it is answered, ignored or given up on: the payload is the user's message, so it is
      // never kept longer than that. Not tied to users: it is written before anyone is known.
      db.exec(`
        CREATE TABLE inbox (
          platform TEXT NOT NULL,
          event_id TEXT NOT NULL,
          platform_user_id TEXT NOT NULL,
          received_at INTEGER NOT NULL,
          payload TEXT NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (platform, event_id)
        ) STRICT;
        CREATE INDEX inbox_by_time ON inbox (platform, received_at);
      `);
    },
  },
  {
    version: 9,
    description: 'a question can be a forwarded message, quoted to the model as someone else\'s words',
    up(db) {
      // A column, not a wider CHECK on question_source: SQLite cannot change a CHECK in place, and
      // rebuilding turns would cascade through media and deliveries. A forwarded question keeps
      // question_source 'text' (what older code reads) and is marked here.
      db.exec(`ALTER TABLE turns ADD COLUMN question_forwarded INTEGER NOT NULL DEFAULT 0 CHECK (question_forwarded IN (0, 1));`);
    },
  },
  {
    version: 10,
    description: 'what was seen in a photo (its text, barcodes, quality), kept and deleted with the photo',
    up(db) {
      // In the photo's own row, so retention and forget-me delete it with the photo and nothing
      // else has to remember to.
      db.exec(`ALTER TABLE media ADD COLUMN findings TEXT CHECK (findings IS NULL OR json_valid(findings));`);
    },
  },
  {
    version: 11,
    description: 'whether answers are also spoken: off, always, or only when the person spoke (the default)',
    up(db) {
      db.exec(`ALTER TABLE settings ADD COLUMN voice_replies TEXT NOT NULL DEFAULT 'spoken' CHECK (voice_replies IN ('off', 'always', 'spoken'));`);
    },
  },
  {
    version: 12,
    description: 'one row the health check writes, so a full disk or a read-only file shows as not writable',
    up(db) {
      // A committed write is the only honest test: BEGIN IMMEDIATE succeeds on a read-only file,
      // and a full disk shows only when pages are written. One row, no one's data.
      db.exec(`CREATE TABLE health_probe (id INTEGER PRIMARY KEY CHECK (id = 1), checked_at INTEGER NOT NULL);`);
    },
  },
];

MIGRATIONS.forEach((migration, index) => {
  if (migration.version !== index + 1) {
    throw new Error(`migration ${migration.version} is out of order; expected ${index + 1}`);
  }
});

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;
