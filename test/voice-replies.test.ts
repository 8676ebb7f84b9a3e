/**
 * Voice replies through the core: which answers are spoken (same mode back, the person's setting),
 * what is spoken (the gist and first paragraph, then "the rest is in the text"), and that the text
 * always goes first. The voice is real espeak-ng and the note is real Ogg/Opus, decoded back by the
 * project's own decoder; a recording double stands in only where a test needs to see the exact
 * words handed to the voice or a voice that fails.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  loadEspeakVoice,
  ModelError,
  speechLanguage,
  spokenPart,
  VoiceReplies,
  wantsVoiceReply,
  type ReplyPart,
  type SpeechSynthesizer,
  type SynthesizeRequest,
} from '../core/index.js';
import { decodeAudio } from '../core/audio/index.js';
import { ScriptedSpeechModel } from '../core/models/testing/scripted-speech-model.js';
import { ScriptedVisionModel } from '../core/models/testing/scripted-vision-model.js';
import { makeHarness, type Harness } from './helpers/assistant-harness.js';
import { encodeOggOpus, voiceLike } from './helpers/audio.js';
import { startDiscordHarness } from './helpers/discord-harness.js';
import { discordUser } from './helpers/fake-discord.js';
import { privateChat, telegramUser } from './helpers/fake-telegram.js';
import { startTelegramHarness } from './helpers/telegram-harness.js';

const REST = 'The rest of the answer is in the text.';

/** Hands the words on to a real voice, and keeps them, so a test can see what was spoken. */
class RecordingVoice implements SpeechSynthesizer {
  readonly id = 'recording';
  readonly requests: SynthesizeRequest[] = [];
  constructor(
    private readonly voice: SpeechSynthesizer,
    private readonly failWith?: Error,
  ) {}
  speaks(language: string): boolean {
    return this.voice.speaks(language);
  }
  async synthesize(request: SynthesizeRequest) {
    this.requests.push(request);
    if (this.failWith) throw this.failWith;
    return this.voice.synthesize(request);
  }
}

function voicePart(parts: readonly ReplyPart[]): Extract<ReplyPart, { type: 'voice' }> | undefined {
  return parts.find((part): part is Extract<ReplyPart, { type: 'voice' }> => part.type === 'voice');
}

const voiceNote = (): { fetch(): Promise<Uint8Array>; mediaType: string } => {
  const note = encodeOggOpus(voiceLike(2, 48_000, 3), 48_000);
  return { fetch: async () => note, mediaType: 'audio/ogg' };
};

