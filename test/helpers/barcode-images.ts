import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import type { WriterOptions } from 'zxing-wasm/writer';

/*
 * Photos of barcodes made on the spot: codes written by zxing-wasm's own writer (from its local
 * .wasm, never the CDN, like the scanner) and photographed by sharp. For the tests and the bench.
 */

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
