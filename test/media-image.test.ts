import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { ScriptedVisionModel } from '../core/models/testing/scripted-vision-model.js';
import { imageOf, makeHarness } from './helpers/assistant-harness.js';
import {
  DEFAULT_IMAGE_LIMITS,
  fetchAndPreprocessImage,
  imageDecodeGate,
  MediaError,
  preprocessImage,
  readImageFile,
  type MediaErrorKind,
} from '../core/media/index.js';

// Every fixture is made here, by sharp or by hand; nothing binary is committed.
const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'media-image-'));
after(() => fs.rmSync(folder, { recursive: true, force: true }));

function writeFixture(name: string, data: Uint8Array | string): string {
  const filePath = path.join(folder, name);
  fs.writeFileSync(filePath, data);
  return filePath;
}

async function rejectsWith(promise: Promise<unknown>, kind: MediaErrorKind): Promise<MediaError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof MediaError, `expected a MediaError, got ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  return caught;
}

function solid(width: number, height: number, colour: string) {
  return sharp({ create: { width, height, channels: 3, background: colour } });
}

async function firstPixel(jpeg: Uint8Array): Promise<number[]> {
  const { data } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return [...data.subarray(0, 3)];
}

function assertColourNear(actual: number[], expected: number[], tolerance: number): void {
  const near = actual.every((value, index) => Math.abs(value - (expected[index] ?? 0)) <= tolerance);
  assert.ok(near, `colour ${actual.join(',')} is not within ${tolerance} of ${expected.join(',')}`);
}

// zlib.crc32 only arrived in Node 22; PNG chunks need it.
const CRC_TABLE = Array.from({ length: 256 }, (_, index) => {
  let value = index;
  for (let bit = 0; bit < 8; bit++) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
  return value >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** A valid PNG whose header claims the given size, with a single row of actual data. */
function pngClaiming(width: number, height: number, options: { interlaced?: boolean } = {}): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per sample
  header[9] = 2; // RGB
  header[12] = options.interlaced ? 1 : 0; // Adam7
  const oneRow = Buffer.alloc(1 + width * 3);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', zlib.deflateSync(oneRow)),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** A real progressive JPEG whose start-of-frame claims the given size: its header is all that is read. */
async function progressiveJpegClaiming(width: number, height: number): Promise<Buffer> {
  const jpeg = Buffer.from(await solid(64, 48, '#808080').jpeg({ progressive: true }).toBuffer());
  const frame = jpeg.findIndex((byte, index) => byte === 0xff && jpeg[index + 1] === 0xc2);
  assert.ok(frame > 0, 'the fixture has a progressive start-of-frame');
  jpeg.writeUInt16BE(height, frame + 5);
  jpeg.writeUInt16BE(width, frame + 7);
  return jpeg;
}

/**
 * A flat grey baseline JPEG whose three components come in three scans, one after another: libjpeg
 * then keeps the whole image's coefficients, as for a progressive one. Made by hand with one-code
 * Huffman tables, so every block is two zero bits ("DC unchanged", "end of block").
 */
function multiScanBaselineJpeg(width: number, height: number): Buffer {
  const segment = (marker: number, body: number[]) => {
    const header = Buffer.from([0xff, marker, 0, 0]);
    header.writeUInt16BE(body.length + 2, 2);
    return Buffer.concat([header, Buffer.from(body)]);
  };
  const quantisation = segment(0xdb, [0, ...new Array<number>(64).fill(1)]);
  const frame = segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
  const oneCodeTable = (tableClass: number) => [tableClass << 4, 1, ...new Array<number>(15).fill(0), 0];
  const huffman = segment(0xc4, [...oneCodeTable(0), ...oneCodeTable(1)]);
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const scanData = Buffer.alloc(Math.ceil((blocks * 2) / 8));
  const scans = [1, 2, 3].map((component) => Buffer.concat([segment(0xda, [1, component, 0, 0, 63, 0]), scanData]));
  return Buffer.concat([Buffer.from([0xff, 0xd8]), quantisation, frame, huffman, ...scans, Buffer.from([0xff, 0xd9])]);
}

function isoBox(type: string, ...parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(8 + body.length);
  return Buffer.concat([size, Buffer.from(type, 'latin1'), body]);
}

function isoFullBox(type: string, ...parts: Uint8Array[]): Buffer {
  return isoBox(type, Buffer.alloc(4), ...parts); // version 0, no flags
}

function uint(bytes: number, value: number): Buffer {
  const buffer = Buffer.alloc(bytes);
  buffer.writeUIntBE(value, 0, bytes);
  return buffer;
}

/** An iPhone-style HEIC container (one HEVC item) around a few bytes of HEVC data. */
function handMadeHeic(width: number, height: number): Buffer {
  const hevcPayload = Buffer.from([0, 0, 0, 4, 0x26, 0x01, 0xaf, 0x09]);
  const hevcConfiguration = isoBox(
    'hvcC',
    Buffer.from([1, 0x01, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 0x5a, 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 0]),
  );
  const properties = isoBox(
    'iprp',
    isoBox('ipco', hevcConfiguration, isoFullBox('ispe', uint(4, width), uint(4, height))),
    isoFullBox('ipma', uint(4, 1), uint(2, 1), Buffer.from([2, 0x81, 0x02])),
  );
  const itemInfo = isoFullBox(
    'iinf',
    uint(2, 1),
    isoBox('infe', Buffer.from([2, 0, 0, 0]), uint(2, 1), uint(2, 0), Buffer.from('hvc1\0', 'latin1')),
  );
  const fileType = isoBox('ftyp', Buffer.from('heic', 'latin1'), uint(4, 0), Buffer.from('mif1heic', 'latin1'));
  const metaWithDataAt = (offset: number) =>
    isoFullBox(
      'meta',
      isoFullBox('hdlr', uint(4, 0), Buffer.from('pict', 'latin1'), Buffer.alloc(13)),
      isoFullBox('pitm', uint(2, 1)),
      isoFullBox('iloc', Buffer.from([0x44, 0]), uint(2, 1), uint(2, 1), uint(2, 0), uint(2, 1), uint(4, offset), uint(4, hevcPayload.length)),
      itemInfo,
      properties,
    );
  const dataOffset = fileType.length + metaWithDataAt(0).length + 8;
  return Buffer.concat([fileType, metaWithDataAt(dataOffset), isoBox('mdat', hevcPayload)]);
}

/** Deterministic, so a failure can be replayed. */
function pseudoRandomBytes(count: number, seed: number): Buffer {
  const bytes = Buffer.alloc(count);
  let state = seed;
  for (let index = 0; index < count; index++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[index] = state >>> 24;
  }
  return bytes;
}

test('a 4000×3000 JPEG becomes a JPEG 1536 wide with the same aspect ratio', async () => {
  const input = await solid(4000, 3000, '#808080').jpeg().toBuffer();
  const prepared = await preprocessImage(input);
  assert.equal(prepared.mediaType, 'image/jpeg');
  assert.deepEqual([prepared.width, prepared.height], [1536, 1152]);
  assert.deepEqual(prepared.source, { format: 'jpeg', width: 4000, height: 3000, pages: 1, bytes: input.length });
  const output = await sharp(prepared.data).metadata();
  assert.equal(output.format, 'jpeg');
  assert.deepEqual([output.width, output.height], [1536, 1152]);
});

test('a small image is not enlarged', async () => {
  const prepared = await preprocessImage(await solid(300, 200, '#808080').png().toBuffer());
  assert.deepEqual([prepared.width, prepared.height], [300, 200]);
});

test('readImageFile: a missing path is not-found', async () => {
  await rejectsWith(readImageFile(path.join(folder, 'no-such-photo.jpg')), 'not-found');
});

test('readImageFile: a directory is not-a-file', async () => {
  const directory = path.join(folder, 'photos');
  fs.mkdirSync(directory);
  await rejectsWith(readImageFile(directory), 'not-a-file');
});

test('readImageFile: a 0-byte file is empty', async () => {
  await rejectsWith(readImageFile(writeFixture('empty.jpg', '')), 'empty');
});

test('readImageFile: a file over the limit is too-large, judged by its size alone', async () => {
  const filePath = path.join(folder, 'huge.jpg');
  // Sparse: costs no disk, and reading it instead of stat-ing it would be slow.
  fs.writeFileSync(filePath, '');
  fs.truncateSync(filePath, DEFAULT_IMAGE_LIMITS.maxInputBytes + 1);
  const error = await rejectsWith(readImageFile(filePath), 'too-large');
  assert.deepEqual(error.details, {
    limitBytes: DEFAULT_IMAGE_LIMITS.maxInputBytes,
    actualBytes: DEFAULT_IMAGE_LIMITS.maxInputBytes + 1,
  });
});

test('preprocessImage: 0 bytes is empty', async () => {
  await rejectsWith(preprocessImage(new Uint8Array(0)), 'empty');
});

test('a text file named photo.jpg is not-an-image', async () => {
  const filePath = writeFixture('photo.jpg', 'Shopping list:\n- milk\n- bread\n');
  await rejectsWith(preprocessImage(await readImageFile(filePath)), 'not-an-image');
});

test('random bytes are not-an-image', async () => {
  await rejectsWith(preprocessImage(pseudoRandomBytes(4096, 42)), 'not-an-image');
});

test('a truncated JPEG is corrupt, not a grey half-image', async () => {
  const noise = { type: 'gaussian' as const, mean: 128, sigma: 40 };
  // Noise, so the entropy-coded data is most of the file and the cut lands inside it.
  const noisy = { width: 640, height: 480, channels: 3 as const, background: '#808080', noise };
  const jpeg = await sharp({ create: noisy }).jpeg().toBuffer();
  const truncated = jpeg.subarray(0, Math.floor(jpeg.length * 0.6));
  const error = await rejectsWith(preprocessImage(truncated), 'corrupt');
  assert.equal(error.details?.format, 'jpeg');
});

test('a PNG claiming 50,000 × 50,000 is refused from its header, before any decoding', async () => {
  const bomb = pngClaiming(50_000, 50_000);
  assert.ok(bomb.length < 1000, 'the fixture itself stays tiny');
  // The cost of refusing it is a bench figure (npm run bench, memory table), not a timed test.
  const error = await rejectsWith(preprocessImage(bomb), 'too-many-pixels');
  assert.deepEqual(error.details, { width: 50_000, height: 50_000, limitPixels: DEFAULT_IMAGE_LIMITS.maxInputPixels });
});

test('an input over maxInputBytes is too-large before any decoding', async () => {
  // Zeros are no image: decoding first would say not-an-image.
  const input = new Uint8Array(DEFAULT_IMAGE_LIMITS.maxInputBytes + 1);
  const error = await rejectsWith(preprocessImage(input), 'too-large');
  assert.equal(error.details?.actualBytes, DEFAULT_IMAGE_LIMITS.maxInputBytes + 1);

  const photo = await solid(100, 100, '#808080').jpeg().toBuffer();
  await rejectsWith(preprocessImage(photo, { ...DEFAULT_IMAGE_LIMITS, maxInputBytes: photo.length - 1 }), 'too-large');
});

test('an animated GIF gives its first frame and reports its page count', async () => {
  const frames = await Promise.all(['#ff0000', '#00ff00', '#0000ff'].map((colour) => solid(40, 30, colour).png().toBuffer()));
  const gif = await sharp(frames, { join: { animated: true } }).gif().toBuffer();
  const prepared = await preprocessImage(gif);
  assert.equal(prepared.source.pages, 3);
  assert.deepEqual([prepared.width, prepared.height], [40, 30]);
  assertColourNear(await firstPixel(prepared.data), [255, 0, 0], 20);
});

test('a CMYK JPEG becomes 3-channel sRGB of about the same colour', async () => {
  const cmyk = await solid(60, 40, '#ff8000').toColourspace('cmyk').jpeg().toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  const prepared = await preprocessImage(cmyk);
  const output = await sharp(prepared.data).metadata();
  assert.equal(output.space, 'srgb');
  assert.equal(output.channels, 3);
  assertColourNear(await firstPixel(prepared.data), [255, 128, 0], 25);
});

test('16-bit colour and 16-bit greyscale PNGs become 8-bit sRGB', async () => {
  for (const colourspace of ['rgb16', 'grey16']) {
    const png = await solid(60, 40, '#336699').toColourspace(colourspace).png().toBuffer();
    assert.equal((await sharp(png).metadata()).depth, 'ushort');
    const prepared = await preprocessImage(png);
    const output = await sharp(prepared.data).metadata();
    assert.equal(output.depth, 'uchar', colourspace);
    assert.equal(output.space, 'srgb', colourspace);
    assert.equal(output.channels, 3, colourspace);
  }
  const colour = await preprocessImage(await solid(60, 40, '#336699').toColourspace('rgb16').png().toBuffer());
  assertColourNear(await firstPixel(colour.data), [0x33, 0x66, 0x99], 10);
});

test('EXIF orientation 6 is applied, and no EXIF (GPS included) survives', async () => {
  // Stored landscape: red left half, blue right half. Orientation 6 turns it a quarter clockwise.
  const stored = await solid(400, 200, '#0000ff')
    .composite([{ input: { create: { width: 200, height: 200, channels: 3, background: '#ff0000' } }, left: 0, top: 0 }])
    .jpeg()
    .withExif({ IFD0: { Make: 'TestCam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' } })
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const storedMetadata = await sharp(stored).metadata();
  assert.equal(storedMetadata.orientation, 6);
  assert.ok(storedMetadata.exif?.includes('TestCam'), 'fixture carries EXIF');

  const prepared = await preprocessImage(stored);
  assert.deepEqual([prepared.width, prepared.height], [200, 400]);
  assert.deepEqual([prepared.source.width, prepared.source.height], [200, 400]);
  const output = await sharp(prepared.data).metadata();
  assert.equal(output.exif, undefined);
  assert.equal(output.orientation, undefined);
  assert.ok(!Buffer.from(prepared.data).includes('TestCam'), 'no EXIF bytes in the output');
  const { data } = await sharp(prepared.data).raw().toBuffer({ resolveWithObject: true });
  assertColourNear([...data.subarray(0, 3)], [255, 0, 0], 20); // top: the stored left half
  assertColourNear([...data.subarray(data.length - 3)], [0, 0, 255], 20); // bottom
});

test('transparency is flattened onto white', async () => {
  const transparentBlack = { width: 50, height: 50, channels: 4 as const, background: { r: 0, g: 0, b: 0, alpha: 0 } };
  const png = await sharp({ create: transparentBlack }).png().toBuffer();
  const prepared = await preprocessImage(png);
  assert.equal((await sharp(prepared.data).metadata()).channels, 3);
  assertColourNear(await firstPixel(prepared.data), [255, 255, 255], 3);
});

test('SVG and PDF are unsupported-format', async () => {
  const svg = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';
  const svgError = await rejectsWith(preprocessImage(Buffer.from(svg)), 'unsupported-format');
  assert.equal(svgError.details?.format, 'svg');
  const pdf = '%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n';
  const pdfError = await rejectsWith(preprocessImage(Buffer.from(pdf)), 'unsupported-format');
  assert.equal(pdfError.details?.format, 'pdf');
});

test('HEIC that this sharp build cannot decode is unsupported-format, named heic', async () => {
  // sharp's prebuilt libvips has no HEVC decoder; a build with libde265 would call this data corrupt.
  const error = await rejectsWith(preprocessImage(handMadeHeic(64, 48)), 'unsupported-format');
  assert.equal(error.details?.format, 'heic');
});

test('the default pixel limit takes a 64-megapixel phone photo and refuses an 80-megapixel image', async () => {
  // A non-interlaced PNG streams: the 64-megapixel one gets past the limits to the decoder, which
  // finds only one row of data.
  await rejectsWith(preprocessImage(pngClaiming(9248, 6936)), 'corrupt');
  const error = await rejectsWith(preprocessImage(pngClaiming(10_000, 8000)), 'too-many-pixels');
  assert.deepEqual(error.details, { width: 10_000, height: 8000, limitPixels: 65_000_000 });
});

test('an interlaced PNG or progressive JPEG too large to decode within the memory budget is refused from its header', async () => {
  // 49 megapixels, within the pixel limit, but both decoders hold the whole image: about 168 MiB
  // for 8-bit RGB PNG and 187 MiB of JPEG coefficients, over the 160 MiB budget.
  const png = await rejectsWith(preprocessImage(pngClaiming(7000, 7000, { interlaced: true })), 'too-many-pixels');
  assert.deepEqual(png.details, { width: 7000, height: 7000, limitPixels: Math.floor(DEFAULT_IMAGE_LIMITS.maxDecodeBytes / 3.6), format: 'png' });
  const jpeg = await rejectsWith(preprocessImage(await progressiveJpegClaiming(7000, 7000)), 'too-many-pixels');
  assert.deepEqual(jpeg.details, { width: 7000, height: 7000, limitPixels: Math.floor(DEFAULT_IMAGE_LIMITS.maxDecodeBytes / 4), format: 'jpeg' });
  // The same sizes stream when not interlaced: only the pixel limit applies to them.
  await rejectsWith(preprocessImage(pngClaiming(7000, 7000)), 'corrupt');
  // A baseline JPEG in several scans is held whole too (6 bytes a pixel in 4:4:4).
  const multiScan = await rejectsWith(preprocessImage(multiScanBaselineJpeg(7000, 7000)), 'too-many-pixels');
  assert.deepEqual(multiScan.details, { width: 7000, height: 7000, limitPixels: Math.floor(DEFAULT_IMAGE_LIMITS.maxDecodeBytes / 6), format: 'jpeg' });
  const small = await preprocessImage(multiScanBaselineJpeg(64, 48));
  assert.deepEqual([small.width, small.height], [64, 48]);
});

test('the decode budget applies to the formats decoded whole, and such images within it open', async () => {
  const side = 600;
  const flat = () => solid(side, side, '#336699');
  const streamed = [await flat().jpeg().toBuffer(), await flat().png().toBuffer(), await flat().webp().toBuffer()];
  const whole = [
    await flat().jpeg({ progressive: true }).toBuffer(),
    await flat().png({ progressive: true }).toBuffer(),
    await flat().gif().toBuffer(),
  ];
  for (const image of [...streamed, ...whole]) {
    const prepared = await preprocessImage(image);
    assert.deepEqual([prepared.width, prepared.height], [side, side]);
  }
  // A budget of 1 MiB: 600 × 600 decoded whole takes more, decoded a strip at a time it does not.
  const tight = { ...DEFAULT_IMAGE_LIMITS, maxDecodeBytes: 1024 * 1024 };
  for (const image of streamed) await preprocessImage(image, tight);
  for (const image of whole) {
    const error = await rejectsWith(preprocessImage(image, tight), 'too-many-pixels');
    assert.equal(error.details?.width, side);
  }
});

test('the whole process decodes at most two images at once, and whole-image decodes reserve their memory', async () => {
  const photo = await solid(1200, 900, '#808080').jpeg({ progressive: true }).toBuffer();
  imageDecodeGate.resetHighWaterMarks();
  await Promise.all(Array.from({ length: 8 }, () => preprocessImage(photo)));
  assert.deepEqual(imageDecodeGate.running, { now: 0, most: 2 });
  // 1200 × 900 × 4 bytes of coefficients each, two at once.
  assert.deepEqual(imageDecodeGate.reservedBytes, { now: 0, most: 2 * 1200 * 900 * 4 });
});

test('a burst of photos holds at most six at once between the start of their download and the end of their decode', async () => {
  const photo = await solid(64, 48, '#808080').jpeg().toBuffer();
  const downloads: Array<(bytes: Uint8Array) => void> = [];
  const fetch = () => new Promise<Uint8Array>((resolve) => downloads.push(resolve));
  const prepared = Array.from({ length: 20 }, () => fetchAndPreprocessImage(fetch));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(downloads.length, 6, 'six downloads started; the other photos wait their turn');
  // Each finished photo lets the next one start downloading, until all are done.
  for (let answered = 0; answered < 20; answered += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    downloads[answered]!(photo);
    await prepared[answered];
  }
  assert.equal(downloads.length, 20);
  for (const result of await Promise.all(prepared)) assert.equal(result.width, 64);
});

test('the user hears why a photo too large to decode was refused, with the limit and what to do', async () => {
  const harness = makeHarness(new ScriptedVisionModel());
  try {
    const parts = await harness.send({ text: 'What is this?', images: [imageOf(await progressiveJpegClaiming(7000, 7000))] });
    assert.deepEqual(
      parts.map((part) => [part.type, part.text]),
      [['problem', 'That photo has too many pixels for me to open safely; I can open up to 42 million. Try sending it as a photo instead of a file, or a smaller copy.']],
    );
  } finally {
    harness.close();
  }
});

test('a GIF whose frame lies far outside its screen is corrupt, not an error of ours', async () => {
  // Found by the media fuzz: libvips says "gifload: bad image dimensions", then "Out of memory".
  const gif = Buffer.from(await solid(40, 30, '#808080').gif().toBuffer());
  const descriptor = gif.indexOf(Buffer.from([0x2c, 0, 0, 0, 0, 40, 0, 30, 0]));
  assert.ok(descriptor > 0, 'the fixture has the image descriptor where expected');
  gif.writeUInt16LE(48_128, descriptor + 1); // left
  gif.writeUInt16LE(32_808, descriptor + 5); // width
  const error = await rejectsWith(preprocessImage(gif), 'corrupt');
  assert.equal(error.details?.format, 'gif');
});
