import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, describe, test } from 'node:test';
import { createLogger, MediaError, ModelError, type FilePart, type GenerateRequest, type IncomingAudio } from '../core/index.js';
import { ScriptedSpeechModel } from '../core/models/testing/scripted-speech-model.js';
import { ScriptedVisionModel } from '../core/models/testing/scripted-vision-model.js';
import { imageOf, makeHarness, texts, type Harness } from './helpers/assistant-harness.js';
import { encodeOggOpus, encodeWav, voiceLike } from './helpers/audio.js';
import sharp from 'sharp';
import { solidJpeg } from './helpers/images.js';

async function widthOf(jpeg: Uint8Array): Promise<number | undefined> {
  return (await sharp(jpeg).metadata()).width;
}

let harness: Harness | undefined;
afterEach(() => harness?.close());

function imagesIn(request: GenerateRequest | undefined): FilePart[] {
  const last = request?.messages.at(-1);
  return (last?.content ?? []).filter((part): part is FilePart => part.type === 'file');
}

function textIn(request: GenerateRequest | undefined, role: 'system' | 'user'): string {
  return (request?.messages ?? [])
    .filter((message) => message.role === role)
    .map((message) => message.content.map((part) => (part.type === 'text' ? part.text : '')).join(''))
    .join('\n');
}

async function voiceNote(seconds: number, seed = 1): Promise<Uint8Array> {
  return encodeOggOpus(voiceLike(seconds, 48_000, seed), 48_000);
}

function audioOf(bytes: Uint8Array, extra: Partial<IncomingAudio> = {}): IncomingAudio & { fetches: () => number } {
  let fetches = 0;
  return {
    fetch: async () => {
      fetches += 1;
      return bytes;
    },
    mediaType: 'audio/ogg',
    fetches: () => fetches,
    ...extra,
  };
}

