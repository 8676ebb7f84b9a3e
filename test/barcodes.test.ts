import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ModelError, type ModelErrorKind } from '../core/models/model-error.js';
import { barcodeFormatName, parseBarcodeContent } from '../core/models/barcodes/barcode-content.js';
import { ZxingBarcodeScanner } from '../core/models/barcodes/zxing-barcode-scanner.js';
import type { Barcode } from '../core/perception/barcode-scanner.js';
import { photographCode, writeCode } from './helpers/barcode-images.js';
import { runEntry } from './helpers/run-cli.js';

// No network, in this process: fetch is replaced before any zxing module is loaded (the scanner
// and the code writer import zxing-wasm only at first use; the imports above load none of it), and
// the last test checks it was never called. A fresh process below checks the same from a clean start.
const fetchCalls: string[] = [];
globalThis.fetch = async (input: string | URL | Request): Promise<Response> => {
  fetchCalls.push(input instanceof Request ? input.url : String(input));
  throw new Error('The barcode tests must not touch the network');
};

const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'barcodes-'));
after(() => fs.rmSync(folder, { recursive: true, force: true }));

const scanner = new ZxingBarcodeScanner();

/** A 1600 × 1200 phone-like photo (label turned 5 degrees, blurred, JPEG quality 60) of one code. */
async function photoOf(text: string, format: 'QRCode' | 'EAN13', codeWidth = 360): Promise<Buffer> {
  return photographCode(await writeCode(text, format, 4), { width: 1600, height: 1200, codeWidth, rotateDegrees: 5 });
}

