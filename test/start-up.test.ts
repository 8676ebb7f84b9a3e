import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, openDatabase, Store } from '../storage/index.js';
import { startFakeTelegram } from './helpers/fake-telegram.js';
import { runEntry, type CliResult } from './helpers/run-cli.js';
import { makeTempFolder } from './helpers/temp-folder.js';

/*
 * Start-up problems with the data folder or the database file: the real entry point, run as
 * `npm start` runs it, prints one line saying what is wrong and what to do (naming DATA_DIR), no
 * stack trace, and exits 2. Every condition here is real: files, folders, permissions, a lock held
 * by another process; nothing is simulated inside SQLite.
 *
 * Root may write anything, so the permission cases run the entry point as the user "nobody" when
 * this suite runs as root, and as the current user otherwise.
 */

const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));
const folder = makeTempFolder();
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
let count = 0;

/**
 * As root, whether "nobody" may run this checkout at all (it may not when the repository lies in a
 * private home folder, or where setuid is not allowed); the two permission tests are skipped, saying
 * why, when it may not.
 */
function otherUserCannotRun(): string | false {
  if (!isRoot) return false;
  const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(join(REPOSITORY, 'bots/main.ts'))}, 4)`], {
    cwd: '/',
    uid: NOBODY,
    gid: NOBODY,
  });
  return probe.status === 0 ? false : 'the user nobody cannot read this checkout, and root bypasses file permissions';
}
const permissionSkip = otherUserCannotRun();

before(() => {
  // Another user must be able to reach the folders inside it (mkdtemp makes it private).
  chmodSync(folder.path, 0o755);
});
after(() => folder.remove());

/** A fresh, empty DATA_DIR path (not created). */
const dataDirPath = (name: string) => join(folder.path, `${++count}-${name}`);

function start(dataDir: string, options: { asOtherUser?: boolean } = {}): Promise<CliResult> {
  return runEntry('bots/main.ts', ['console'], {
    environment: { DATA_DIR: dataDir, MODELS_DIR: join(folder.path, 'no-models'), HOME: folder.path },
    ...(options.asOtherUser && isRoot ? { uid: NOBODY } : {}),
  });
}

/** One line on standard error, matching `what`, naming DATA_DIR; nothing else; exit code 2. */
function assertOneLine(result: CliResult, what: RegExp): void {
  assert.equal(result.code, 2, `exit code; standard error was:\n${result.stderr}`);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^[^\n]+\n$/, `one line expected, got:\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at |node:internal|Error\b|SQLITE_/);
  assert.match(result.stderr, /DATA_DIR/);
  assert.match(result.stderr, what);
}

/** A real database of this program with a few questions and photos in it, closed cleanly. */
function realDatabase(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  const filePath = join(dataDir, 'seed.sqlite');
  const store = new Store(openDatabase(filePath));
  const user = store.ensureUser({ platform: 'telegram', platformUserId: '1' });
  const conversation = store.currentConversation(user.id, 'dm');
  for (let index = 0; index < 40; index++) {
    const { turn } = store.beginTurn({
      conversationId: conversation.id,
      userId: user.id,
      question: `question ${index}`,
      questionSource: 'text',
      media: [{ mediaType: 'image/jpeg', width: 64, height: 64, data: Buffer.alloc(6000, index) }],
      mediaRetentionMs: 3_600_000,
    });
    store.completeTurn(turn.id, `answer ${index}`);
  }
  store.close();
  return filePath;
}

