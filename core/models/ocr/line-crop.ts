import type { RotatedRect } from './geometry.js';

/** Interleaved 8-bit RGB pixels. */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** A text line cut out upright at a fixed height, as 8-bit RGB. */
export interface LineCrop {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/**
 * Cuts a rotated rectangle out of the image, straightened, `height` pixels high and as wide as its
 * proportions make it (at most `maxWidth`). Each output pixel averages a grid of bilinear samples as
 * fine as the source pixels, so large text shrunk to the recogniser's height keeps its strokes
 * instead of aliasing into broken ones.
 */
export function cropLine(image: RgbImage, rect: RotatedRect, height: number, maxWidth: number, stretch = 1): LineCrop {
  const width = Math.max(1, Math.min(maxWidth, Math.round((stretch * height * rect.width) / Math.max(1, rect.height))));
  const out = new Uint8Array(width * height * 3);
  const stepX = rect.width / width;
  const stepY = rect.height / height;
  const samplesX = Math.min(4, Math.max(1, Math.ceil(stepX)));
  const samplesY = Math.min(4, Math.max(1, Math.ceil(stepY)));
  const { ux, uy } = rect;
  const vx = -uy;
  const vy = ux;
  // Source position of the crop's top-left corner.
  const originX = rect.cx - (rect.width / 2) * ux - (rect.height / 2) * vx;
  const originY = rect.cy - (rect.width / 2) * uy - (rect.height / 2) * vy;
  const { data, width: sw, height: sh } = image;
  const maxX = sw - 1;
  const maxY = sh - 1;
  const weight = 1 / (samplesX * samplesY);
  const accumulator = [0, 0, 0];

  for (let oy = 0; oy < height; oy += 1) {
    for (let ox = 0; ox < width; ox += 1) {
      accumulator[0] = 0;
      accumulator[1] = 0;
      accumulator[2] = 0;
      for (let j = 0; j < samplesY; j += 1) {
        const b = (oy + (j + 0.5) / samplesY) * stepY;
        for (let i = 0; i < samplesX; i += 1) {
          const a = (ox + (i + 0.5) / samplesX) * stepX;
          // Pixel centres sit at +0.5: shift to index space before interpolating.
          let x = originX + a * ux + b * vx - 0.5;
          let y = originY + a * uy + b * vy - 0.5;
          x = x < 0 ? 0 : x > maxX ? maxX : x;
          y = y < 0 ? 0 : y > maxY ? maxY : y;
          const x0 = x | 0;
          const y0 = y | 0;
          const x1 = x0 < maxX ? x0 + 1 : x0;
          const y1 = y0 < maxY ? y0 + 1 : y0;
          const fx = x - x0;
          const fy = y - y0;
          const i00 = (y0 * sw + x0) * 3;
          const i01 = (y0 * sw + x1) * 3;
          const i10 = (y1 * sw + x0) * 3;
          const i11 = (y1 * sw + x1) * 3;
          for (let c = 0; c < 3; c += 1) {
            const top = data[i00 + c]! + (data[i01 + c]! - data[i00 + c]!) * fx;
            const bottom = data[i10 + c]! + (data[i11 + c]! - data[i10 + c]!) * fx;
            accumulator[c]! += top + (bottom - top) * fy;
          }
        }
      }
      const o = (oy * width + ox) * 3;
      out[o] = Math.round(accumulator[0]! * weight);
      out[o + 1] = Math.round(accumulator[1]! * weight);
      out[o + 2] = Math.round(accumulator[2]! * weight);
    }
  }
  return { data: out, width, height };
}

/** The crop turned by 180 degrees (a line the direction classifier says is upside down). */
export function turnCropOver(crop: LineCrop): LineCrop {
  const pixels = crop.width * crop.height;
  const out = new Uint8Array(crop.data.length);
  for (let p = 0; p < pixels; p += 1) {
    const from = p * 3;
    const to = (pixels - 1 - p) * 3;
    out[to] = crop.data[from]!;
    out[to + 1] = crop.data[from + 1]!;
    out[to + 2] = crop.data[from + 2]!;
  }
  return { data: out, width: crop.width, height: crop.height };
}

/**
 * Writes crops as one batch tensor [n, 3, height, width] in the BGR channel order the Paddle models
 * were trained on, scaled to -1..1 ((x / 255 - 0.5) / 0.5), each padded on the right with 0 (mid grey)
 * to the batch's width, as PaddleOCR pads.
 */
export function cropsToTensorData(crops: readonly LineCrop[], height: number, width: number): Float32Array {
  const plane = height * width;
  const out = new Float32Array(crops.length * 3 * plane);
  crops.forEach((crop, n) => {
    const base = n * 3 * plane;
    const w = Math.min(width, crop.width);
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < w; x += 1) {
        const i = (y * crop.width + x) * 3;
        const o = base + y * width + x;
        out[o] = crop.data[i + 2]! / 127.5 - 1;
        out[o + plane] = crop.data[i + 1]! / 127.5 - 1;
        out[o + 2 * plane] = crop.data[i]! / 127.5 - 1;
      }
    }
  });
  return out;
}