describe('a voice question', () => {
  test('is decoded, transcribed and answered; the transcript reaches the model as untrusted and is stored as spoken', async () => {
    const model = new ScriptedVisionModel({ chunks: ['It is dark outside.'] });
    const speech = new ScriptedSpeechModel({ text: 'Is it dark outside?' });
    harness = makeHarness(model, { speech });
    const parts = await harness.send({ audio: [audioOf(await voiceNote(3), { durationSeconds: 3 })] });

    assert.deepEqual(texts(parts), ['It is dark outside.']);
    const samples = speech.requests[0]!.samples;
    assert.ok(Math.abs(samples.length / 16_000 - 3) < 0.05, `decoded ${samples.length / 16_000} s of a 3 s note`);
    assert.equal(speech.requests[0]!.language, undefined, 'no language pinned: the model detects it');
    assert.match(textIn(model.requests[0], 'user'), /Untrusted voice transcript of the question: «Is it dark outside\?»/);
    const user = harness.store.findUser({ platform: 'test', platformUserId: 'alice' })!;
    const stored = harness.store.exportUser(user.id);
    const turn = stored?.conversations[0]?.turns[0];
    assert.equal(turn?.question, 'Is it dark outside?');
    assert.equal(turn?.questionSource, 'voice');
  });

  test('a transcript that sounds like a command is a question, never a command', async () => {
    const model = new ScriptedVisionModel({ chunks: ['I cannot do that.'] });
    harness = makeHarness(model, { speech: new ScriptedSpeechModel({ text: '/forget' }) });
    await harness.send({ text: '/settings length short' });
    assert.deepEqual(texts(await harness.send({ audio: [audioOf(await voiceNote(1.5))] })), ['I cannot do that.']);
    const user = harness.store.findUser({ platform: 'test', platformUserId: 'alice' });
    assert.equal(harness.store.getSettings(user!.id).replyLength, 'short', 'nothing was forgotten');
  });

  test('a photo with a voice note is one answer about that photo', async () => {
    const model = new ScriptedVisionModel({ chunks: ['The label says milk.'] });
    harness = makeHarness(model, { speech: new ScriptedSpeechModel({ text: 'Read this label.' }) });
    const parts = await harness.send({ images: [imageOf(await solidJpeg(64, 48))], audio: [audioOf(await voiceNote(2))] });
    assert.deepEqual(texts(parts), ['The label says milk.']);
    assert.equal(model.requests.length, 1);
    assert.equal(imagesIn(model.requests[0]).length, 1);
    assert.match(textIn(model.requests[0], 'user'), /«Read this label\.»/);
  });

  test('a voice note after a photo is a question about that photo', async () => {
    const model = new ScriptedVisionModel([{ chunks: ['A can of soup.'] }, { chunks: ['It expires in May.'] }]);
    harness = makeHarness(model, { speech: new ScriptedSpeechModel({ text: 'When does it expire?' }) });
    await harness.send({ images: [imageOf(await solidJpeg(64, 48))] });
    assert.deepEqual(texts(await harness.send({ audio: [audioOf(await voiceNote(2))] })), ['It expires in May.']);
    assert.equal(imagesIn(model.requests[1]).length, 1, 'the stored photo went with the voice question');
  });

  test('a voice note replying to an earlier photo is about that photo, not the latest one', async () => {
    const model = new ScriptedVisionModel({ chunks: ['OK.'] });
    harness = makeHarness(model, { speech: new ScriptedSpeechModel({ text: 'What colour was this one?' }) });
    const red = await solidJpeg(40, 30, { r: 200, g: 0, b: 0 });
    const blue = await solidJpeg(50, 30, { r: 0, g: 0, b: 200 });
    await harness.send({ messageId: 'm1', images: [imageOf(red)] });
    await harness.send({ messageId: 'm2', images: [imageOf(blue)] });
    await harness.send({ messageId: 'm3', audio: [audioOf(await voiceNote(2))], replyTo: { messageId: 'm1' } });
    await harness.send({ messageId: 'm4', audio: [audioOf(await voiceNote(2))] });
    const [replied, latest] = [imagesIn(model.requests[2])[0]!, imagesIn(model.requests[3])[0]!];
    assert.deepEqual([await widthOf(replied.data), await widthOf(latest.data)], [40, 50]);
  });

  test('the pinned language goes to the speech model; otherwise the detected one sets the reply language', async () => {
    const model = new ScriptedVisionModel({ chunks: ['OK.'] });
    const speech = new ScriptedSpeechModel({ text: '这是什么？', language: 'zh' });
    harness = makeHarness(model, { speech });
    await harness.send({ text: '/settings echo on' });
    const detected = await harness.send({ audio: [audioOf(await voiceNote(2))] });
    assert.equal(speech.requests[0]!.language, undefined);
    assert.deepEqual(texts(detected), ['你问的是：这是什么？', 'OK.'], 'the echo is in the language heard');
    assert.match(textIn(model.requests[0], 'system'), /asked by voice in Chinese: reply in Chinese/);

    await harness.send({ text: '/settings language en' });
    await harness.send({ audio: [audioOf(await voiceNote(2))] });
    assert.equal(speech.requests[1]!.language, 'en');
    assert.match(textIn(model.requests[1], 'system'), /Always reply in English\./);
  });

  test('the echo is off by default and on after /settings echo on', async () => {
    const model = new ScriptedVisionModel({ chunks: ['Yes, the light is on.'] });
    harness = makeHarness(model, { speech: new ScriptedSpeechModel({ text: 'Is the light on?' }) });
    assert.deepEqual(texts(await harness.send({ audio: [audioOf(await voiceNote(2))] })), ['Yes, the light is on.']);
    const saved = texts(await harness.send({ text: '/settings echo on' }));
    assert.match(saved[0]!, /Voice echo is on/);
    const parts = await harness.send({ audio: [audioOf(await voiceNote(2))] });
    assert.deepEqual(
      parts.map((part) => [part.type, part.text]),
      [
        ['notice', 'You asked: Is the light on?'],
        ['answer', 'Yes, the light is on.'],
      ],
    );
    await harness.send({ text: '/settings echo off' });
    assert.deepEqual(texts(await harness.send({ audio: [audioOf(await voiceNote(2))] })), ['Yes, the light is on.']);
  });
});

