import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  joinCharacters,
  layOutLines,
  type LaidOutLine,
  type RecognizedChar,
  type RecognizedSegment,
} from '../core/models/ocr/layout.js';
import type { TextBox } from '../core/models/text-reader.js';

/** One CTC frame of PP-OCRv4 rec: 8 px of a 48 px crop, the unit of character positions. */
const FRAME = 1 / 6;

interface Spacing {
  /** Frames between two letters of a word (the model's usual gap). */
  readonly letterGap?: number;
  /** Extra frames a word space adds when the model did not emit it. */
  readonly missedSpace?: number;
  /** Frames added before the character at each index (jitter). */
  readonly jitter?: Readonly<Record<number, number>>;
}

/**
 * Characters as the recogniser reports them: each glyph one frame long, `letterGap` frames apart.
 * In `spec`, '_' is a space the model emitted (a space character of its own) and ' ' a word space
 * it missed, which only widens the gap by `missedSpace` frames.
 */
function chars(spec: string, spacing: Spacing = {}): RecognizedChar[] {
  const letterGap = spacing.letterGap ?? 1;
  const missedSpace = spacing.missedSpace ?? 3;
  const out: RecognizedChar[] = [];
  let frame = 0;
  let index = 0;
  for (const ch of spec) {
    if (ch === ' ') {
      frame += missedSpace;
      continue;
    }
    frame += spacing.jitter?.[index] ?? 0;
    out.push({ text: ch === '_' ? ' ' : ch, start: frame * FRAME, end: (frame + 1) * FRAME, confidence: 0.9 });
    frame += 1 + letterGap;
    index += 1;
  }
  return out;
}

describe('joinCharacters: spaces', () => {
  test('keeps the spaces the model emitted, collapses doubles and trims the ends', () => {
    assert.equal(joinCharacters(chars('_Take_1_tablet__twice_daily_')), 'Take 1 tablet twice daily');
  });

  test('restores word spaces the model missed from wide gaps', () => {
    assert.equal(joinCharacters(chars('Take 1 tablet twice daily')), 'Take 1 tablet twice daily');
  });

  test('letter gaps that wander by up to two frames stay inside the word', () => {
    const jitter = { 2: 2, 5: 1, 7: 2, 11: 2 };
    assert.equal(joinCharacters(chars('Paracetamol_tablets', { jitter })), 'Paracetamol tablets');
  });

  test('a line the model read without any space takes a two-frame excess as a space', () => {
    // Read in the model's spaceless mode (as next to Chinese): word spaces only show as gaps.
    assert.equal(joinCharacters(chars('Keep out of reach of children', { missedSpace: 2 })), 'Keep out of reach of children');
    // The same gap in a line where the model does emit spaces is a wide letter gap, not a space.
    assert.equal(joinCharacters(chars('Keep_out_of_reach_of_chil dren', { missedSpace: 2 })), 'Keep out of reach of children');
  });

  test('a long word or an address read without spaces is not split at a two-frame gap', () => {
    assert.equal(joinCharacters(chars('Carbohydrates', { jitter: { 6: 2 } })), 'Carbohydrates');
    assert.equal(joinCharacters(chars('www.supermarketexample.com/offers', { jitter: { 12: 2 } })), 'www.supermarketexample.com/offers');
  });

  test('the usual gap is measured per line: widely spaced letters are not words', () => {
    // Letter-spaced print: every gap is 4 frames, word spaces 7.
    assert.equal(joinCharacters(chars('SALE NOW ON', { letterGap: 4, missedSpace: 3 })), 'SALE NOW ON');
  });

  test('characters handed over out of order are read by position', () => {
    const sorted = chars('Take_care');
    const shuffled = [sorted[4]!, sorted[0]!, sorted[8]!, sorted[2]!, sorted[1]!, sorted[3]!, sorted[7]!, sorted[5]!, sorted[6]!];
    assert.equal(joinCharacters(shuffled), 'Take care');
  });

  test('nothing, or only spaces, is an empty string', () => {
    assert.equal(joinCharacters([]), '');
    assert.equal(joinCharacters(chars('___')), '');
  });
});

