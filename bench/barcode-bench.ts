/**
 * Barcode scanning (core/models/barcodes): the scan of a 12-megapixel phone-like photo of an
 * EAN-13 and of a 1-megapixel one of a QR code, and the first use (reading and compiling zxing's
 * WebAssembly) apart, on photos made by test/helpers/barcode-images.ts.
 */
import sharp from 'sharp';
import { ZxingBarcodeScanner } from '../core/models/barcodes/zxing-barcode-scanner.js';
import { photographCode, writeCode } from '../test/helpers/barcode-images.js';

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
