import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Ocr from '@gutenye/ocr-node';
import sharp from 'sharp';
import { isMediaError } from '../core/media/media-error.js';
import { isModelError } from '../core/models/model-error.js';
import { regionsFromProbabilityMap, DEFAULT_DB_OPTIONS, detectionSize } from '../core/models/ocr/detection.js';
import { corners } from '../core/models/ocr/geometry.js';
import { createPpOcrTextReader, type PpOcrTextReader } from '../core/models/ocr/ppocr-text-reader.js';
import { decodeCtc, parseDictionary } from '../core/models/ocr/recognition.js';
import type { ReadTextResult } from '../core/models/text-reader.js';
import { makeTempFolder } from './helpers/temp-folder.js';
import {
  blurred,
  characterErrorRate,
  chineseFontMissing,
  chineseLabel,
  cleanLabel,
  cleanSerifLabel,
  COLUMN_LEFT,
  COLUMN_RIGHT,
  denseProse,
  lightOnDark,
  lineFound,
  lowQualityJpeg,
  mixedOrientation,
  receipt,
  RECEIPT_ROWS,
  shortSign,
  smallPrint,
  rotatedSix,
  sidewaysExif,
  sidewaysUntagged,
  twelveMegapixelLabel,
  twoColumns,
  upsideDown,
  type TextImage,
} from './helpers/text-images.js';

// One reader for the whole file: the models load once, as in the running assistant.
const reader: PpOcrTextReader = createPpOcrTextReader();
const texts = (result: ReadTextResult): string[] => result.lines.map((line) => line.text);

function assertEveryLineFound(image: TextImage, result: ReadTextResult): void {
  const read = texts(result);
  for (const line of image.expected) assert.ok(lineFound(line, read), `${image.name}: "${line}" not found in ${JSON.stringify(read)}`);
}