describe('start-up problems with DATA_DIR and the database: one line, exit 2', () => {
  test('DATA_DIR is a file, or lies under one', async () => {
    const file = dataDirPath('a-file');
    writeFileSync(file, 'not a folder');
    assertOneLine(await start(file), /is not a folder: it, or a folder above it, is a file/);
    assertOneLine(await start(join(file, 'data')), /is not a folder/);
  });

  test('the database path is a folder', async () => {
    const dataDir = dataDirPath('db-is-folder');
    mkdirSync(join(dataDir, 'seed.sqlite'), { recursive: true });
    assertOneLine(await start(dataDir), /seed\.sqlite in DATA_DIR is a folder, not a file/);
  });

  test('the database file is random bytes', async () => {
    const dataDir = dataDirPath('random');
    mkdirSync(dataDir);
    const bytes = Buffer.alloc(64 * 1024);
    for (let index = 0; index < bytes.length; index++) bytes[index] = (index * 2654435761) >>> 24;
    writeFileSync(join(dataDir, 'seed.sqlite'), bytes);
    assertOneLine(await start(dataDir), /is not a database file\. Move it away/);
  });

  test('the database file is cut short', async () => {
    const dataDir = dataDirPath('truncated');
    const filePath = realDatabase(dataDir);
    truncateSync(filePath, Math.floor(statSync(filePath).size / 2));
    assertOneLine(await start(dataDir), /is damaged or cut short\. Restore it from a backup/);
  });

  test('the database belongs to another program', async () => {
    const dataDir = dataDirPath('foreign');
    mkdirSync(dataDir);
    const other = new Database(join(dataDir, 'seed.sqlite'));
    other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('shopping list');");
    other.close();
    assertOneLine(await start(dataDir), /belongs to another program\. Set DATA_DIR to a folder for this bot alone/);
    // Untouched: none of our tables were added to it.
    const after = new Database(join(dataDir, 'seed.sqlite'));
    assert.deepEqual(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all(), ['notes']);
    after.close();

    // Another program that stamps its own application id, even with a users table and a version.
    const stamped = dataDirPath('foreign-stamped');
    mkdirSync(stamped);
    const app = new Database(join(stamped, 'seed.sqlite'));
    app.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)');
    app.pragma('user_version = 3');
    app.pragma('application_id = 1234');
    app.close();
    assertOneLine(await start(stamped), /belongs to another program/);
  });

  test('the database was written by a newer version', async () => {
    const dataDir = dataDirPath('newer');
    const filePath = realDatabase(dataDir);
    const db = new Database(filePath);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    const result = await start(dataDir);
    assertOneLine(result, /written by a newer version of this bot/);
    assert.ok(result.stderr.includes(`schema ${LATEST_SCHEMA_VERSION + 1}; this one knows up to ${LATEST_SCHEMA_VERSION}`));
  });

  test('another process holds the database locked', async () => {
    const dataDir = dataDirPath('locked');
    const filePath = realDatabase(dataDir);
    const holder = await holdExclusiveLock(filePath);
    try {
      assertOneLine(await start(dataDir), /is in use by another process\. If the bot is already running, stop it first/);
    } finally {
      holder.stdin?.end();
      await new Promise((resolve) => holder.once('close', resolve));
    }
  });

  test(`DATA_DIR that cannot be written${isRoot ? ' (run as the user nobody)' : ''}`, { skip: permissionSkip }, async () => {
    const locked = dataDirPath('not-writable');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    // Empty: the database file cannot be created.
    assertOneLine(await start(locked, { asOtherUser: true }), /I cannot create files in DATA_DIR \(.*not-writable\)\. Let the user that runs the bot write there/);
    // Missing, under a folder that cannot be written: it cannot be created.
    assertOneLine(await start(join(locked, 'data'), { asOtherUser: true }), /I cannot create files in DATA_DIR/);
  });

  test(`a database file that cannot be written${isRoot ? ' (run as the user nobody)' : ''}`, { skip: permissionSkip }, async () => {
    const dataDir = dataDirPath('read-only');
    const filePath = realDatabase(dataDir);
    // The folder is open to all, so only the file itself is read-only.
    chmodSync(dataDir, 0o777);
    chmodSync(filePath, 0o444);
    const before = readFileSync(filePath);
    assertOneLine(await start(dataDir, { asOtherUser: true }), /seed\.sqlite in DATA_DIR is read-only\. Let the user that runs the bot write it/);
    assert.ok(readFileSync(filePath).equals(before), 'the read-only file was changed');
  });
});