describe('voice notes that cannot be answered', () => {
  test('a silent note, and a transcript with no words, are "I could not hear anything"', async () => {
    const model = new ScriptedVisionModel();
    const speech = new ScriptedSpeechModel({ text: '...' });
    harness = makeHarness(model, { speech });
    const silence = await encodeOggOpus(new Float32Array(48_000 * 2), 48_000);
    const heard = "I couldn't hear anything. Try again closer to the phone.";
    assert.deepEqual(texts(await harness.send({ audio: [audioOf(silence)] })), [heard]);
    assert.equal(speech.requests.length, 0, 'silence never reaches the speech model');
    assert.deepEqual(texts(await harness.send({ audio: [audioOf(await voiceNote(2))] })), [heard]);
    assert.equal(model.requests.length, 0);
  });

  test('empty, damaged, unknown-format and too-long notes get a message saying what to do', async () => {
    const model = new ScriptedVisionModel();
    const speech = new ScriptedSpeechModel();
    harness = makeHarness(model, { speech, voiceMaxSeconds: 3 });
    const note = await voiceNote(2);
    // The identification header survives (so it is still OGG/Opus); every page after it is garbage.
    const damaged = note.slice();
    damaged.fill(0x5a, 60);
    const png = await solidJpeg(8, 8);

    assert.deepEqual(texts(await harness.send({ audio: [audioOf(new Uint8Array())] })), ['That voice message is empty. Please record it again.']);
    assert.deepEqual(texts(await harness.send({ audio: [audioOf(damaged)] })), [
      'That voice message seems damaged, so I could not play it. Please record it again.',
    ]);
    assert.deepEqual(texts(await harness.send({ audio: [audioOf(png, { mediaType: 'audio/mp4' })] })), [
      'That is an image, not a voice message. Send a voice message, or an OGG, WAV or MP3 file.',
    ]);
    const m4a = new Uint8Array([0, 0, 0, 0x20, ...new TextEncoder().encode('ftypM4A '), ...new Uint8Array(24)]);
    assert.deepEqual(texts(await harness.send({ audio: [audioOf(m4a, { mediaType: 'audio/mp4' })] })), [
      'I cannot play M4A audio. Send a voice message, or an OGG, WAV or MP3 file.',
    ]);

    const stated = audioOf(note, { durationSeconds: 200 });
    assert.deepEqual(texts(await harness.send({ audio: [stated] })), [
      'That voice message is 3 minutes 20 seconds; I can listen to at most 3 seconds. Please ask in a shorter message.',
    ]);
    assert.equal(stated.fetches(), 0, 'a note the platform says is too long is not even downloaded');
    const unstated = await harness.send({ audio: [audioOf(encodeWav(voiceLike(5, 16_000, 3), 16_000))] });
    assert.match(unstated[0]!.text, /^That voice message is 5 seconds; I can listen to at most 3 seconds\./);
    assert.equal(speech.requests.length, 0);
    assert.equal(model.requests.length, 0);
  });

  test('a failed download, a failing speech model and a cancelled turn', async () => {
    const model = new ScriptedVisionModel();
    const failing = new ScriptedSpeechModel({ text: '', failWith: new ModelError('failed', 'boom') });
    harness = makeHarness(model, { speech: failing });
    const lost = {
      fetch: async (): Promise<Uint8Array> => {
        throw new MediaError('download-failed', 'gone');
      },
    };
    assert.deepEqual(texts(await harness.send({ audio: [lost] })), ['I could not download that voice message. Please send it again.']);
    assert.deepEqual(texts(await harness.send({ audio: [audioOf(await voiceNote(2))] })), [
      'Sorry, I could not make out that voice message. Please try again, or type your question.',
    ]);
    harness.close();

    harness = makeHarness(model, { speech: new ScriptedSpeechModel({ text: 'hello', delayMs: 2000 }) });
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    const parts = await harness.send({ eventId: 'voice-1', audio: [audioOf(await voiceNote(2))] }, 4096, stop.signal);
    assert.deepEqual(parts, [], 'a cancelled turn says nothing');
    assert.equal(harness.store.isEventProcessed({ platform: 'test', eventId: 'voice-1' }), false, 'so its redelivery is answered');
    assert.equal(model.requests.length, 0);
  });

  test('without a speech model the user is told to type, and the log says what to install, without the content', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    harness = makeHarness(new ScriptedVisionModel(), { logger: createLogger({ level: 'info', destination }) });
    const parts = await harness.send({ audio: [audioOf(await voiceNote(2))] });
    assert.deepEqual(texts(parts), [
      'Voice questions are not set up on this server, so I cannot listen to voice messages. Please type your question instead.',
    ]);
    assert.match(lines.join(''), /npm run models -- pull whisper-base/);
  });
});