describe('joinCharacters: punctuation', () => {
  test('a space after , ; : ) and before ( when the engine glued them', () => {
    assert.equal(joinCharacters(chars('Ingredients:oats(58%),sugar;salt')), 'Ingredients: oats (58%), sugar; salt');
  });

  test('a space after a sentence end before a capital, and after ! and ?', () => {
    assert.equal(joinCharacters(chars('Shake well.Keep cool!Ask us?Call')), 'Shake well. Keep cool! Ask us? Call');
  });

  test('a label colon before a number gets a space, a time does not', () => {
    assert.equal(joinCharacters(chars('Dose:2_at_12:30')), 'Dose: 2 at 12:30');
  });

  test('never a space before , . ; : ) % or after (, whatever the model or the gaps say', () => {
    assert.equal(joinCharacters(chars('oats_(_58_%_)_,_salt_._Done_!')), 'oats (58%), salt. Done!');
    assert.equal(joinCharacters(chars('word ,next ;end :x')), 'word, next; end: x');
  });

  test('abbreviations, initials, addresses and domains are not broken', () => {
    assert.equal(joinCharacters(chars('e.g.lemons_and_Dr.Smith_in_the_U.S.A.')), 'e.g.lemons and Dr. Smith in the U.S.A.');
    assert.equal(joinCharacters(chars('e.g._lemons')), 'e.g. lemons');
    assert.equal(joinCharacters(chars('Ph.D._and_J.R.R.Tolkien')), 'Ph.D. and J.R.R.Tolkien');
    assert.equal(joinCharacters(chars('¿_Dónde?_¡_Aquí!')), '¿Dónde? ¡Aquí!');
    assert.equal(joinCharacters(chars('1.Take_with_water.Wait...Then_rest')), '1. Take with water. Wait... Then rest');
    assert.equal(joinCharacters(chars('Visit_www.example.com_or_mail_a@b.com')), 'Visit www.example.com or mail a@b.com');
    assert.equal(joinCharacters(chars('See_Example.Com')), 'See Example.Com');
    assert.equal(joinCharacters(chars('https://example.org/a?b=C')), 'https://example.org/a?b=C');
  });
});

describe('joinCharacters: numbers', () => {
  test('decimals, times, thousands, dates and percentages stay whole even across wide gaps', () => {
    // Wide gaps (4 frames) around every separator, as narrow marks let CTC peaks wander.
    const spec = '3.5_12:30_1,000_12/2026_58%_2024-05-01';
    const jitter: Record<number, number> = {};
    [...spec].forEach((ch, i) => {
      if (/[.:,/%-]/.test(ch)) {
        jitter[i] = 4;
        jitter[i + 1] = 4;
      }
    });
    assert.equal(joinCharacters(chars(spec, { jitter })), '3.5 12:30 1,000 12/2026 58% 2024-05-01');
  });

  test('spaces the model put inside a number are taken out, a list after commas keeps its spaces', () => {
    assert.equal(joinCharacters(chars('3_._5_mg_at_12_:_30')), '3.5 mg at 12:30');
    assert.equal(joinCharacters(chars('1,_2,_3')), '1, 2, 3');
    assert.equal(joinCharacters(chars('Total_1,_250.00_or_12,_500')), 'Total 1,250.00 or 12,500');
  });

  test('digits need a clearer gap than letters before they are split', () => {
    // Three frames of excess split two words but not two digits; five split the digits too.
    assert.equal(joinCharacters(chars('Lot_1234', { jitter: { 6: 3 } })), 'Lot 1234');
    assert.equal(joinCharacters(chars('Lot_1234', { jitter: { 6: 5 } })), 'Lot 12 34');
    assert.equal(joinCharacters(chars('Lot_abcd', { jitter: { 6: 3 } })), 'Lot ab cd');
  });
});

