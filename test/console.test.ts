import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConsoleLine } from '../adapters/console/index.js';
import { encodeOggOpus, voiceLike } from './helpers/audio.js';
import { solidJpeg } from './helpers/images.js';
import { runEntry } from './helpers/run-cli.js';
import { makeTempFolder } from './helpers/temp-folder.js';

const folder = makeTempFolder();
let photo: string;
let note: string;
// MODELS_DIR points at an empty folder so a model a developer has pulled into ./models changes nothing here.
const environment = (name: string): Record<string, string> => ({
  DATA_DIR: join(folder.path, name),
  MODELS_DIR: join(folder.path, 'no-models'),
});

before(async () => {
  photo = join(folder.path, 'bottle photo.jpg');
  writeFileSync(photo, await solidJpeg(2400, 1600));
  writeFileSync(join(folder.path, 'notes.jpg'), 'shopping list: milk, eggs');
  note = join(folder.path, 'question.ogg');
  writeFileSync(note, encodeOggOpus(voiceLike(2, 48_000, 4), 48_000));
});
after(() => folder.remove());

describe('one-shot describe', () => {
  test('prints the answer, gist first, and exits 0', async () => {
    const result = await runEntry('test/fixtures/scripted-cli.ts', ['describe', photo, 'is the bottle open?'], {
      environment: environment('one-shot'),
    });
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^Photos seen: 1 \(\d+ bytes\)\.\nYou asked: is the bottle open\?\n$/);
  });

  test('each one-shot is its own conversation: the second is sent without the first, and both are closed', async () => {
    const run = (question: string) =>
      runEntry('test/fixtures/scripted-cli.ts', ['describe', photo, question], {
        environment: { ...environment('one-shots'), SCRIPTED_SHOW_HISTORY: '1' },
      });
    // An interactive conversation first: a one-shot does not continue it either.
    const chat = await runEntry('test/fixtures/scripted-cli.ts', [], {
      input: `"${photo}" is the bottle open?\nquit\n`,
      environment: { ...environment('one-shots'), SCRIPTED_SHOW_HISTORY: '1' },
    });
    assert.equal(chat.code, 0, chat.stderr);
    for (const question of ['is the bottle open?', 'what brand is the cap?']) {
      const result = await run(question);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(result.stdout.startsWith('Earlier questions: 0.\n') && result.stdout.endsWith(`You asked: ${question}\n`), result.stdout);
    }
    // Closed, the one-shots' conversations are history the retention sweep deletes like any other.
    const database = new Database(join(folder.path, 'one-shots', 'seed.sqlite'), { readonly: true });
    try {
      const rows = database.prepare('SELECT chat_id, closed_at FROM conversations ORDER BY id').all() as Array<{ chat_id: string; closed_at: number | null }>;
      assert.equal(rows.length, 3);
      assert.equal(rows[0]!.chat_id, 'console');
      assert.ok(rows.slice(1).every((row) => row.chat_id !== 'console' && row.closed_at !== null), JSON.stringify(rows));
    } finally {
      database.close();
    }
  });

  test('a file that is not an image: the kind message on standard error, exit 1, no stack trace', async () => {
    const result = await runEntry('test/fixtures/scripted-cli.ts', ['describe', join(folder.path, 'notes.jpg')], {
      environment: environment('not-image'),
    });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, 'That photo does not look like an image. Send a JPEG, PNG or WebP photo.\n');
  });

  test('a path that does not exist', async () => {
    const result = await runEntry('test/fixtures/scripted-cli.ts', ['describe', join(folder.path, 'nope.jpg'), 'what?'], {
      environment: environment('missing'),
    });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'I could not find that file. Check the path and try again.\n');
  });

  test('without a model, the real entry point gives the command that installs it, in one line', async () => {
    const result = await runEntry('bots/main.ts', ['describe', photo, 'what is it?'], { environment: environment('no-model') });
    assert.equal(result.code, 3);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.equal(result.stderr, 'The vision model smolvlm-256m is not installed. Run: npm run models -- pull smolvlm-256m\n');
  });

  test('an invalid setting stops start-up with one line naming it', async () => {
    const result = await runEntry('bots/main.ts', ['describe', photo], {
      environment: { ...environment('bad-config'), VLM_DEVICE: 'gpu', VLM_API_KEY: 'sk-secret-value' },
    });
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'Configuration: VLM_DEVICE is "gpu"; expected one of cpu, cuda, auto. Set it in .env or the environment (see .env.example).\n');
  });

  test('an unknown command prints the usage', async () => {
    const result = await runEntry('bots/main.ts', ['paint'], { environment: environment('usage') });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^Unknown command "paint"\. Usage: npm start/);
  });
});

