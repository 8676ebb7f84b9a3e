import sharp from 'sharp';

/** A real JPEG of one flat colour, made on the spot (no committed binaries). */
export async function solidJpeg(width: number, height: number, colour = { r: 200, g: 40, b: 40 }): Promise<Uint8Array> {
  return sharp({ create: { width, height, channels: 3, background: colour } }).jpeg({ quality: 90 }).toBuffer();
}

/** A noisy photo-like JPEG: compresses like a real photo, unlike a flat colour. */
export async function noisyJpeg(width: number, height: number): Promise<Uint8Array> {
  return sharp({
    create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 }, noise: { type: 'gaussian', mean: 128, sigma: 40 } },
  })
    .jpeg({ quality: 90 })
    .toBuffer();
}