describe('what is spoken', () => {
  test('a short answer is spoken whole', () => {
    assert.equal(spokenPart('A red mug on a wooden table. It is half full.', 600, REST, 'en'), 'A red mug on a wooden table. It is half full.');
  });

  test('the gist and the first paragraph, then the listener hears that the rest is in the text', () => {
    const answer = 'A kitchen counter.\n\nOn the left, a kettle. On the right, a toaster.\n\nBehind them, a window with the blind down.';
    assert.equal(spokenPart(answer, 600, REST, 'en'), `A kitchen counter. On the left, a kettle. On the right, a toaster. ${REST}`);
    const gistInParagraph = 'A kitchen counter with a kettle. The kettle is on.\n\nBehind it, a window.';
    assert.equal(spokenPart(gistInParagraph, 600, REST, 'en'), `A kitchen counter with a kettle. The kettle is on. ${REST}`);
  });

  test('the cap cuts at a sentence, never inside a word or a number', () => {
    const answer = 'The label says 3.5 mg. Take one tablet twice a day with food. Do not exceed four tablets in 24 hours.';
    const spoken = spokenPart(answer, 70, REST, 'en');
    assert.equal(spoken, `The label says 3.5 mg. Take one tablet twice a day with food. ${REST}`);
    const oneLongSentence = 'Milk, eggs, flour, sugar, butter, salt, baking powder, vanilla, lemons, apples, cinnamon and nutmeg';
    const cut = spokenPart(oneLongSentence, 40, REST, 'en');
    assert.match(cut, /^Milk, eggs, flour, sugar, butter, salt, The rest/u);
  });

  test('the cap means about the same listening time in Chinese: a character counts as three letters', () => {
    const sentence = '这是一个很长的句子，用来测试语音回答的长度限制。';
    const spoken = spokenPart(sentence.repeat(10), 120, '其余的内容在文字回答里。', 'zh');
    assert.equal(spoken, `${sentence}其余的内容在文字回答里。`);
  });

  test('lines read from a label each get a pause; Chinese is joined without spaces', () => {
    assert.equal(spokenPart('ORGANIC MILK\n1 litre\nBest before 12 May', 600, REST, 'en'), 'ORGANIC MILK. 1 litre. Best before 12 May.');
    assert.equal(spokenPart('有机牛奶\n一升', 600, '其余的内容在文字回答里。', 'zh'), '有机牛奶。一升。');
  });

  test('Chinese text is spoken in Chinese even when replies are in English', () => {
    assert.equal(speechLanguage('有机牛奶 1 升', 'en'), 'zh');
    assert.equal(speechLanguage('Organic milk', 'zh'), 'en');
    assert.equal(speechLanguage('Leche entera', 'es'), 'es');
  });

  test('same mode back by default; always and off as the person chose', () => {
    assert.equal(wantsVoiceReply('spoken', 'voice'), true);
    assert.equal(wantsVoiceReply('spoken', 'text'), false);
    assert.equal(wantsVoiceReply('spoken', 'forwarded'), false);
    assert.equal(wantsVoiceReply('always', 'text'), true);
    assert.equal(wantsVoiceReply('off', 'voice'), false);
  });
});