describe('console lines', () => {
  test('a photo path, an audio path, both, or neither', () => {
    const here = folder.path;
    assert.deepEqual(parseConsoleLine('photo.jpg is it open?', here), { imagePath: join(here, 'photo.jpg'), text: 'is it open?' });
    assert.deepEqual(parseConsoleLine('note.ogg', here), { audioPath: join(here, 'note.ogg'), text: '' });
    assert.deepEqual(parseConsoleLine('photo.jpg note.ogg', here), {
      imagePath: join(here, 'photo.jpg'),
      audioPath: join(here, 'note.ogg'),
      text: '',
    });
    assert.deepEqual(parseConsoleLine(`"${note}" and this`, here), { audioPath: note, text: 'and this' });
    assert.deepEqual(parseConsoleLine('note.ogg photo.jpg', here), { imagePath: join(here, 'photo.jpg'), audioPath: join(here, 'note.ogg'), text: '' });
    assert.deepEqual(parseConsoleLine('a.ogg b.ogg', here), { audioPath: join(here, 'a.ogg'), text: 'b.ogg' });
    assert.deepEqual(parseConsoleLine('what is in the song.mp3 file?', here), { text: 'what is in the song.mp3 file?' });
    assert.deepEqual(parseConsoleLine('/settings echo on', here), { text: '/settings echo on' });
  });

  test('dragged-in paths: backslash-escaped or quoted; a path that looks like one is taken as a path', () => {
    const here = folder.path;
    const escaped = photo.replace(/ /g, '\\ ');
    assert.deepEqual(parseConsoleLine(`${escaped} is it open?`, here), { imagePath: photo, text: 'is it open?' });
    // macOS Terminal adds a space after a dropped path.
    assert.deepEqual(parseConsoleLine(`${escaped} `, here), { imagePath: photo, text: '' });
    assert.deepEqual(parseConsoleLine(`'${photo}' what is this`, here), { imagePath: photo, text: 'what is this' });
    assert.deepEqual(parseConsoleLine(`"${photo}"`, here), { imagePath: photo, text: '' });
    assert.deepEqual(parseConsoleLine('my\\ photo.jpg what is it', here), { imagePath: join(here, 'my photo.jpg'), text: 'what is it' });
    assert.deepEqual(parseConsoleLine("it\\'s\\ \\(1\\).png", here), { imagePath: join(here, "it's (1).png"), text: '' });
    assert.deepEqual(parseConsoleLine('my\\ scan read it', here), { imagePath: join(here, 'my scan'), text: 'read it' });
    assert.deepEqual(parseConsoleLine('~/Pictures/IMG_0001 what is it', here), {
      imagePath: join(homedir(), 'Pictures/IMG_0001'),
      text: 'what is it',
    });
    assert.deepEqual(parseConsoleLine('./scan-1 read it', here), { imagePath: join(here, 'scan-1'), text: 'read it' });
    assert.deepEqual(parseConsoleLine('/home/someone/scan what is it', here), { imagePath: '/home/someone/scan', text: 'what is it' });
    assert.deepEqual(parseConsoleLine(`${join(here, 'dragged voice.ogg').replace(/ /g, '\\ ')}`, here), {
      audioPath: join(here, 'dragged voice.ogg'),
      text: '',
    });
    // Questions stay questions.
    assert.deepEqual(parseConsoleLine('/new', here), { text: '/new' });
    assert.deepEqual(parseConsoleLine('is this and/or that safe?', here), { text: 'is this and/or that safe?' });
    assert.deepEqual(parseConsoleLine('what does C:\\Users mean', here), { text: 'what does C:\\Users mean' });
  });

  test('in a conversation, an escaped path is the new photo, and a missing one is said, not answered about the last photo', async () => {
    const input = [`${photo.replace(/ /g, '\\ ')} is the bottle open?`, 'my\\ missing\\ photo.jpg what is this?', '~/no/such/scan what is it?', 'quit'].join(
      '\n',
    );
    const result = await runEntry('test/fixtures/scripted-cli.ts', [], { input, environment: environment('escaped') });
    assert.equal(result.code, 0, result.stderr);
    const out = result.stdout;
    assert.match(out, /Photos seen: 1 \(\d+ bytes\)\.\nYou asked: is the bottle open\?/);
    assert.equal(out.match(/I could not find that file\. Check the path and try again\./g)?.length, 2, out);
    assert.doesNotMatch(out, /You asked: what is (this|it)\?/);
  });
});