describe('PP-OCRv4 text reader', () => {
  after(() => reader.dispose());

  test('reads a clean label with at most 2 % character errors, spaces restored', async () => {
    for (const image of [await cleanLabel(), await cleanSerifLabel(), await smallPrint()]) {
      const result = await reader.read({ image: image.image });
      const read = texts(result);
      const cer = characterErrorRate(image.expected, read);
      assert.ok(cer <= 0.02, `${image.name}: CER ${cer.toFixed(3)} in ${JSON.stringify(read)}`);
      if (image.expected.includes('Take 1 tablet twice daily.')) assert.ok(read.includes('Take 1 tablet twice daily.'), JSON.stringify(read));
      assert.equal(result.rotation, 0);
      // Boxes hug the text: consecutive lines of the label never overlap.
      result.lines.slice(1).forEach((line, i) => {
        const above = result.lines[i]!.box;
        assert.ok(above.y + above.height <= line.box.y, `${JSON.stringify(above)} overlaps ${JSON.stringify(line.box)}`);
      });
      for (const line of result.lines) {
        assert.equal(line.uncertain, false, line.text);
        assert.ok(line.box.width > 0 && line.box.height > 0 && line.box.x + line.box.width <= result.width && line.box.y + line.box.height <= result.height);
      }
    }
  });

  test('reads Chinese without spaces between the characters', { skip: chineseFontMissing }, async () => {
    const image = await chineseLabel();
    const result = await reader.read({ image: image.image });
    const read = texts(result);
    const cer = characterErrorRate(image.expected, read);
    assert.ok(cer <= 0.02, `CER ${cer.toFixed(3)} in ${JSON.stringify(read)}`);
    for (const line of read) assert.doesNotMatch(line, /[\u4e00-\u9fff，。] [\u4e00-\u9fff，。]/u, line);
  });

  test('finds every line of hard photos: light on dark, 6 degrees, blur, JPEG quality 40, dense prose', async () => {
    for (const image of [await lightOnDark(), await rotatedSix(), await blurred(), await lowQualityJpeg(), await denseProse()]) {
      const result = await reader.read({ image: image.image });
      assertEveryLineFound(image, result);
      assert.equal(result.rotation, 0, image.name);
    }
  });

  test('reads a label in a very dark room in full, its faint levels stretched; dark noise reads as nothing', async () => {
    const label = await cleanLabel();
    const dark = await sharp(label.image).linear(0.05, 0).jpeg({ quality: 85 }).toBuffer();
    const result = await reader.read({ image: dark });
    assertEveryLineFound({ ...label, name: 'label at 5 % of its light' }, result);
    for (const background of [8, 24]) {
      const noise = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: { r: background, g: background, b: background }, noise: { type: 'gaussian', mean: background, sigma: 6 } } })
        .jpeg({ quality: 70 })
        .toBuffer();
      assert.deepEqual(texts(await reader.read({ image: noise })), [], `noise around ${background}`);
    }
  });

  test('applies EXIF orientation: a sideways-stored photo reads upright at its displayed size', async () => {
    const image = await sidewaysExif();
    const result = await reader.read({ image: image.image });
    assertEveryLineFound(image, result);
    assert.equal(result.rotation, 0);
    assert.ok(result.width > result.height, `${result.width}x${result.height}`);
  });

  test('turns sideways and upside-down photos to read them, and says by how much', async () => {
    for (const image of [await sidewaysUntagged(), await upsideDown()]) {
      const result = await reader.read({ image: image.image });
      assertEveryLineFound(image, result);
      assert.equal(result.rotation, image.rotation, image.name);
      assert.ok(result.width > result.height, `${image.name}: boxes refer to the turned page, ${result.width}x${result.height}`);
    }
  });

  test('reads a one-word sign turned over or sideways the right way round ("Pull", not "nd")', async () => {
    for (const image of [await shortSign('Pull', 180), await shortSign('NO', 180), await shortSign('Pull', 90)]) {
      const result = await reader.read({ image: image.image });
      assert.deepEqual(texts(result), image.expected, image.name);
      assert.equal(result.rotation, image.rotation, image.name);
    }
  });

  test('reads a line turned over among upright ones the right way up', async () => {
    const image = await mixedOrientation();
    const result = await reader.read({ image: image.image });
    assert.equal(result.rotation, 0);
    assert.deepEqual(texts(result), image.expected);
  });

  test('reads a 12-megapixel frame with small text, boxes in its own pixels', async () => {
    const image = await twelveMegapixelLabel();
    const result = await reader.read({ image: image.image });
    assertEveryLineFound(image, result);
    assert.equal(result.width, 4000);
    assert.equal(result.height, 3000);
    // The label sits at x 1300-2750, y 1150-1570 in the frame.
    for (const line of result.lines) assert.ok(line.box.x >= 1250 && line.box.x + line.box.width <= 2800 && line.box.y >= 1100 && line.box.y <= 1600, JSON.stringify(line));
  });

  test('reads two columns one after the other', async () => {
    const image = await twoColumns();
    const read = texts(await reader.read({ image: image.image }));
    assertEveryLineFound(image, { lines: read.map((text) => ({ text, confidence: 1, uncertain: false, box: { x: 0, y: 0, width: 0, height: 0 } })), width: 0, height: 0, rotation: 0 });
    const position = (line: string): number => read.findIndex((text) => lineFound(line, [text]));
    const lastLeft = Math.max(...COLUMN_LEFT.map(position));
    const firstRight = Math.min(...COLUMN_RIGHT.map(position));
    assert.ok(lastLeft < firstRight, JSON.stringify(read));
  });

  test('keeps each receipt item on one line with its price', async () => {
    const image = await receipt();
    const read = texts(await reader.read({ image: image.image }));
    for (const [item, price] of RECEIPT_ROWS) {
      assert.ok(read.some((line) => line.includes(price) && lineFound(item, [line])), `${item} ... ${price} in ${JSON.stringify(read)}`);
    }
  });

  test('reads no worse than the raw engine on the same photos', async () => {
    const raw = await Ocr.create();
    const hard = [await rotatedSix(), await sidewaysExif(), await upsideDown(), await blurred(), await lowQualityJpeg(), await twoColumns(), await receipt()];
    let productTotal = 0;
    let rawTotal = 0;
    for (const image of hard) {
      const product = characterErrorRate(image.expected, texts(await reader.read({ image: image.image })));
      // The raw engine takes what sharp opens; it ignores EXIF and drops lines under 0.5.
      const rawLines = ((await raw.detect(Buffer.from(image.image) as unknown as string)) as Array<{ text: string }>).map((line) => line.text);
      const rawCer = characterErrorRate(image.expected, rawLines);
      assert.ok(product <= rawCer, `${image.name}: product CER ${product.toFixed(3)} > raw ${rawCer.toFixed(3)}`);
      productTotal += product;
      rawTotal += rawCer;
    }
    // Rotated photos and missing spaces cost the raw engine dearly; the product must be clearly ahead.
    assert.ok(productTotal / hard.length < 0.02 && rawTotal > productTotal * 5, `product ${productTotal} raw ${rawTotal}`);
  });

  test('keeps lines under the confidence threshold marked uncertain, and drops those under the noise floor', async () => {
    const image = await cleanLabel();
    const doubtful = createPpOcrTextReader({ uncertainBelow: 1.01 });
    const noisy = createPpOcrTextReader({ dropBelow: 1.01 });
    try {
      const kept = await doubtful.read({ image: image.image });
      assert.equal(kept.lines.length, image.expected.length);
      assert.ok(kept.lines.every((line) => line.uncertain && line.confidence > 0.5 && line.confidence <= 1));
      assert.deepEqual((await noisy.read({ image: image.image })).lines, []);
    } finally {
      await Promise.all([doubtful.dispose(), noisy.dispose()]);
    }
  });

  test('refuses what no decoder of the process takes with a MediaError, its own failures with a ModelError', async () => {
    await assert.rejects(reader.read({ image: new TextEncoder().encode('not an image') }), (error) => isMediaError(error));
    const controller = new AbortController();
    controller.abort();
    const image = await cleanLabel();
    await assert.rejects(reader.read({ image: image.image, signal: controller.signal }), (error) => isModelError(error) && error.kind === 'aborted');
    const empty = makeTempFolder();
    try {
      const missing = createPpOcrTextReader({ modelsDir: empty.path });
      await assert.rejects(missing.read({ image: image.image }), (error) => isModelError(error) && error.kind === 'unavailable');
    } finally {
      empty.remove();
    }
  });
});