async function rejectsWith(promise: Promise<unknown>, kind: ModelErrorKind): Promise<ModelError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof ModelError, `expected a ModelError, got ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  return caught;
}

test('a QR code with a web address is reported as the address, in a turned, blurred JPEG', async () => {
  const url = 'https://example.org/menu?table=12&lang=en';
  const found = await scanner.scan(await photoOf(url, 'QRCode'));
  assert.deepEqual(found, [{ format: 'QR code', content: { kind: 'url', url } }]);
});

test('a Wi-Fi QR code gives the network name and security, never the password', async () => {
  const secret = 'correct-horse-battery';
  const found = await scanner.scan(await photoOf(`WIFI:T:WPA;S:Cafe Lumière;P:${secret};;`, 'QRCode'));
  assert.deepEqual(found, [{ format: 'QR code', content: { kind: 'wifi', network: 'Cafe Lumière', security: 'WPA', hasPassword: true } }]);
  assert.ok(!JSON.stringify(found).includes(secret));
});

test('a QR code with plain text is reported verbatim, accents and Chinese included', async () => {
  const text = 'Take 2 tablets twice daily. 每日两次，每次两片。Crème 3.5%';
  const found = await scanner.scan(await photoOf(text, 'QRCode'));
  assert.deepEqual(found, [{ format: 'QR code', content: { kind: 'text', text } }]);
});

test('an EAN-13 gives its product number', async () => {
  const found = await scanner.scan(await photoOf('4006381333931', 'EAN13', 420));
  assert.deepEqual(found, [{ format: 'EAN-13', content: { kind: 'product', number: '4006381333931' } }]);
});

test('an EAN-13 in a 12-megapixel photo, scaled down before the scan, is still read', async () => {
  const photo = await photographCode(await writeCode('5901234123457', 'EAN13', 4), {
    width: 4000,
    height: 3000,
    codeWidth: 760,
    rotateDegrees: -3,
  });
  const found = await scanner.scan(photo);
  assert.deepEqual(found, [{ format: 'EAN-13', content: { kind: 'product', number: '5901234123457' } }]);
});

test('two codes in one photo taken sideways (EXIF orientation 6) are both reported', async () => {
  const qr = await photographCode(await writeCode('https://example.org/a', 'QRCode', 4), { width: 900, height: 900, codeWidth: 300 });
  const ean = await photographCode(await writeCode('4006381333931', 'EAN13', 4), { width: 900, height: 900, codeWidth: 420 });
  const both = await sharp({ create: { width: 1800, height: 900, channels: 3, background: '#706050' } })
    .composite([
      { input: qr, left: 0, top: 0 },
      { input: ean, left: 900, top: 0 },
    ])
    .jpeg()
    .toBuffer();
  // Stored turned a quarter the other way, with the tag that tells viewers to turn it back.
  const sideways = await sharp(both).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 70 }).toBuffer();
  const found = await scanner.scan(sideways);
  const sorted = [...found].sort((a, b) => a.format.localeCompare(b.format));
  assert.deepEqual(sorted, [
    { format: 'EAN-13', content: { kind: 'product', number: '4006381333931' } },
    { format: 'QR code', content: { kind: 'url', url: 'https://example.org/a' } },
  ]);
});

test('the same code twice in a photo is reported once', async () => {
  const sticker = await photographCode(await writeCode('Room 214', 'QRCode', 4), { width: 700, height: 700, codeWidth: 280 });
  const twice = await sharp({ create: { width: 1400, height: 700, channels: 3, background: '#706050' } })
    .composite([
      { input: sticker, left: 0, top: 0 },
      { input: sticker, left: 700, top: 0 },
    ])
    .jpeg({ quality: 80 })
    .toBuffer();
  const found = await scanner.scan(twice);
  assert.deepEqual(found, [{ format: 'QR code', content: { kind: 'text', text: 'Room 214' } }]);
});

test('a photo without a barcode gives an empty list', async () => {
  // The same photo, label and all, only the label is blank.
  const blank = await sharp({ create: { width: 400, height: 400, channels: 3, background: '#ffffff' } }).png().toBuffer();
  const found = await scanner.scan(await photographCode(blank, { width: 1600, height: 1200, codeWidth: 400 }));
  assert.deepEqual(found, []);
});

test('a cancelled scan throws aborted, whether cancelled before or while it runs', async () => {
  const photo = await photoOf('https://example.org/', 'QRCode');
  await rejectsWith(scanner.scan(photo, AbortSignal.abort()), 'aborted');
  const controller = new AbortController();
  const scanning = scanner.scan(photo, controller.signal);
  controller.abort();
  await rejectsWith(scanning, 'aborted');
  // Not a dead end: the same photo scans afterwards.
  assert.equal((await scanner.scan(photo)).length, 1);
});

test('bytes that are not an image fail as failed', async () => {
  await rejectsWith(scanner.scan(new TextEncoder().encode('not a photo at all')), 'failed');
});

test('a missing or broken WebAssembly file is unavailable, and a good one works again afterwards', async () => {
  const photo = await photoOf('https://example.org/', 'QRCode');
  await rejectsWith(new ZxingBarcodeScanner({ wasmPath: path.join(folder, 'missing.wasm') }).scan(photo), 'unavailable');
  const broken = path.join(folder, 'broken.wasm');
  // A real WebAssembly header and then garbage: the file opens, the module does not compile.
  fs.writeFileSync(broken, Buffer.concat([Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]), Buffer.alloc(64, 0xff)]));
  await rejectsWith(new ZxingBarcodeScanner({ wasmPath: broken }).scan(photo), 'unavailable');
  assert.deepEqual(await scanner.scan(photo), [{ format: 'QR code', content: { kind: 'url', url: 'https://example.org/' } }]);
});

test('content: product numbers from EAN/UPC, web addresses, Wi-Fi without its password, the rest as text', () => {
  assert.deepEqual(parseBarcodeContent('4006381333931', 'EAN13'), { kind: 'product', number: '4006381333931' });
  assert.deepEqual(parseBarcodeContent('96385074', 'EAN8'), { kind: 'product', number: '96385074' });
  assert.deepEqual(parseBarcodeContent('036000291452', 'UPCA'), { kind: 'product', number: '036000291452' });
  assert.deepEqual(parseBarcodeContent('01234565', 'UPCE'), { kind: 'product', number: '01234565' });
  // Digits in a QR code are just text: only product symbologies carry product numbers.
  assert.deepEqual(parseBarcodeContent('4006381333931', 'QRCode'), { kind: 'text', text: '4006381333931' });

  assert.deepEqual(parseBarcodeContent('https://example.org/a?b=1', 'QRCode'), { kind: 'url', url: 'https://example.org/a?b=1' });
  assert.deepEqual(parseBarcodeContent('HTTP://EXAMPLE.ORG', 'QRCode'), { kind: 'url', url: 'HTTP://EXAMPLE.ORG' });
  assert.deepEqual(parseBarcodeContent(' https://example.org/x \n', 'QRCode'), { kind: 'url', url: 'https://example.org/x' });
  for (const notWeb of ['ftp://example.org/file', 'javascript:alert(1)', 'www.example.org', 'see https://example.org', 'https://']) {
    assert.deepEqual(parseBarcodeContent(notWeb, 'QRCode'), { kind: 'text', text: notWeb }, notWeb);
  }

  const secret = 's3cr;et:pass';
  const codes: Array<[string, object]> = [
    ['WIFI:S:name;T:WPA;P:secret;;', { kind: 'wifi', network: 'name', security: 'WPA', hasPassword: true }],
    [`WIFI:T:WPA;S:Home\\;Net;P:${secret.replace(/[;:]/g, '\\$&')};H:false;;`, { kind: 'wifi', network: 'Home;Net', security: 'WPA', hasPassword: true }],
    ['wifi:s:"4142";t:wep;p:"abcde";;', { kind: 'wifi', network: '4142', security: 'WEP', hasPassword: true }],
    ['WIFI:S:Guest;T:nopass;P:;;', { kind: 'wifi', network: 'Guest', security: 'none', hasPassword: false }],
    ['WIFI:S:Open;;', { kind: 'wifi', network: 'Open', hasPassword: false }],
    ['WIFI:S:Lab;T:SAE;P:x;;', { kind: 'wifi', network: 'Lab', security: 'WPA3', hasPassword: true }],
  ];
  for (const [code, expected] of codes) {
    const content = parseBarcodeContent(code, 'QRCode');
    assert.deepEqual(content, expected, code);
    for (const password of ['secret', secret, 'abcde', '"abcde"']) {
      assert.ok(!JSON.stringify(content).includes(password), `${code} leaks its password`);
    }
  }
  // No network name: not a usable Wi-Fi code, so its text is read as it is.
  assert.deepEqual(parseBarcodeContent('WIFI:T:WPA;P:x;;', 'QRCode'), { kind: 'text', text: 'WIFI:T:WPA;P:x;;' });
  assert.deepEqual(parseBarcodeContent('Batch 42, best before 2027-03', 'DataMatrix'), {
    kind: 'text',
    text: 'Batch 42, best before 2027-03',
  });
});

test('format names are the ones people know', () => {
  const names = ['EAN13', 'EAN8', 'UPCA', 'UPCE', 'Code128', 'Code39', 'QRCode', 'DataMatrix', 'PDF417', 'Aztec'].map(barcodeFormatName);
  assert.deepEqual(names, ['EAN-13', 'EAN-8', 'UPC-A', 'UPC-E', 'Code 128', 'Code 39', 'QR code', 'Data Matrix', 'PDF417', 'Aztec code']);
});

interface ChildReport {
  readonly fetchCalls: string[];
  readonly found?: readonly Barcode[];
  readonly error?: string;
}

/**
 * Scans `photo` in a new Node process whose fetch records its calls and fails, installed before
 * anything of zxing is loaded: `product` with the scanner, `bare` with zxing-wasm as it comes.
 */
async function scanInFreshProcess(photo: string, mode: 'product' | 'bare'): Promise<ChildReport> {
  const result = await runEntry('test/fixtures/scan-offline.ts', [photo, mode]);
  if (result.code !== 0) throw new Error(`The child exited with ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as ChildReport;
}

test('a fresh process scans without calling fetch, where zxing-wasm as it comes would fetch from its CDN', async () => {
  const photo = path.join(folder, 'menu.jpg');
  fs.writeFileSync(photo, await photoOf('https://example.org/menu', 'QRCode'));

  const product = await scanInFreshProcess(photo, 'product');
  assert.equal(product.error, undefined);
  assert.deepEqual(product.fetchCalls, []);
  assert.deepEqual(product.found, [{ format: 'QR code', content: { kind: 'url', url: 'https://example.org/menu' } }]);

  // The trap works: without the local .wasm handed over, zxing-wasm reaches for the network.
  const bare = await scanInFreshProcess(photo, 'bare');
  assert.ok(bare.fetchCalls.length > 0, JSON.stringify(bare));
  assert.match(bare.fetchCalls[0]!, /^https:\/\/.*zxing_reader\.wasm$/);
  assert.notEqual(bare.error, undefined);
});

// Last, after every scan and every code written in this process.
test('nothing in this process called fetch', () => {
  assert.deepEqual(fetchCalls, []);
});
