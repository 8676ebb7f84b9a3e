import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitForDelivery, splitSentences, takeGist } from '../core/reply/index.js';

function tokensOf(text: string): string[] {
  return text.split(/\s+/u).filter((token) => token !== '');
}

function numbersOf(text: string): string[] {
  return [...text.matchAll(/\d+(?:[.,:-]\d+)*/g)].map((match) => match[0]);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The delivery contract: pieces within the limit, trimmed and non-empty, no lone surrogates,
 * every word whole (except tokens longer than the limit, which may only be hard-split), and
 * all words present in their original order.
 */
function assertDeliverable(input: string, pieces: string[], limit: number): void {
  const inputTokens = tokensOf(input);
  const known = new Set(inputTokens);
  const overlong = inputTokens.filter((token) => token.length > limit);
  for (const piece of pieces) {
    assert.ok(piece.length <= limit, `piece of ${piece.length} > ${limit}: ${piece.slice(0, 60)}…`);
    assert.notEqual(piece, '');
    assert.equal(piece, piece.trim());
    assert.doesNotMatch(piece, LONE_SURROGATE);
    for (const token of tokensOf(piece)) {
      const isFragment = overlong.some((long) => long.includes(token));
      assert.ok(known.has(token) || isFragment, `cut word: ${JSON.stringify(token)}`);
    }
  }

  const pieceTokens = pieces.flatMap(tokensOf);
  let position = 0;
  for (const token of inputTokens) {
    if (pieceTokens[position] === token) {
      position += 1;
      continue;
    }
    assert.ok(overlong.includes(token), `token lost or moved: ${JSON.stringify(token)}`);
    let rebuilt = '';
    while (rebuilt.length < token.length && position < pieceTokens.length) {
      rebuilt += pieceTokens[position];
      position += 1;
    }
    assert.equal(rebuilt, token);
  }
  assert.equal(position, pieceTokens.length, 'pieces hold text that is not in the input');
}

const OVERLONG_TOKEN = `https://example.com/${'a1b2c3d4e5'.repeat(28)}`;

/** About 10,000 characters of plausible answer, the same every run. */
function buildLongAnswer(): string {
  const paragraphs: string[] = [];
  let index = 0;
  while (paragraphs.join('\n\n').length < 10_000) {
    index += 1;
    const day = String(1 + (index % 28)).padStart(2, '0');
    const sentences = [
      `Item ${index} costs ${(index * 1.25 + 2.5).toFixed(2)} dollars, about ${(1000 + index * 250).toLocaleString('en-US')} units in total.`,
      `The delivery is due on 2026-11-${day} at 10 a.m. local time.`,
      `Dr. Smith measured 3.75 liters and 1,250 grams, e.g. for sample ${index}.`,
      `See https://example.com/orders/${index}?ref=speech&page=2 for details.`,
      `Version 1.${index}.3 fixed it; pi is still 3.14159.`,
    ].slice(0, 2 + (index % 4));
    paragraphs.push(sentences.join(' '));
    if (index === 5) {
      const clauses = Array.from({ length: 70 }, (_, clause) => `and then sample ${clause} measured ${clause}.5 cm`);
      paragraphs.push(`This very long sentence keeps going ${clauses.join(', ')} without a stop.`);
    }
    if (index === 9) paragraphs.push(`The raw link was ${OVERLONG_TOKEN} as sent.`);
  }
  return paragraphs.join('\n\n');
}

test('the long fixture has what the split tests rely on', () => {
  const answer = buildLongAnswer();
  assert.ok(answer.length >= 10_000 && answer.length < 10_400);
  assert.equal(OVERLONG_TOKEN.length, 300);
  assert.ok(answer.split('\n\n').some((paragraph) => paragraph.length > 2000));
});

for (const limit of [4096, 2000, 100]) {
  test(`a 10,000-character answer splits cleanly at limit ${limit}`, () => {
    const answer = buildLongAnswer();
    const pieces = splitForDelivery(answer, limit);
    assertDeliverable(answer, pieces, limit);
    assert.deepEqual(numbersOf(pieces.join('\n')), numbersOf(answer));
    // Packing, not one sentence per message: at worst about half full on average.
    const fewestPossible = Math.ceil(answer.length / limit);
    assert.ok(pieces.length >= fewestPossible && pieces.length <= 2 * fewestPossible, `${pieces.length} pieces`);
  });
}

test('only the token longer than the limit is hard-split', () => {
  const answer = buildLongAnswer();
  const pieces = splitForDelivery(answer, 100);
  assert.ok(pieces.some((piece) => piece.includes('orders/10?ref=speech&page=2')));
  assert.ok(!pieces.some((piece) => piece.includes(OVERLONG_TOKEN)));
  assert.ok(splitForDelivery(answer, 2000).some((piece) => piece.includes(OVERLONG_TOKEN)));
  // The token is cut anyway, so the words before it fill the first message instead of
  // standing alone: 326 characters in four messages, the fewest possible.
  const sentence = `The raw link was ${OVERLONG_TOKEN} as sent.`;
  const sentencePieces = splitForDelivery(sentence, 100);
  assert.deepEqual(sentencePieces.map((piece) => piece.length), [100, 100, 100, 26]);
  assertDeliverable(sentence, sentencePieces, 100);
});

test('a paragraph boundary just under the limit wins over packing sentences', () => {
  const first = 'The kitchen is on the left as you enter, and the counter runs along the wall.';
  const second = 'Yes, it is. The kettle sits next to the sink, with the handle facing you.';
  const pieces = splitForDelivery(`${first}\n\n${second}`, 100);
  // Sentence packing alone would have put "Yes, it is." into the first message (80 + 13 <= 100).
  assert.ok(`${first}\n\nYes, it is.`.length <= 100);
  assert.deepEqual(pieces, [first, second]);
});

test('short paragraphs share a message, joined by a blank line', () => {
  assert.deepEqual(splitForDelivery('One.\n\n\n\nTwo.   \n\nThree.', 100), ['One.\n\nTwo.\n\nThree.']);
  assert.deepEqual(splitForDelivery('Short answer.', 4096), ['Short answer.']);
  assert.deepEqual(splitForDelivery('  \n\n ', 100), []);
});

test('an overlong paragraph splits at sentences, keeping its line breaks', () => {
  const paragraph = 'Milk.\nEggs are on the second shelf.\nBread is in the box by the window.';
  assert.deepEqual(splitForDelivery(paragraph, 40), ['Milk.\nEggs are on the second shelf.', 'Bread is in the box by the window.']);
});

test('Chinese without spaces splits at 。 boundaries', () => {
  const [first, second, third, fourth, fifth] = ['这是第一句话，内容比较长一些。', '第二句话说的是天气很好！', '今天适合出门散步吗？', '是的，气温大约二十度。', '记得带上水。'] as const;
  const text = first + second + third + fourth + fifth;
  const pieces = splitForDelivery(text, 30);
  assert.equal(pieces.join(''), text);
  for (const piece of pieces) {
    assert.ok(piece.length <= 30);
    assert.match(piece, /[。！？]$/u);
  }
  assert.deepEqual(pieces, [first + second, third + fourth + fifth]);
});

test('a long Chinese sentence is cut between words, not inside them', () => {
  const sentence = '这张图片显示了一辆红色汽车停在路边的停车位上旁边还有一棵很高的大树和一个蓝色的邮筒';
  const pieces = splitForDelivery(sentence, 20);
  assert.equal(pieces.join(''), sentence);
  assert.ok(pieces.every((piece) => piece.length <= 20));
  assert.ok(pieces.length >= 2);
  const wordBoundaries = new Set(
    [...new Intl.Segmenter('zh', { granularity: 'word' }).segment(sentence)].map((word) => word.index),
  );
  let offset = 0;
  for (const piece of pieces.slice(0, -1)) {
    offset += piece.length;
    assert.ok(wordBoundaries.has(offset), `cut inside a word at ${offset}`);
  }
});

test('numbers are never cut unless one alone exceeds the limit', () => {
  const number = '3.14159265358979';
  const text = `word word word word word ${number} end`;
  const pieces = splitForDelivery(text, 30);
  assert.ok(pieces.some((piece) => piece.includes(number)), JSON.stringify(pieces));

  const glued = `${'x'.repeat(95)}1,000,000 tail`;
  const gluedPieces = splitForDelivery(glued, 100);
  assert.deepEqual(gluedPieces, ['x'.repeat(95), '1,000,000 tail']);

  const huge = '7'.repeat(50);
  const hugePieces = splitForDelivery(huge, 20);
  assert.equal(hugePieces.join(''), huge);
  assert.ok(hugePieces.every((piece) => piece.length <= 20));
});

test('hard splits never land inside a surrogate pair', () => {
  const emoji = '😀'.repeat(30);
  const pieces = splitForDelivery(emoji, 21);
  assert.equal(pieces.join(''), emoji);
  for (const piece of pieces) {
    assert.ok(piece.length <= 21);
    assert.doesNotMatch(piece, LONE_SURROGATE);
  }
});

test('limits below 20 are rejected', () => {
  assert.throws(() => splitForDelivery('text', 19), RangeError);
  assert.throws(() => splitForDelivery('text', 0), RangeError);
  assert.throws(() => splitForDelivery('text', Number.NaN), RangeError);
  assert.deepEqual(splitForDelivery('text', 20), ['text']);
});

test('English sentences survive abbreviations, decimals, versions and URLs', () => {
  const cases: ReadonlyArray<readonly [string, string[]]> = [
    ['Dr. Smith is here. More.', ['Dr. Smith is here.', 'More.']],
    ['Pi is 3.5 today. Version 1.2.3 shipped.', ['Pi is 3.5 today.', 'Version 1.2.3 shipped.']],
    ['Use e.g. this one. Or e.g. Paris. Fine.', ['Use e.g. this one.', 'Or e.g. Paris.', 'Fine.']],
    ['Under U.S. law it is legal. Ok.', ['Under U.S. law it is legal.', 'Ok.']],
    ['Meet at 10 a.m. tomorrow. Bring water.', ['Meet at 10 a.m. tomorrow.', 'Bring water.']],
    ['See https://example.com/a.b?c=d&e=3.5 now. Done!', ['See https://example.com/a.b?c=d&e=3.5 now.', 'Done!']],
    ['Mr. Jones met Mrs. Lee. See Fig. 3 Above. I said no. Then left.', ['Mr. Jones met Mrs. Lee.', 'See Fig. 3 Above.', 'I said no.', 'Then left.']],
    ['Is it 1,250? Yes!! It is.', ['Is it 1,250?', 'Yes!!', 'It is.']],
    ['First line\nSecond line.', ['First line', 'Second line.']],
  ];
  for (const [text, expected] of cases) assert.deepEqual(splitSentences(text), expected, text);
});

test('Chinese sentences end at 。！？', () => {
  assert.deepEqual(splitSentences('这是一辆红色汽车。它停在路边！对吗？是的。', 'zh'), [
    '这是一辆红色汽车。',
    '它停在路边！',
    '对吗？',
    '是的。',
  ]);
  assert.deepEqual(splitSentences(''), []);
});

test('takeGist returns the first sentence and keeps the rest as written', () => {
  assert.deepEqual(takeGist('Dr. Smith is here. More.'), { gist: 'Dr. Smith is here.', rest: 'More.' });
  assert.deepEqual(takeGist('A red car. It is parked.\n\nSecond paragraph.\nWith a line.'), {
    gist: 'A red car.',
    rest: 'It is parked.\n\nSecond paragraph.\nWith a line.',
  });
  assert.deepEqual(takeGist('  Only one sentence here.  '), { gist: 'Only one sentence here.', rest: '' });
  assert.deepEqual(takeGist('一辆红色汽车。它停在路边。'), { gist: '一辆红色汽车。', rest: '它停在路边。' });
  assert.deepEqual(takeGist('Title\n\nBody text.'), { gist: 'Title', rest: 'Body text.' });
  assert.deepEqual(takeGist('It costs 3.75 dollars. Cheap.'), { gist: 'It costs 3.75 dollars.', rest: 'Cheap.' });
  assert.deepEqual(takeGist(''), { gist: '', rest: '' });
  // A numbered list's "1." is not a gist of its own.
  assert.deepEqual(takeGist('1. A red car is parked.\n2. A blue bike.'), { gist: 'A red car is parked.', rest: '2. A blue bike.' });
  assert.deepEqual(takeGist('1) 一辆红色汽车。\n2) 一辆自行车。'), { gist: '一辆红色汽车。', rest: '2) 一辆自行车。' });
});