describe('voice replies through the assistant', () => {
  let espeak: SpeechSynthesizer;
  let harness: Harness | undefined;

  before(async () => {
    const voice = loadEspeakVoice();
    await voice.warmUp?.();
    espeak = voice;
  });
  after(() => harness?.close());

  const model = (): ScriptedVisionModel =>
    new ScriptedVisionModel({ chunks: ['A blue front door with a brass handle. ', 'The door is closed.\n\n', 'To its left, a doormat.'] });

  function start(voice: SpeechSynthesizer, text = 'What is in front of me?'): Harness {
    harness?.close();
    harness = makeHarness(model(), { speech: new ScriptedSpeechModel({ text }), voiceReplies: new VoiceReplies({ synthesizer: voice, maxCharacters: 600 }) });
    return harness;
  }

  test('a voice question gets the text first, then the spoken gist and first paragraph as a real voice note', async () => {
    const recording = new RecordingVoice(espeak);
    const parts = await start(recording).sendWithVoice({ audio: [voiceNote()] });
    const last = parts.at(-1);
    assert.equal(last?.type, 'voice', 'the voice note comes after every text part');
    assert.ok(parts.slice(0, -1).some((part) => part.type === 'answer'));
    assert.equal(recording.requests.length, 1);
    assert.equal(recording.requests[0]!.language, 'en');
    assert.equal(recording.requests[0]!.text, `A blue front door with a brass handle. The door is closed. ${REST}`);
    const note = voicePart(parts)!.note;
    const decoded = await decodeAudio(note.data, { maxBytes: 10_000_000, maxSeconds: 120 }, 'audio/ogg');
    assert.ok(Math.abs(decoded.durationSeconds - note.durationSeconds) < 0.02, `${decoded.durationSeconds} vs ${note.durationSeconds}`);
    assert.ok(note.durationSeconds > 2 && note.durationSeconds < 15, `${note.durationSeconds} s`);
    assert.ok(note.waveform && note.waveform.length > 0 && note.waveform.length <= 256);
  });

  test('an answer cut at the model\'s limit never sounds whole: the note ends saying it stopped', async () => {
    const recording = new RecordingVoice(espeak);
    harness?.close();
    harness = makeHarness(new ScriptedVisionModel({ chunks: ['A shelf of tins: tomatoes, beans, soup and'], finishReason: 'length' }), {
      speech: new ScriptedSpeechModel({ text: 'What is on the shelf?' }),
      voiceReplies: new VoiceReplies({ synthesizer: recording, maxCharacters: 600 }),
    });
    const parts = await harness.sendWithVoice({ audio: [voiceNote()] });
    assert.ok(voicePart(parts));
    assert.match(recording.requests[0]!.text, / That is the start; send more for the rest\.$/u);
  });

  test('a typed question gets text only, unless the person chose always', async () => {
    const recording = new RecordingVoice(espeak);
    const typed = await start(recording).sendWithVoice({ text: 'What is in front of me?' });
    assert.equal(voicePart(typed), undefined);
    assert.equal(recording.requests.length, 0);

    const saved = await harness!.sendWithVoice({ text: '/settings speak always' });
    assert.match(saved[0]!.text, /Voice replies are always on/u);
    const spoken = await harness!.sendWithVoice({ text: 'And now?' });
    assert.ok(voicePart(spoken));

    await harness!.sendWithVoice({ text: '/settings voice replies off' });
    const off = await harness!.sendWithVoice({ audio: [voiceNote()] });
    assert.equal(voicePart(off), undefined);
    assert.ok(off.some((part) => part.type === 'answer'));
  });

  test('--speak asks for the voice whatever the setting; a platform without voice messages gets none', async () => {
    const recording = new RecordingVoice(espeak);
    const h = start(recording);
    await h.sendWithVoice({ text: '/settings speak off' });
    assert.ok(voicePart(await h.sendWithVoice({ text: 'Once more.' }, { alwaysSpeak: true })));
    await h.sendWithVoice({ text: '/settings speak voice' });
    const noVoiceMessages = await h.send({ audio: [voiceNote()] });
    assert.equal(voicePart(noVoiceMessages), undefined);
    assert.equal(recording.requests.length, 1);
  });

  test('a voice that fails costs one short note after the whole text answer; the turn is still answered', async () => {
    const failing = new RecordingVoice(espeak, new ModelError('failed', 'the voice broke'));
    const h = start(failing);
    const parts = await h.sendWithVoice({ audio: [voiceNote()] });
    assert.equal(voicePart(parts), undefined);
    assert.equal(parts.at(-1)?.type, 'notice');
    assert.equal(parts.at(-1)?.text, 'I could not make the voice message this time. The whole answer is in the text above.');
    const user = h.store.findUser({ platform: 'test', platformUserId: 'alice' })!;
    const [turn] = h.store.exportUser(user.id)!.conversations.flatMap((conversation) => conversation.turns);
    assert.equal(turn?.status, 'done');
  });

  test('/settings says when this server has no voice at all', async () => {
    harness?.close();
    harness = makeHarness(model());
    const parts = await harness.sendWithVoice({ text: '/settings speak always' });
    assert.match(parts[0]!.text, /This server cannot make voice messages at the moment/u);
  });
});

