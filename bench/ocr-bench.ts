/**
 * Reading text (OCR): the product's PP-OCRv4 reader beside the raw engine (@gutenye/ocr-node, the
 * same models as they come) on the same photos. Time to read a 12-megapixel and a 1-megapixel
 * phone-like label photo (decode included, models loaded beforehand), and the character error rate
 * of both on the rendered test photos.
 */
import Ocr from '@gutenye/ocr-node';
import { createPpOcrTextReader } from '../core/models/ocr/ppocr-text-reader.js';
import {
  blurred,
  characterErrorRate,
  chineseLabel,
  cleanLabel,
  cleanSerifLabel,
  denseProse,
  lightOnDark,
  lowQualityJpeg,
  oneMegapixelLabel,
  receipt,
  rotatedSix,
  sidewaysExif,
  sidewaysUntagged,
  smallPrint,
  twelveMegapixelLabel,
  twoColumns,
  upsideDown,
  type TextImage,
} from '../test/helpers/text-images.js';

export interface OcrTiming {
  readonly name: string;
  readonly productMs: number[];
  readonly rawMs: number[];
  readonly productCer: number;
  readonly rawCer: number;
}

export interface OcrAccuracy {
  readonly image: string;
  readonly productCer: number;
  readonly rawCer: number;
  readonly productLines: number;
  readonly expectedLines: number;
}

export interface OcrFigures {
  readonly timings: OcrTiming[];
  readonly accuracy: OcrAccuracy[];
}

export interface OcrBenchOptions {
  /** Timed reads per photo for the product (after one warm-up). */
  readonly productRuns?: number;
  /** Timed reads per photo for the raw engine, slow on big photos. */
  readonly rawRuns?: number;
}

type RawEngine = Awaited<ReturnType<typeof Ocr.create>>;

async function rawRead(raw: RawEngine, image: Uint8Array): Promise<string[]> {
  // The raw engine opens whatever sharp opens; a Buffer is as good as a path to it.
  const lines = (await raw.detect(Buffer.from(image) as unknown as string)) as Array<{ text: string }>;
  return lines.map((line) => line.text);
}

async function timed<T>(samples: number[], work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  samples.push(performance.now() - started);
  return result;
}

export async function measureOcr(options: OcrBenchOptions = {}): Promise<OcrFigures> {
  const productRuns = options.productRuns ?? 5;
  const rawRuns = options.rawRuns ?? 2;
  const reader = createPpOcrTextReader();
  await reader.warmUp();
  const raw = await Ocr.create();
  try {
    const timings: OcrTiming[] = [];
    for (const image of [await twelveMegapixelLabel(), await oneMegapixelLabel()]) {
      const productMs: number[] = [];
      const rawMs: number[] = [];
      // One untimed read each: the first inference at a new input size allocates.
      const first = await reader.read({ image: image.image });
      const rawFirst = await rawRead(raw, image.image);
      for (let run = 0; run < productRuns; run += 1) await timed(productMs, () => reader.read({ image: image.image }));
      for (let run = 0; run < rawRuns; run += 1) await timed(rawMs, () => rawRead(raw, image.image));
      timings.push({
        name: `${image.name}, ${(image.image.byteLength / 1e6).toFixed(1)} MB JPEG`,
        productMs,
        rawMs,
        productCer: characterErrorRate(image.expected, first.lines.map((line) => line.text)),
        rawCer: characterErrorRate(image.expected, rawFirst),
      });
    }
    const accuracy: OcrAccuracy[] = [];
    const set: Array<() => Promise<TextImage>> = [
      cleanLabel,
      cleanSerifLabel,
      smallPrint,
      lightOnDark,
      rotatedSix,
      sidewaysExif,
      sidewaysUntagged,
      upsideDown,
      twoColumns,
      denseProse,
      blurred,
      lowQualityJpeg,
      receipt,
      chineseLabel,
    ];
    for (const make of set) {
      const image = await make();
      const product = await reader.read({ image: image.image });
      const rawLines = await rawRead(raw, image.image);
      accuracy.push({
        image: image.name,
        productCer: characterErrorRate(image.expected, product.lines.map((line) => line.text)),
        rawCer: characterErrorRate(image.expected, rawLines),
        productLines: product.lines.length,
        expectedLines: image.expected.length,
      });
    }
    return { timings, accuracy };
  } finally {
    await reader.dispose();
  }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
};

const percent = (value: number): string => `${(value * 100).toFixed(1)} %`;

/** The figures as table rows, header first. */
export function ocrTable(figures: OcrFigures): string[][] {
  const rows: string[][] = [['reading text (OCR)', 'product', 'raw engine', 'note']];
  for (const timing of figures.timings) {
    rows.push([
      `read ${timing.name}`,
      `${median(timing.productMs).toFixed(0)} ms (CER ${percent(timing.productCer)})`,
      `${median(timing.rawMs).toFixed(0)} ms (CER ${percent(timing.rawCer)})`,
      `median of ${timing.productMs.length} / ${timing.rawMs.length}`,
    ]);
  }
  let productSum = 0;
  let rawSum = 0;
  for (const row of figures.accuracy) {
    productSum += row.productCer;
    rawSum += row.rawCer;
    rows.push([`CER, ${row.image}`, percent(row.productCer), percent(row.rawCer), `${row.productLines}/${row.expectedLines} lines`]);
  }
  const count = Math.max(1, figures.accuracy.length);
  rows.push(['CER, mean over the test photos', percent(productSum / count), percent(rawSum / count), '']);
  return rows;
}

// `npx tsx bench/ocr-bench.ts` prints the table on its own.
if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = ocrTable(await measureOcr());
  for (const row of rows) console.log(row.join(' | '));
}
