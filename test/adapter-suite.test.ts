import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { messagesFor, ModelError, type FilePart, type GenerateRequest } from '../core/index.js';
import { ScriptedSpeechModel } from '../core/models/testing/scripted-speech-model.js';
import { ScriptedVisionModel } from '../core/models/testing/scripted-vision-model.js';
import { encodeOggOpus, voiceLike } from './helpers/audio.js';
import { solidJpeg } from './helpers/images.js';
import { PLATFORM_DRIVERS, type Capability, type PlatformDriver } from './helpers/platform-drivers.js';

/**
 * The scenarios every platform must handle the same way, written once and run against Telegram,
 * Discord, the console and the in-memory example platform. Each reply is compared as the person
 * hears it, in order. What only one platform has (typing, reply threading in groups, webhooks,
 * DM fallback, interactions, 429s, private answers to personal commands) stays in its own tests.
 */

const english = messagesFor('en');
/** The sentence the describing model repeats for a long answer (test/helpers/telegram-harness.ts). */
const SHELF = 'The shelf on the left holds tins of tomatoes priced at 1.25 euros each, next to the pasta.';

/** The transcript names the length the core decoded, so the answer proves the real audio arrived. */
function speechModel(): ScriptedSpeechModel {
  return new ScriptedSpeechModel((request) => ({ text: `Is the light on, ${(request.samples.length / 16_000).toFixed(1)} s?` }));
}

function imagesSeen(request: GenerateRequest | undefined): number {
  return (request?.messages.at(-1)?.content ?? []).filter((part): part is FilePart => part.type === 'file').length;
}