describe('OCR building blocks', () => {
  test('DB post-processing turns a rotated blob into one grown, rotated box', () => {
    const width = 200;
    const height = 120;
    const map = new Float32Array(width * height);
    // A 100 x 10 bar turned by 10 degrees around (100, 60), probability 0.9 inside.
    const angle = (10 * Math.PI) / 180;
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < width; x += 1) {
        const dx = x + 0.5 - 100;
        const dy = y + 0.5 - 60;
        const u = dx * Math.cos(angle) + dy * Math.sin(angle);
        const v = -dx * Math.sin(angle) + dy * Math.cos(angle);
        if (Math.abs(u) <= 50 && Math.abs(v) <= 5) map[y * width + x] = 0.9;
      }
    }
    // A speck too small to be text.
    map[5 * width + 5] = 0.9;
    const regions = regionsFromProbabilityMap(map, width, height, DEFAULT_DB_OPTIONS);
    assert.equal(regions.length, 1);
    const { rect, score } = regions[0]!;
    assert.ok(Math.abs(rect.cx - 100) < 1.5 && Math.abs(rect.cy - 60) < 1.5, JSON.stringify(rect));
    assert.ok(Math.abs(Math.atan2(rect.uy, rect.ux) - angle) < 0.05, JSON.stringify(rect));
    // Grown by area * 1.5 / perimeter = 1000 * 1.5 / 220 = 6.8 on every side.
    assert.ok(Math.abs(rect.height - (10 + 2 * 6.8)) < 2, JSON.stringify(rect));
    assert.ok(Math.abs(rect.width - (100 + 2 * 6.8)) < 3, JSON.stringify(rect));
    assert.ok(Math.abs(score - 0.9) < 1e-6);
    assert.equal(corners(rect).length, 4);
  });

  test('detection size: about 2048 for big photos, small ones enlarged, sides multiples of 32', () => {
    assert.deepEqual(detectionSize(4000, 3000, 2048, 960), { width: 2048, height: 1536 });
    assert.deepEqual(detectionSize(500, 300, 2048, 960), { width: 960, height: 576 });
    assert.deepEqual(detectionSize(1200, 850, 2048, 960), { width: 1216, height: 864 });
  });

  test('CTC decoding merges repeats, skips blanks and keeps each character\'s frames and probability', () => {
    const dictionary = parseDictionary('a\nb\n');
    assert.deepEqual(dictionary, ['a', 'b', ' ']);
    const classes = dictionary.length + 1;
    // Frames: a a blank a b b(pad)
    const best = [1, 1, 0, 1, 2, 2];
    const probabilities = new Float32Array(best.length * classes);
    best.forEach((c, t) => {
      probabilities[t * classes + c] = t === 1 ? 0.95 : 0.8;
    });
    const chars = decodeCtc(probabilities, 0, best.length, classes, 5, dictionary);
    assert.deepEqual(
      chars.map((c) => [c.text, c.start * 6, c.end * 6, Number(c.confidence.toFixed(2))]),
      [
        ['a', 0, 2, 0.95],
        ['a', 3, 4, 0.8],
        ['b', 4, 5, 0.8],
      ],
    );
  });

  test('CTC decoding gives back a word gap the model left blank but saw as a likely space', () => {
    const dictionary = parseDictionary('a\nb\n');
    const classes = dictionary.length + 1;
    const space = classes - 1;
    // a, blank with the space class at 0.3 (a word gap), b, blank with it at 0.005 (a letter gap), a
    const frames: Array<Record<number, number>> = [{ 1: 0.9 }, { 0: 0.68, [space]: 0.3 }, { 2: 0.9 }, { 0: 0.99, [space]: 0.005 }, { 1: 0.9 }];
    const probabilities = new Float32Array(frames.length * classes);
    frames.forEach((frame, t) => {
      for (const [c, p] of Object.entries(frame)) probabilities[t * classes + Number(c)] = p;
    });
    const chars = decodeCtc(probabilities, 0, frames.length, classes, frames.length, dictionary);
    assert.equal(chars.map((c) => c.text).join(''), 'a ba');
    assert.ok(Math.abs(chars[1]!.confidence - 0.98) < 1e-6);
  });
});