describe('the data folder and the database are private to their owner', () => {
  const mode = (target: string) => statSync(target).mode & 0o777;

  test('a new DATA_DIR is created 0700, and the database and its -wal and -shm files 0600', async () => {
    const dataDir = join(dataDirPath('private'), 'nested');
    const result = await start(dataDir);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(mode(dataDir).toString(8), '700');
    const files = readdirSync(dataDir);
    assert.ok(files.includes('seed.sqlite'), files.join(', '));
    for (const name of files) assert.equal(mode(join(dataDir, name)).toString(8), '600', name);
    // While it is open, SQLite's companions exist: they are private as well.
    const db = openDatabase(join(dataDir, 'seed.sqlite'));
    try {
      for (const suffix of ['-wal', '-shm']) assert.equal(mode(join(dataDir, `seed.sqlite${suffix}`)).toString(8), '600', suffix);
    } finally {
      db.close();
    }
  });

  test('files and a folder left world-readable by an older version are tightened, keeping the owner bits', async () => {
    const dataDir = dataDirPath('older');
    const filePath = realDatabase(dataDir);
    chmodSync(dataDir, 0o755);
    chmodSync(filePath, 0o644);
    const result = await start(dataDir);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(mode(dataDir).toString(8), '700');
    assert.equal(mode(filePath).toString(8), '600');
  });

  test('a folder shared with other things keeps its mode; the database in it is still private', async () => {
    const dataDir = dataDirPath('shared');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'notes.txt'), 'something of the owner');
    const result = await start(dataDir);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(mode(dataDir).toString(8), '755');
    assert.equal(mode(join(dataDir, 'seed.sqlite')).toString(8), '600');
  });
});

describe('start-up problems of a platform: one line, exit 2', () => {
  test('the Telegram webhook port is in use by another program', async () => {
    const telegram = await startFakeTelegram();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as AddressInfo).port;
    try {
      const result = await runEntry('bots/main.ts', [], {
        environment: {
          TELEGRAM_BOT_TOKEN: telegram.token,
          TELEGRAM_API_ROOT: telegram.apiRoot,
          TELEGRAM_WEBHOOK_URL: 'https://bot.example/telegram',
          TELEGRAM_WEBHOOK_SECRET: 'hook-secret',
          TELEGRAM_WEBHOOK_PORT: String(port),
          DATA_DIR: dataDirPath('webhook'),
          MODELS_DIR: join(folder.path, 'no-models'),
          HOME: folder.path,
          LOG_LEVEL: 'silent',
        },
      });
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr, `The webhook port ${port} is already in use by another program. Set TELEGRAM_WEBHOOK_PORT to a free port.\n`);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
      await telegram.close();
    }
  });
});