for (const [platform, start] of Object.entries(PLATFORM_DRIVERS)) {
  describe(`${platform}: the shared adapter scenarios`, () => {
    let driver: PlatformDriver;
    let photo: Uint8Array;
    before(async () => {
      driver = await start({ speech: speechModel() });
      photo = await solidJpeg(800, 600);
    });
    after(() => driver.close());

    /** Skips, printing the platform's reason, a scenario it cannot take part in. */
    function unable(t: TestContext, capability: Capability): boolean {
      const reason = driver.cannot[capability];
      if (reason) t.skip(reason);
      return reason !== undefined;
    }

    test('a photo with a question is answered, gist first, then the detail', async () => {
      const chat = await driver.newChat();
      await chat.sendPhotos([photo], 'is the door open?');
      assert.deepEqual(await chat.answers(2), ['I see 1 photos.', 'You asked: is the door open?']);
      assert.equal(imagesSeen(driver.model.lastRequest), 1);
    });

    test('several photos in one message get one answer about all of them', async (t) => {
      if (unable(t, 'severalPhotos')) return;
      const chat = await driver.newChat();
      const asked = driver.model.requests.length;
      await chat.sendPhotos([photo, photo, photo], 'what are these?');
      assert.deepEqual(await chat.answers(2), ['I see 3 photos.', 'You asked: what are these?']);
      assert.equal(driver.model.requests.length, asked + 1);
    });

    test('a reply to an earlier answer continues with its photo, even after /new', async (t) => {
      if (unable(t, 'replyTo')) return;
      const chat = await driver.newChat();
      await chat.sendPhotos([photo], 'what is it?');
      await chat.answers(2);
      await chat.command('new');
      assert.equal((await chat.answers(3))[2], english.newConversation);
      await chat.replyToAnswer(0, 'and the colour?');
      // After /new a plain question has no photo: "I see 1 photos." proves the reply brought it back.
      assert.deepEqual((await chat.answers(5)).slice(3), ['I see 1 photos.', 'You asked: and the colour?']);
      assert.equal(imagesSeen(driver.model.lastRequest), 1);
    });

    test('/help, /settings, /mydata and /forget give the same texts on every platform', async () => {
      const chat = await driver.newChat();
      await chat.sendPhotos([photo], 'is the door open?');
      await chat.answers(2);
      await chat.command('help');
      assert.equal((await chat.answers(3))[2], english.help);
      await chat.command('settings');
      assert.match((await chat.answers(4))[3]!, /^Reply length is normal\..* To change them, send \/settings length short, normal or detailed;/);
      await chat.command('settings', 'length short');
      assert.match((await chat.answers(5))[4]!, /^Saved\. Reply length is short\./);
      await chat.command('mydata');
      const myData = (await chat.answers(6))[5]!;
      assert.match(myData, /^This is everything I have stored about you\.\n/);
      assert.match(myData, new RegExp(`\\nYour account: ${platform} user \\S+, first seen \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\.\\n`));
      assert.match(myData, /\nSettings: reply length short, /);
      assert.match(myData, /\n1 conversation, 1 question, 1 stored photo\.\n/);
      assert.match(myData, /\nYou asked: is the door open\?\nI answered: I see 1 photos\. You asked: is the door open\?\n/);
      await chat.command('forget');
      assert.equal(
        (await chat.answers(7))[6],
        'Done. I deleted everything I stored about you: 1 conversation, 1 question with their answers, 1 photo, and your settings.',
      );
      await chat.command('mydata');
      assert.deepEqual((await chat.answers(8)).slice(7), ['I have nothing stored about you.']);
    });

    test('a voice note is decoded and answered; after a photo it is a question about that photo', async () => {
      const chat = await driver.newChat();
      const note = encodeOggOpus(voiceLike(3, 48_000, 7), 48_000);
      await chat.sendVoice(note, 3);
      const heard = 'You asked: Untrusted voice transcript of the question: «Is the light on, 3.0 s?»';
      assert.deepEqual(await chat.answers(2), ['I see 0 photos.', heard]);
      await chat.sendPhotos([photo], 'what is this?');
      await chat.answers(4);
      await chat.sendVoice(note, 3);
      assert.deepEqual((await chat.answers(6)).slice(4), ['I see 1 photos.', heard]);
    });

    test('a PDF gets one kind sentence saying what works, and no model call', async () => {
      const chat = await driver.newChat();
      const asked = driver.model.requests.length;
      await chat.sendUnsupported();
      const replies = await chat.answers(1);
      assert.equal(replies.length, 1, JSON.stringify(replies));
      assert.match(replies[0]!, /^I cannot (use|open) [^.]+(; photos and image files work)?\. Send (me )?a (JPEG, PNG or WebP )?photo/);
      assert.equal(driver.model.requests.length, asked);
    });

    test('a message delivered twice gets one answer', async (t) => {
      if (unable(t, 'redelivery')) return;
      const chat = await driver.newChat();
      const asked = driver.model.requests.length;
      await chat.sendText('hello');
      await chat.answers(2);
      await chat.redeliverLast();
      await chat.sendText('and again');
      assert.deepEqual(await chat.answers(4), ['I see 0 photos.', 'You asked: hello', 'I see 0 photos.', 'You asked: and again']);
      assert.equal(driver.model.requests.length, asked + 2);
    });

    test('a long answer comes in parts under the platform limit, each ending a sentence, nothing lost', async () => {
      const chat = await driver.newChat();
      await chat.sendText('a long one please');
      const parts = await chat.answers(3);
      assert.equal(parts[0], 'A long answer.');
      for (const part of parts) {
        assert.ok(part.length <= driver.messageLimit, `a part of ${part.length} characters`);
        assert.match(part, /\.$/);
      }
      assert.equal(parts.join(' '), ['A long answer.', ...Array<string>(90).fill(SHELF)].join(' '));
    });

    test('a model failing mid-answer: the gist, then a kind "stopped partway" message', async () => {
      const failing = new ScriptedVisionModel({ chunks: ['A door. ', 'It is half'], failWith: new ModelError('failed', 'decoder crashed') });
      const failingDriver = await start({ model: failing });
      try {
        const chat = await failingDriver.newChat();
        await chat.sendPhotos([photo], 'is the door open?');
        assert.deepEqual(await chat.answers(2), [
          'A door.',
          'Sorry, I stopped partway through that answer, so it may be incomplete. Ask again if you need the rest.',
        ]);
        assert.equal(failing.requests.length, 1);
      } finally {
        await failingDriver.close();
      }
    });
  });
}