describe('joinCharacters: Chinese', () => {
  /**
   * CJK glyphs are about one crop height wide: their peaks sit 6 frames apart, while digits and
   * Latin letters among them keep their usual 2-frame pitch and sit 3 frames from a CJK peak
   * (as measured on PP-OCRv4 with WenQuanYi Micro Hei). A ' ' widens the next gap by 3 frames.
   */
  const cjk = (spec: string): RecognizedChar[] => {
    const out: RecognizedChar[] = [];
    let frame = 0;
    let previous = '';
    let missed = 0;
    for (const ch of spec) {
      if (ch === ' ') {
        missed += 3;
        continue;
      }
      const wide = (c: string): boolean => /[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/u.test(c);
      if (previous !== '') frame += (wide(previous) && wide(ch) ? 6 : wide(previous) || wide(ch) ? 3 : 2) + missed;
      out.push({ text: ch === '_' ? ' ' : ch, start: frame * FRAME, end: (frame + 1) * FRAME, confidence: 0.9 });
      previous = ch;
      missed = 0;
    }
    return out;
  };

  test('Chinese text is left as it was read, punctuation included', () => {
    assert.equal(joinCharacters(cjk('价格：12.5元，谢谢。')), '价格：12.5元，谢谢。');
    assert.equal(joinCharacters(cjk('有效期至2026年12月31日')), '有效期至2026年12月31日');
  });

  test('no space between Chinese characters even when the model or a gap puts one there', () => {
    assert.equal(joinCharacters(cjk('保质期12个月_请冷  藏')), '保质期12个月请冷藏');
    // Between Chinese and a number a space the model saw is its reading, and kept.
    assert.equal(joinCharacters(cjk('保质期_12个月')), '保质期 12个月');
  });

  test('Japanese kana run together like Chinese; Korean keeps the spaces between its words', () => {
    assert.equal(joinCharacters(cjk('一日_２回、食後に_服用')), '一日２回、食後に服用');
    assert.equal(joinCharacters(chars('하루_두_번_드세요')), '하루 두 번 드세요');
  });

  test('mixed Chinese and Latin keeps the spaces that are there and adds none that are not', () => {
    assert.equal(joinCharacters(cjk('PP-OCR_模型')), 'PP-OCR 模型');
    // A missed space between the scripts shows as a clear gap.
    assert.equal(joinCharacters(cjk('使用 iPhone 拍照')), '使用 iPhone 拍照');
    // The usual boundary gap (a frame wider than between letters) is no space.
    assert.equal(joinCharacters(cjk('使用iPhone拍照')), '使用iPhone拍照');
    assert.equal(joinCharacters(cjk('每次1片Take 2 tablets')), '每次1片Take 2 tablets');
  });
});

// ---------------------------------------------------------------------------------------------

/** A recognised segment whose model emitted the spaces in `text`. */
function segment(text: string, x: number, y: number, width: number, height = 20, confidence = 0.9): RecognizedSegment {
  return { box: { x, y, width, height }, chars: chars(text.replace(/ /g, '_')), confidence };
}

const texts = (lines: readonly LaidOutLine[]): string[] => lines.map((line) => line.text);

/** A deterministic shuffle: the layout must not depend on the order the detector reports boxes in. */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  let seed = 7;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('layOutLines: rows', () => {
  test('segments of one row given out of order are joined left to right with one space', () => {
    const lines = layOutLines(
      [segment('twice daily', 400, 101, 180), segment('Take 1 tablet', 10, 100, 200), segment('with food', 640, 99, 150)],
      { width: 800, height: 300 },
    );
    assert.deepEqual(texts(lines), ['Take 1 tablet twice daily with food']);
  });

  test('a line has the character-weighted confidence and the union of its boxes', () => {
    const lines = layOutLines([segment('abcdef', 10, 50, 100, 20, 0.9), segment('gh', 300, 52, 40, 20, 0.3)], {
      width: 400,
      height: 200,
    });
    assert.equal(lines.length, 1);
    assert.ok(Math.abs(lines[0]!.confidence - (6 * 0.9 + 2 * 0.3) / 8) < 1e-9, String(lines[0]!.confidence));
    assert.deepEqual(lines[0]!.box, { x: 10, y: 50, width: 330, height: 22 });
    assert.equal(lines[0]!.segments.length, 2);
  });

  test('segments with no text are left out, and no segments give no lines', () => {
    assert.deepEqual(layOutLines([], { width: 100, height: 100 }), []);
    const lines = layOutLines([segment('Hello', 10, 10, 100), { box: { x: 300, y: 10, width: 50, height: 20 }, chars: [], confidence: 0 }], {
      width: 400,
      height: 100,
    });
    assert.deepEqual(texts(lines), ['Hello']);
    assert.equal(lines[0]!.segments.length, 1);
  });
});

/** Lines of a column: one segment each, `gap` px apart, at the given x. */
function column(lines: readonly string[], x: number, top: number, width: number, pitch = 30): RecognizedSegment[] {
  return lines.map((text, i) => segment(text, x, top + i * pitch, Math.min(width, text.length * 9)));
}

describe('layOutLines: columns and blocks', () => {
  const left = ['Seed reads text for people', 'who cannot see it, line by', 'line in the order of the page', 'and never mixes two columns'];
  const right = ['The second column starts at', 'the top of the page and is', 'read after the first column', 'has been read to its end'];

  test('two columns of prose are read one after the other', () => {
    const segments = [...column(left, 20, 100, 270), ...column(right, 330, 100, 270)];
    const lines = layOutLines(shuffled(segments), { width: 620, height: 400 });
    assert.deepEqual(texts(lines), [...left, ...right]);
  });

  test('columns whose lines do not line up are still read column by column', () => {
    const segments = [...column(left, 20, 100, 270), ...column(right, 330, 113, 270)];
    assert.deepEqual(texts(layOutLines(shuffled(segments), { width: 620, height: 400 })), [...left, ...right]);
  });

  test('a heading, two columns and a footer are blocks read top to bottom', () => {
    const segments = [
      segment('Patient information leaflet', 150, 40, 300, 28),
      ...column(left, 20, 100, 270),
      ...column([...right.slice(0, 3)], 330, 100, 270),
      segment('Read all of this leaflet carefully before you start', 20, 260, 560),
      segment('Keep this leaflet', 20, 290, 160),
    ];
    assert.deepEqual(texts(layOutLines(shuffled(segments), { width: 620, height: 400 })), [
      'Patient information leaflet',
      ...left,
      ...right.slice(0, 3),
      'Read all of this leaflet carefully before you start',
      'Keep this leaflet',
    ]);
  });

  test('paragraphs one above the other stay in order, and a two-column block below them is read by column', () => {
    const top = ['First paragraph of the letter', 'goes across the whole page and', 'ends here.'];
    const segments = [
      ...column(top, 20, 20, 560).map((s, i) => (i < 2 ? { ...s, box: { ...s.box, width: 560 } } : s)),
      ...column(['Second paragraph after a gap.'], 20, 160, 560),
      ...column(left, 20, 240, 270),
      ...column(right, 330, 240, 270),
    ];
    assert.deepEqual(texts(layOutLines(shuffled(segments), { width: 620, height: 500 })), [
      ...top,
      'Second paragraph after a gap.',
      ...left,
      ...right,
    ]);
  });
});

describe('layOutLines: receipts and tables', () => {
  const receipt = [
    ['Milk 1L', '2.49'],
    ['Wholemeal bread', '3.10'],
    ['Free range eggs x12', '4.25'],
    ['Bananas', '1.20'],
    ['TOTAL', '11.04'],
  ] as const;

  test('"item ... price" rows stay on one line with their prices', () => {
    const segments = receipt.flatMap(([item, price], i) => [
      segment(item, 20, 60 + i * 30, item.length * 9),
      segment(price, 330, 61 + i * 30, price.length * 9),
    ]);
    const lines = layOutLines(shuffled([segment('CORNER SHOP', 110, 20, 110), ...segments]), { width: 400, height: 260 });
    assert.deepEqual(texts(lines), ['CORNER SHOP', ...receipt.map(([item, price]) => `${item} ${price}`)]);
  });

  test('a price column with a word in it (currency, a heading) is still a price column', () => {
    const segments = [
      segment('Item', 20, 30, 36),
      segment('Price', 330, 30, 45),
      ...receipt.flatMap(([item, price], i) => [segment(item, 20, 60 + i * 30, item.length * 9), segment(`EUR ${price}`, 330, 60 + i * 30, 80)]),
    ];
    assert.deepEqual(texts(layOutLines(shuffled(segments), { width: 420, height: 260 })), [
      'Item Price',
      ...receipt.map(([item, price]) => `${item} EUR ${price}`),
    ]);
  });

  test('a column of prices that sits off the items\' centre lines is still read with them', () => {
    // Prices printed in a smaller type on the items' baseline: their centres sit 7 px lower.
    const segments = receipt.flatMap(([item, price], i) => [
      segment(item, 20, 60 + i * 30, item.length * 9),
      segment(price, 330, 70 + i * 30, price.length * 9, 14),
    ]);
    assert.deepEqual(texts(layOutLines(shuffled(segments), { width: 400, height: 260 })), receipt.map(([item, price]) => `${item} ${price}`));
  });

  test('a level receipt with centred lines, an indent and right-aligned prices is read level', () => {
    const header = [
      ['CORNER SHOP', 126],
      ['12 High Street', 134],
      ['Tel 0123 456', 118],
    ] as const;
    const rows = [
      ['Milk 1L', '2.49'],
      ['  2 for 1 offer', '-1.00'],
      ['Wholemeal bread', '13.10'],
      ['Eggs', '4.25'],
      ['TOTAL', '18.84'],
    ] as const;
    const segments = [
      ...header.map(([text, width], i) => segment(text, 200 - width / 2, 20 + i * 30, width)),
      ...rows.flatMap(([item, price], i) => [
        segment(item.trim(), item.startsWith(' ') ? 34 : 20, 120 + i * 30, item.trim().length * 9),
        segment(price, 380 - price.length * 9, 120 + i * 30, price.length * 9),
      ]),
    ];
    assert.deepEqual(texts(layOutLines(shuffled(segments), { width: 400, height: 300 })), [
      ...header.map(([text]) => text),
      ...rows.map(([item, price]) => `${item.trim()} ${price}`),
    ]);
  });

  test('long descriptions with a short word cell beside each (a stock list) are read row by row', () => {
    const rows = [
      ['Paracetamol 500 mg film-coated tablets', 'in stock'],
      ['Ibuprofen 200 mg capsules for children', 'sold out'],
      ['Vitamin D3 1000 IU soft gel capsules', 'in stock'],
    ] as const;
    const segments = rows.flatMap(([name, state], i) => [segment(name, 20, 40 + i * 30, 340), segment(state, 420, 40 + i * 30, 72)]);
    assert.deepEqual(texts(layOutLines(shuffled(segments), { width: 520, height: 200 })), rows.map(([n, st]) => `${n} ${st}`));
  });

  test('a form of short labels, each with a value beside it that may wrap, is read label by label', () => {
    const segments = [
      segment('Name', 20, 40, 40),
      segment('Ibuprofen 200 mg coated tablets', 160, 40, 290),
      segment('Directions', 20, 70, 90),
      segment('Take one or two tablets with water', 160, 70, 310),
      segment('every four hours after food', 160, 100, 250),
      segment('Warnings', 20, 130, 80),
      segment('Do not exceed six tablets a day', 160, 130, 280),
    ];
    assert.deepEqual(texts(layOutLines(shuffled(segments), { width: 500, height: 200 })), [
      'Name Ibuprofen 200 mg coated tablets',
      'Directions Take one or two tablets with water',
      'every four hours after food',
      'Warnings Do not exceed six tablets a day',
    ]);
  });

  test('a staircase of indented lines above a level receipt does not tilt the page', () => {
    // Each step drifts its left edge 4 px per 30 px line, like a tilt would; the receipt's edges
    // say level, and a tilt read from the steps would pair each item with another row's price.
    const steps = ['Step one', 'Step two', 'Step three', 'Step four', 'Step five', 'Step six', 'Step seven'];
    const rows = [
      ['Milk 1L', '2.49'],
      ['Bread', '3.10'],
      ['Eggs', '4.25'],
    ] as const;
    const segments = [
      ...steps.map((text, i) => segment(text, 20 + i * 4, 20 + i * 30, 100)),
      ...rows.flatMap(([item, price], i) => [segment(item, 20, 260 + i * 30, item.length * 9), segment(price, 380 - price.length * 9, 260 + i * 30, price.length * 9)]),
    ];
    assert.deepEqual(texts(layOutLines(shuffled(segments), { width: 400, height: 400 })), [
      ...steps,
      ...rows.map(([item, price]) => `${item} ${price}`),
    ]);
  });

  test('short cells aligned row by row (a form or table) are read row by row', () => {
    const rows = [
      ['Name', 'Jane Smith'],
      ['Date of birth', 'March 1990'],
      ['Blood group', 'A positive'],
    ] as const;
    const segments = rows.flatMap(([label, value], i) => [segment(label, 20, 40 + i * 30, label.length * 9), segment(value, 250, 40 + i * 30, value.length * 9)]);
    assert.deepEqual(texts(layOutLines(shuffled(segments), { width: 400, height: 200 })), rows.map(([l, v]) => `${l} ${v}`));
  });
});

/** The axis-aligned bounds of a `length` x `thickness` line centred at (cx, cy), turned by `degrees` (clockwise, y down). */
function tiltedBox(cx: number, cy: number, length: number, thickness: number, degrees: number): TextBox {
  const a = (degrees * Math.PI) / 180;
  const w = length * Math.cos(a) + thickness * Math.abs(Math.sin(a));
  const h = length * Math.abs(Math.sin(a)) + thickness * Math.cos(a);
  return { x: cx - w / 2, y: cy - h / 2, width: w, height: h };
}

/** A point of the level page turned by `degrees` about (cx, cy). */
function turn(x: number, y: number, degrees: number, cx = 300, cy = 300): [number, number] {
  const a = (degrees * Math.PI) / 180;
  return [cx + (x - cx) * Math.cos(a) - (y - cy) * Math.sin(a), cy + (x - cx) * Math.sin(a) + (y - cy) * Math.cos(a)];
}

/** A segment laid out on a level page at (x, y) (top-left), then the page turned by `degrees`. */
function tiltedSegment(text: string, x: number, y: number, length: number, degrees: number, thickness = 20): RecognizedSegment {
  const [cx, cy] = turn(x + length / 2, y + thickness / 2, degrees);
  return { box: tiltedBox(cx, cy, length, thickness, degrees), chars: chars(text.replace(/ /g, '_')), confidence: 0.9 };
}

describe('layOutLines: a slightly tilted photo', () => {
  const prose = [
    'A photo taken by hand is rarely level',
    'so the boxes of its lines overlap each',
    'other when they are drawn upright, but',
    'the lines are still read in their order',
  ];

  for (const degrees of [6, -6]) {
    test(`lines of a page turned ${degrees} degrees keep their order`, () => {
      const segments = prose.map((text, i) => tiltedSegment(text, 40, 100 + i * 30, 500, degrees));
      // The boxes overlap: a level reading of their tops alone would mix the lines up.
      assert.ok(segments[1]!.box.y < segments[0]!.box.y + segments[0]!.box.height);
      assert.deepEqual(texts(layOutLines(shuffled(segments), { width: 700, height: 700 })), prose);
    });

    test(`a receipt turned ${degrees} degrees keeps each price with its item, the tilt given or found from its edges`, () => {
      const rows = [
        ['Milk', '2.49'],
        ['Bread', '3.10'],
        ['Eggs', '4.25'],
        ['Tea', '1.99'],
        ['TOTAL', '11.83'],
      ] as const;
      const segments = rows.flatMap(([item, price], i) => [
        tiltedSegment(item, 40, 100 + i * 30, item.length * 12, degrees),
        tiltedSegment(price, 460, 100 + i * 30, price.length * 12, degrees),
      ]);
      const slope = Math.tan((degrees * Math.PI) / 180);
      const expected = rows.map(([item, price]) => `${item} ${price}`);
      assert.deepEqual(texts(layOutLines(shuffled(segments), { width: 700, height: 700, slope })), expected);
      assert.deepEqual(texts(layOutLines(shuffled(segments), { width: 700, height: 700 })), expected);
      // Read as level, the tilt pairs each item with a neighbour's price.
      assert.notDeepEqual(texts(layOutLines(shuffled(segments), { width: 700, height: 700, slope: 0 })), expected);
    });

    test(`two columns turned ${degrees} degrees are read one after the other when the slope is known`, () => {
      const left = prose.map((t) => t.slice(0, 20).trim());
      const right = prose.map((t) => t.slice(20).trim());
      const segments = [
        ...left.map((text, i) => tiltedSegment(text, 40, 100 + i * 30, 220, degrees)),
        ...right.map((text, i) => tiltedSegment(text, 300, 100 + i * 30, 220, degrees)),
      ];
      const slope = Math.tan((degrees * Math.PI) / 180);
      assert.deepEqual(texts(layOutLines(shuffled(segments), { width: 700, height: 700, slope })), [...left, ...right]);
    });
  }
});

describe('layOutLines: every segment once', () => {
  test('random pages lose no segment and repeat none', () => {
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let page = 0; page < 200; page++) {
      const count = 1 + Math.floor(random() * 40);
      const segments = Array.from({ length: count }, (_, i) =>
        segment(`w${i}`, random() * 900, random() * 900, 10 + random() * 300, 8 + random() * 40),
      );
      const slope = page % 3 === 0 ? undefined : (random() - 0.5) * 0.3;
      const lines = layOutLines(segments, { width: 1000, height: 1000, ...(slope === undefined ? {} : { slope }) });
      const seen = lines.flatMap((line) => line.segments);
      assert.equal(seen.length, segments.length, `page ${page}`);
      assert.equal(new Set(seen).size, segments.length, `page ${page}`);
      for (const line of lines) assert.equal(line.text, line.segments.map((s) => joinCharacters(s.chars)).join(' '));
    }
  });
});