describe('interactive console', () => {
  test('photo, follow-up, commands and bad paths in one session', async () => {
    const input = [
      '/help',
      `"${photo}" is the bottle open?`,
      'what brand is the cap?',
      'missing-photo.jpg what is this?',
      `"${note}"`,
      `"${photo}" "${note}"`,
      'missing-note.ogg',
      '/mydata',
      '/forget',
      '/mydata',
      'quit',
      'this line is never read',
    ].join('\n');
    const result = await runEntry('test/fixtures/scripted-cli.ts', [], { input, environment: environment('interactive') });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const out = result.stdout;
    const expectations = [
      /^Seed assistant\. Type a question, or the path of a photo/,
      /Commands: \/new starts a fresh conversation/,
      /Photos seen: 1 \(\d+ bytes\)\.\nYou asked: is the bottle open\?/,
      // The follow-up is answered about the same stored photo.
      /Photos seen: 1 \(\d+ bytes\)\.\nYou asked: what brand is the cap\?/,
      /I could not find that file\. Check the path and try again\./,
      // A voice note alone is a follow-up about the stored photo; with a photo it is about that one.
      /Photos seen: 1 \(\d+ bytes\)\.\nYou asked: Untrusted voice transcript of the question: «Is it open, 2\.0 seconds\?»/,
      /Photos seen: 1 \(\d+ bytes\)\.\nYou asked: Untrusted voice transcript of the question: «Is it open, 2\.0 seconds\?»/,
      /I could not find that audio file\. Check the path and try again\./,
      /You asked: is the bottle open\?\nI answered: Photos seen: 1/,
      /You said: Is it open, 2\.0 seconds\?/,
      /Done\. I deleted everything I stored about you: 1 conversation, 4 questions with their answers, 2 photos, and your settings\./,
      /I have nothing stored about you\./,
    ];
    let position = 0;
    for (const expected of expectations) {
      const match = expected.exec(out.slice(position));
      assert.ok(match, `expected ${expected} after position ${position} in:\n${out}`);
      position += match.index + match[0].length;
    }
    assert.doesNotMatch(out, /never read/);
  });

  test('without a model, the console opens, says what to set up, and commands still work', async () => {
    const result = await runEntry('bots/main.ts', [], {
      input: '/settings\nwhat is this?\n',
      environment: environment('no-model-console'),
    });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n');
    assert.equal(lines[1], 'The vision model smolvlm-256m is not installed. Run: npm run models -- pull smolvlm-256m');
    assert.match(result.stdout, /Reply length is normal\./);
    assert.match(result.stdout, /No vision model is set up on this server yet/);
  });
});

describe('choosing what npm start runs', () => {
  test('`console` opens the console even when a bot token is set', async () => {
    const result = await runEntry('bots/main.ts', ['console'], {
      input: '/help\n',
      environment: { ...environment('forced-console'), TELEGRAM_BOT_TOKEN: '123456:ABC-not-used' },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Seed assistant\./);
    assert.match(result.stdout, /Commands: \/new/);
  });
});