describe('voice replies on the platforms', () => {
  let espeak: SpeechSynthesizer;
  const closers: Array<() => Promise<void>> = [];

  before(async () => {
    const voice = loadEspeakVoice();
    await voice.warmUp?.();
    espeak = voice;
  });
  after(async () => {
    for (const close of closers.splice(0)) await close();
  });

  const voiceReplies = (): VoiceReplies => new VoiceReplies({ synthesizer: espeak, maxCharacters: 600 });

  test('Telegram: a voice question is answered in text, then with sendVoice and its whole-second duration; a typed one in text only', async () => {
    const harness = await startTelegramHarness({ speech: new ScriptedSpeechModel({ text: 'Is the door open?' }), voiceReplies: voiceReplies() });
    closers.push(() => harness.close());
    const person = telegramUser({ language_code: 'en' });
    const chat = privateChat(person);
    harness.telegram.sendVoice({ chat, from: person, bytes: encodeOggOpus(voiceLike(2, 48_000, 5), 48_000), duration: 2 });
    await harness.messages(3, chat.id);
    await harness.delivery.idle();
    const sent = harness.telegram.sentMessages(chat.id);
    const voices = sent.filter((message) => 'voice' in message && message.voice);
    assert.equal(voices.length, 1);
    assert.ok(sent.indexOf(voices[0]!) === sent.length - 1, 'the voice note comes after the text');
    assert.ok(sent.slice(0, -1).every((message) => 'text' in message && message.text));
    const voice = voices[0]!.voice!;
    const bytes = harness.telegram.fileBytes(voice.file_id)!;
    const decoded = await decodeAudio(bytes, { maxBytes: 10_000_000, maxSeconds: 120 }, 'audio/ogg');
    assert.equal(voice.duration, Math.max(1, Math.round(decoded.durationSeconds)));
    assert.ok(decoded.durationSeconds > 1);

    harness.telegram.sendText({ chat, from: person, text: 'And the window?' });
    await harness.messages(sent.length + 2, chat.id);
    await harness.delivery.idle();
    assert.equal(harness.telegram.sentMessages(chat.id).filter((message) => 'voice' in message && message.voice).length, 1);
  });

  test('Telegram: someone whose privacy settings refuse voice messages is told once, in text, after the answer', async () => {
    const harness = await startTelegramHarness({ speech: new ScriptedSpeechModel({ text: 'Is the door open?' }), voiceReplies: voiceReplies() });
    closers.push(() => harness.close());
    const person = telegramUser({ language_code: 'en' });
    const chat = privateChat(person);
    harness.telegram.forbidVoiceMessages(person.id);
    harness.telegram.sendVoice({ chat, from: person, bytes: encodeOggOpus(voiceLike(2, 48_000, 6), 48_000), duration: 2 });
    const texts = await harness.messages(3, chat.id);
    await harness.delivery.idle();
    assert.equal(texts.at(-1), 'I am not allowed to send you voice messages here, so the answer is in text only. Allow voice messages from me, or send /settings speak off to stop them.');
    assert.match(texts[0]!, /I see 0 photos/u);

    // Told once: the next voice question gets its answer and no second note about it.
    harness.telegram.sendVoice({ chat, from: person, bytes: encodeOggOpus(voiceLike(2, 48_000, 8), 48_000), duration: 2 });
    const again = await harness.messages(texts.length + 2, chat.id);
    await harness.delivery.idle();
    assert.equal(harness.telegram.sentMessages(chat.id).length, texts.length + 2);
    assert.match(again.at(-1)!, /You asked/u);
  });

  test('Discord: a voice message is answered in text, then with a real voice message (flag 8192, one audio/ogg part, duration and waveform)', async () => {
    const harness = await startDiscordHarness({ speech: new ScriptedSpeechModel({ text: 'Is the door open?' }), voiceReplies: voiceReplies() });
    closers.push(() => harness.close());
    const person = discordUser();
    const note = encodeOggOpus(voiceLike(2, 48_000, 7), 48_000);
    const attachment = harness.discord.attachment(note, { filename: 'voice-message.ogg', contentType: 'audio/ogg', durationSecs: 2 });
    harness.discord.dmMessage({ author: person, content: '', attachments: [attachment], flags: 8192 });
    const channel = harness.discord.dmChannelId(person.id);
    await harness.messages(3, channel);
    await harness.delivery.idle();
    const sent = harness.discord.sentMessages(channel);
    const voice = sent.at(-1)!;
    assert.equal(voice.flags & 8192, 8192);
    assert.equal(voice.content, '');
    assert.equal(voice.attachments.length, 1);
    const [file] = voice.attachments;
    assert.equal(file!.content_type, 'audio/ogg');
    const decoded = await decodeAudio(file!.bytes, { maxBytes: 10_000_000, maxSeconds: 120 }, 'audio/ogg');
    assert.ok(Math.abs((file!.duration_secs ?? 0) - decoded.durationSeconds) < 0.02);
    const waveform = Buffer.from(file!.waveform ?? '', 'base64');
    assert.ok(waveform.length > 0 && waveform.length <= 256);
    assert.ok(sent.slice(0, -1).every((message) => message.content && (message.flags & 8192) === 0));
  });
});
