import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase, Store, type UserRecord } from '../storage/index.js';
import { makeTempFolder } from './helpers/temp-folder.js';

/*
 * The background checkpointer (Store option `backgroundCheckpoints`) copies the write-ahead log
 * into the database file from a worker thread. These tests read the real files: the log must stay
 * bounded by the worker alone (the main connection's own threshold is set out of reach), deleted
 * data must still be wiped from the files with the worker running, and closing must leave no log.
 */

const folder = makeTempFolder();
after(() => folder.remove());
let fileCount = 0;

/** Pages of 4 KB; a frame in the log is a page plus a 24-byte header. */
const PAGE = 4096;
const FRAME = PAGE + 24;

function openStore(options: { minPages: number; fallbackPages: number }): { store: Store; filePath: string; user: UserRecord; conversationId: number } {
  const filePath = path.join(folder.path, `checkpoint-${++fileCount}.sqlite`);
  const store = new Store(openDatabase(filePath), { backgroundCheckpoints: { intervalMs: 5, ...options } });
  const user = store.ensureUser({ platform: 'telegram', platformUserId: '5' });
  const conversationId = store.currentConversation(user.id, 'chat').id;
  return { store, filePath, user, conversationId };
}

/** One turn with a photo of about `pages` pages, answered: the writes of a real turn. */
function writeTurn(store: Store, user: UserRecord, conversationId: number, label: string, pages: number): void {
  const { turn } = store.beginTurn({
    conversationId,
    userId: user.id,
    question: `question ${label}`,
    questionSource: 'text',
    media: [{ mediaType: 'image/jpeg', width: 64, height: 64, data: Buffer.alloc(pages * PAGE, label) }],
    mediaRetentionMs: 60_000,
  });
  store.completeTurn(turn.id, `answer ${label}`);
}

const walBytes = (filePath: string): number => (fs.existsSync(`${filePath}-wal`) ? fs.statSync(`${filePath}-wal`).size : 0);

/** Waits for the worker; a worker that never checkpoints fails the test after 30 s instead of hanging it. */
async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 30_000) assert.fail('the background checkpointer did not checkpoint');
    await sleep(5);
  }
}

test('without the option there is no worker and SQLite checkpoints by itself', () => {
  const filePath = path.join(folder.path, `plain-${++fileCount}.sqlite`);
  const db = openDatabase(filePath);
  const store = new Store(db);
  try {
    assert.equal(store.backgroundCheckpoints, undefined);
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000);
  } finally {
    store.close();
  }
});

test('the worker keeps the log bounded while the main connection never checkpoints', async () => {
  // The main connection's own threshold is far above what is written, so only the worker can
  // bring the log back: 40 turns of 50 pages are 2,000 pages. The log file keeps its largest size
  // (SQLite overwrites it from the start after a checkpoint), which is the schema's pages and a few
  // turns written before a checkpoint lands (about 190 frames when measured).
  const { store, filePath, user, conversationId } = openStore({ minPages: 100, fallbackPages: 1_000_000 });
  try {
    let largest = 0;
    for (let index = 0; index < 40; index += 1) {
      const before = store.backgroundCheckpoints!;
      writeTurn(store, user, conversationId, `t${index}`, 50);
      largest = Math.max(largest, walBytes(filePath));
      // Every other turn crosses the worker's threshold: wait for it, as a quiet process would.
      if (index % 2 === 1) await until(() => store.backgroundCheckpoints! > before);
    }
    assert.ok(store.backgroundCheckpoints! >= 20, `the worker checkpointed ${store.backgroundCheckpoints} times`);
    assert.ok(largest < 400 * FRAME, `the log reached ${largest} bytes, more than 400 frames`);
    // Everything written is in the main file: a fresh reader of the file alone would see it.
    assert.equal(store.recentTurns(conversationId, 100).length, 40);
  } finally {
    store.close();
  }
});

test('the main connection still checkpoints at its fallback threshold when the worker falls behind', () => {
  // The worker's threshold is out of reach, so the main connection's own (60 pages) bounds the log.
  const { store, filePath, user, conversationId } = openStore({ minPages: 1_000_000, fallbackPages: 60 });
  try {
    let largest = 0;
    for (let index = 0; index < 40; index += 1) {
      writeTurn(store, user, conversationId, `f${index}`, 20);
      largest = Math.max(largest, walBytes(filePath));
    }
    assert.equal(store.backgroundCheckpoints, 0);
    assert.ok(largest < 100 * FRAME, `the log reached ${largest} bytes with a fallback of 60 pages`);
  } finally {
    store.close();
  }
});

test('forget-me still wipes the log to zero bytes with the worker running, and closing removes the log', async () => {
  const { store, filePath, user, conversationId } = openStore({ minPages: 10, fallbackPages: 1_000_000 });
  for (let index = 0; index < 20; index += 1) writeTurn(store, user, conversationId, `secret${index}`, 5);
  // Forget while the worker is busy or idle alike: the wipe waits for a checkpoint in progress.
  const result = store.forgetUser(user.id);
  assert.equal(result.wipedFromDisk, true);
  assert.equal(walBytes(filePath), 0);
  for (const file of [filePath, `${filePath}-wal`].filter((name) => fs.existsSync(name))) {
    assert.equal(fs.readFileSync(file).includes(Buffer.from('question secret')), false, `${file} still holds a deleted question`);
  }
  store.close();
  // The worker's connection closed first, so the main one was the last and removed the log.
  assert.equal(fs.existsSync(`${filePath}-wal`), false);
  await sleep(0);
});
