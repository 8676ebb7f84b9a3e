import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asksAboutLight, photoIntent } from '../core/perception/photo-intent.js';
import { readingText } from '../core/perception/reading-text.js';
import { en } from '../core/i18n/en.js';

test('a request to read, and nothing more, is a reading, in English, Chinese and Spanish', () => {
  for (const words of ['read this', 'Read this, please.', 'please read the label', 'can you read it out loud', 'read it to me', 'What does this say?', 'read', '读一下', '请帮我读一下这个', '念一下', '这上面写的什么？', 'léelo', 'Lee esto, por favor']) {
    assert.equal(photoIntent(words), 'read', words);
  }
});

test('a question about the text is for the vision model, which gets the text beside the photo', () => {
  for (const words of ['read the expiry date', 'what is the dose on the label?', 'is this milk expired?', 'can you read the small print at the bottom and tell me if it has nuts', '读一下保质期', 'what does the red sign say about parking?']) {
    assert.equal(photoIntent(words), undefined, words);
  }
});

test('colour and light questions are answered from the pixels; others are not', () => {
  for (const words of ['what colour is this?', 'What color is it', 'what colour are these', 'what is the colour of the shirt?', 'is the light on?', 'Are the lights off?', '这是什么颜色？', '什么颜色', '灯开着吗？', '¿De qué color es?', '¿Está la luz encendida?']) {
    assert.equal(photoIntent(words), 'colour', words);
  }
  for (const words of ['what colour should I paint the wall to match this?', 'is the light switch on the left?', 'describe the colours and the pattern in detail', 'what is this?']) {
    assert.equal(photoIntent(words), undefined, words);
  }
  assert.equal(asksAboutLight('is the light on?'), true);
  assert.equal(asksAboutLight('灯开着吗'), true);
  assert.equal(asksAboutLight('what colour is this?'), false);
});

test('the photo commands are intents whatever the words; other commands are not', () => {
  assert.equal(photoIntent('', 'read'), 'read');
  assert.equal(photoIntent('what colour is this', 'color'), 'colour');
  assert.equal(photoIntent('read this', 'help'), undefined);
});

test('a reading is verbatim: unsure lines marked, barcodes after the text, a note at the end', () => {
  const reading = readingText(
    [
      {
        problems: [],
        text: { lines: [{ text: 'Dose: 3.5 mg at 12:30', uncertain: false }, { text: 'Exp 0l/2O27', uncertain: true }] },
        barcodes: [{ format: 'EAN-13', content: { kind: 'product', number: '4006381333931' } }],
      },
    ],
    en.perception,
  );
  assert.equal(
    reading.text,
    'Dose: 3.5 mg at 12:30\nExp 0l/2O27 (hard to read)\nEAN-13 barcode, number 4006381333931.\n\n' +
      'I was not sure of the line marked hard to read; check it with a closer, steadier photo or with a person.',
  );
  assert.equal(reading.uncertainLines, 1);
  const two = readingText([{ problems: [], text: { lines: [{ text: 'A', uncertain: false }] } }, { problems: [], text: { lines: [] } }], en.perception);
  assert.equal(two.text, 'Photo 1 of 2.\nA');
  assert.equal(readingText([{ problems: ['dark'], text: { lines: [] } }], en.perception).text, '');
});
