/**
 * Barcode scanning (core/models/barcodes): the scan of a 12-megapixel phone-like photo of an
 * EAN-13 and of a 1-megapixel one of a QR code, and the first use (reading and compiling zxing's
 * WebAssembly) apart. Also home of the photo generator test/barcodes.test.ts uses: codes written
 * by zxing-wasm's own writer (from its local .wasm, like the scanner) and photographed by sharp.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import type { WriterOptions } from 'zxing-wasm/writer';
import { ZxingBarcodeScanner } from '../core/models/barcodes/zxing-barcode-scanner.js';

type ZxingWriter = typeof import('zxing-wasm/writer');

let writer: Promise<ZxingWriter> | undefined;

/** zxing's writer, started from the package's own .wasm: never the CDN, as for the scanner. */
function loadWriter(): Promise<ZxingWriter> {
  writer ??= (async () => {
    const wasm = await readFile(createRequire(import.meta.url).resolve('zxing-wasm/writer/zxing_writer.wasm'));
    const zxing = await import('zxing-wasm/writer');
    await zxing.prepareZXingModule({
      overrides: { wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) },
      fireImmediately: true,
    });
    return zxing;
  })();
  return writer;
}

export type WritableCode = NonNullable<WriterOptions['format']>;

/** A crisp code as zxing draws it (PNG, quiet zone included), `moduleSize` pixels per bar unit. */
export async function writeCode(text: string, format: WritableCode, moduleSize: number): Promise<Buffer> {
  const zxing = await loadWriter();
  const written = await zxing.writeBarcode(text, { format, scale: moduleSize, withQuietZones: true });
  if (written.error !== '' || written.image === null) throw new Error(`zxing could not write ${format}: ${written.error}`);
  return Buffer.from(await written.image.arrayBuffer());
}

export interface PhotoOptions {
  readonly width: number;
  readonly height: number;
  /** Width the code takes in the photo, in pixels (its height follows). */
  readonly codeWidth: number;
  readonly rotateDegrees?: number;
  readonly blurSigma?: number;
  readonly quality?: number;
}

/**
 * A phone-like photo of a printed code: a white label with the code, turned a few degrees, on a
 * noisy background off-centre, a little out of focus, saved as a fairly compressed JPEG.
 */
export async function photographCode(code: Buffer, options: PhotoOptions): Promise<Buffer> {
  const { width, height, codeWidth, rotateDegrees = 4, blurSigma = 1.2, quality = 60 } = options;
  const scaled = await sharp(code).resize({ width: codeWidth, kernel: 'nearest' }).flatten({ background: '#ffffff' }).png().toBuffer();
  const meta = await sharp(scaled).metadata();
  const margin = Math.round(codeWidth * 0.08);
  const label = await sharp({
    create: { width: (meta.width ?? 0) + 2 * margin, height: (meta.height ?? 0) + 2 * margin, channels: 3, background: '#f4f1ea' },
  })
    .composite([{ input: scaled, left: margin, top: margin }])
    .png()
    .toBuffer();
  // Turned on a transparent background, so the label itself lies askew on the table.
  const turned = await sharp(label)
    .ensureAlpha()
    .rotate(rotateDegrees, { background: { r: 0, g: 0, b: 0, alpha: 0 } })
    .png()
    .toBuffer();
  const turnedMeta = await sharp(turned).metadata();
  const background = await sharp({
    create: { width, height, channels: 3, background: { r: 120, g: 100, b: 80 }, noise: { type: 'gaussian', mean: 110, sigma: 35 } },
  })
    .png()
    .toBuffer();
  return sharp(background)
    .composite([
      {
        input: turned,
        left: Math.round((width - (turnedMeta.width ?? 0)) * 0.4),
        top: Math.round((height - (turnedMeta.height ?? 0)) * 0.55),
      },
    ])
    .blur(blurSigma)
    .jpeg({ quality })
    .toBuffer();
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

const RUNS = 10;

/**
 * Scan times in ms (median, p95 over RUNS), and the first use apart: loading zxing (reading and
 * compiling its .wasm) and the first scan after it, which runs WebAssembly not yet optimised.
 * A table with its header.
 */
export async function measureBarcodes(): Promise<string[][]> {
  const ean = await photographCode(await writeCode('4006381333931', 'EAN13', 4), {
    width: 4000,
    height: 3000,
    codeWidth: 760,
  });
  const qr = await photographCode(await writeCode('https://example.org/menu?table=12', 'QRCode', 4), {
    width: 1200,
    height: 900,
    codeWidth: 300,
  });
  const blankLabel = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#ffffff' } }).png().toBuffer();
  const none = await photographCode(blankLabel, { width: 4000, height: 3000, codeWidth: 700 });

  const scanner = new ZxingBarcodeScanner();
  const loadStarted = performance.now();
  await scanner.warmUp();
  const load = performance.now() - loadStarted;
  const firstStarted = performance.now();
  await scanner.scan(qr);
  const firstScan = performance.now() - firstStarted;

  const rows: string[][] = [['barcodes (zxing-wasm)', 'median ms', 'p95 ms', 'found']];
  rows.push(['first use: load zxing_reader.wasm from disk', load.toFixed(0), '', '']);
  rows.push(['first use: first scan after it, 1 MP QR code', firstScan.toFixed(0), '', '']);
  for (const [name, photo] of [
    ['12 MP photo, EAN-13', ean],
    ['1 MP photo, QR code', qr],
    ['12 MP photo, no code', none],
  ] as const) {
    const samples: number[] = [];
    let found = '';
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now();
      const barcodes = await scanner.scan(photo);
      samples.push(performance.now() - started);
      found = barcodes.map((barcode) => barcode.format).join(', ') || 'nothing';
    }
    samples.sort((a, b) => a - b);
    rows.push([name, percentile(samples, 0.5).toFixed(0), percentile(samples, 0.95).toFixed(0), found]);
  }
  return rows;
}

// `npx tsx bench/barcode-bench.ts` prints the table on its own.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await measureBarcodes()) console.log(row.join(' | '));
}