describe('a platform API that cannot be reached: one line at start-up, and SIGTERM always stops it', () => {
  /** A loopback port nothing listens on. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  const botEnvironment = (name: string, settings: Record<string, string>) => ({
    ...settings,
    DATA_DIR: dataDirPath(name),
    MODELS_DIR: join(folder.path, 'no-models'),
    HOME: folder.path,
    LOG_LEVEL: 'silent',
  });

  test('Telegram: nothing listens at TELEGRAM_API_ROOT', async () => {
    const port = await closedPort();
    const result = await runEntry('bots/main.ts', [], {
      environment: botEnvironment('telegram-closed', { TELEGRAM_BOT_TOKEN: '123456:test-token', TELEGRAM_API_ROOT: `http://127.0.0.1:${port}` }),
    });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      `Could not reach the Telegram Bot API at http://127.0.0.1:${port} (ECONNREFUSED). Check the network connection and TELEGRAM_API_ROOT, then start the bot again.\n`,
    );
  });

  test('Discord: nothing listens at DISCORD_API_ROOT', async () => {
    const port = await closedPort();
    const result = await runEntry('bots/main.ts', [], {
      environment: botEnvironment('discord-closed', {
        DISCORD_BOT_TOKEN: 'discord-test-token-0123456789',
        DISCORD_API_ROOT: `http://127.0.0.1:${port}/api`,
      }),
    });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      `Could not reach the Discord API at http://127.0.0.1:${port}/api (ECONNREFUSED). Check the network connection and DISCORD_API_ROOT, then start the bot again.\n`,
    );
  });

  /** An HTTP server on loopback that answers the first request it gets with `respond` (or never), and says when it came. */
  async function apiThat(respond: ((response: ServerResponse) => void) | undefined) {
    let arrived!: () => void;
    const firstRequest = new Promise<void>((resolve) => (arrived = resolve));
    const server = createHttpServer((_request, response) => {
      if (respond) respond(response);
      arrived();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const close = () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    };
    return { root, firstRequest, close };
  }

  for (const [what, respond] of [
    ['never answers', undefined],
    ['answers 500, so start-up pauses before retrying', (response: ServerResponse) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ok: false, error_code: 500, description: 'Internal Server Error' }));
    }],
  ] as const) {
    test(`Telegram: SIGTERM during start-up, while the Bot API ${what}, stops the bot`, async () => {
      const api = await apiThat(respond);
      try {
        const result = await runEntry('bots/main.ts', [], {
          environment: botEnvironment('telegram-hangs', { TELEGRAM_BOT_TOKEN: '123456:test-token', TELEGRAM_API_ROOT: api.root }),
          stopWhen: api.firstRequest,
        });
        // Not killed by the helper's last-resort SIGKILL (code null): the first SIGTERM ended it.
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout, '');
        assert.equal(result.stderr, '');
      } finally {
        await api.close();
      }
    });
  }

  test('Discord: SIGTERM during start-up, while the API never answers, stops the bot', async () => {
    const api = await apiThat(undefined);
    try {
      const result = await runEntry('bots/main.ts', [], {
        environment: botEnvironment('discord-hangs', { DISCORD_BOT_TOKEN: 'discord-test-token-0123456789', DISCORD_API_ROOT: `${api.root}/api` }),
        stopWhen: api.firstRequest,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
    } finally {
      await api.close();
    }
  });
});

/** A second process that opens the database with an exclusive lock, writes, and keeps it until its standard input closes. */
async function holdExclusiveLock(filePath: string): Promise<ChildProcess> {
  const code = `
    const Database = require('better-sqlite3');
    const db = new Database(${JSON.stringify(filePath)});
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS held (x); INSERT INTO held VALUES (1); COMMIT');
    process.stdout.write('holding\\n');
    process.stdin.resume();
    process.stdin.on('end', () => db.close());
  `;
  const child = spawn(process.execPath, ['-e', code], { cwd: REPOSITORY, stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => reject(new Error(`the lock holder exited with ${String(status)}`)));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (chunk.includes('holding')) resolve();
    });
  });
  return child;
}

describe('npm run bench options', () => {
  test('--help prints the options and the parts, and runs nothing', async () => {
    const result = await runEntry('bench/run.ts', ['--help']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: npm run bench/);
    assert.match(result.stdout, /--only PART/);
    for (const part of ['core', 'telegram', 'discord', 'decode', 'memory', 'openai', 'model', 'speech']) assert.match(result.stdout, new RegExp(`^  ${part} `, 'm'));
    assert.doesNotMatch(result.stdout, /Machine:/);
  });

  test('an unknown part or option is one line naming the parts, exit 2', async () => {
    const result = await runEntry('bench/run.ts', ['--only', 'decoding']);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, 'Unknown part "decoding". The parts are: core, telegram, discord, decode, memory, openai, reading, scheduler, model, speech, voice.\n');
  });
});
