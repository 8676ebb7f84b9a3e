import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp, { type Sharp } from 'sharp';
import { MediaError } from '../core/media/media-error.js';
import { assessPhotoQuality, decodeDownscaled, measureSharpness, textCutAtEdge } from '../core/perception/photo-quality-check.js';

/**
 * A photo of a medicine label: off-white paper on a grey-brown table, text in three fonts and
 * sizes, a rule and two coloured shapes. Like a phone photo, the paper is not pure white.
 */
function labelSvg(width: number, height: number, colours = { ink: '#1a1a1a', paper: '#f2efe6', table: '#6b6259' }): string {
  const { ink, paper, table } = colours;
  const w = (fraction: number) => Math.round(width * fraction);
  const h = (fraction: number) => Math.round(height * fraction);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <rect width="100%" height="100%" fill="${table}"/>
  <rect x="${w(0.1)}" y="${h(0.1)}" width="${w(0.8)}" height="${h(0.8)}" rx="12" fill="${paper}"/>
  <text x="${w(0.15)}" y="${h(0.25)}" font-family="DejaVu Sans" font-size="${h(0.08)}" font-weight="bold" fill="${ink}">Paracetamol 500 mg</text>
  <text x="${w(0.15)}" y="${h(0.38)}" font-family="Liberation Serif" font-size="${h(0.05)}" fill="${ink}">Take 1 tablet every 4 to 6 hours.</text>
  <text x="${w(0.15)}" y="${h(0.47)}" font-family="Liberation Sans" font-size="${h(0.04)}" fill="${ink}">Do not take more than 8 tablets in 24 hours.</text>
  <text x="${w(0.15)}" y="${h(0.56)}" font-family="DejaVu Sans Mono" font-size="${h(0.035)}" fill="${ink}">EXP 12/2027  LOT 4711</text>
  <line x1="${w(0.15)}" y1="${h(0.6)}" x2="${w(0.85)}" y2="${h(0.6)}" stroke="${ink}" stroke-width="3"/>
  <rect x="${w(0.15)}" y="${h(0.65)}" width="${w(0.35)}" height="${h(0.12)}" fill="#2e6da4"/>
  <circle cx="${w(0.75)}" cy="${h(0.72)}" r="${h(0.1)}" fill="#c0392b"/>
</svg>`;
}

async function jpeg(pipeline: Sharp): Promise<Uint8Array> {
  return pipeline.jpeg({ quality: 90 }).toBuffer();
}

async function labelPhoto(width = 900, height = 640, colours?: Parameters<typeof labelSvg>[2]): Promise<Buffer> {
  return sharp(Buffer.from(labelSvg(width, height, colours))).flatten({ background: '#ffffff' }).jpeg({ quality: 90 }).toBuffer();
}

/** A sideways shake: every pixel smeared over `length` pixels along the rows. */
function shake(image: Uint8Array, length: number): Sharp {
  const row = (value: number) => new Array<number>(length).fill(value);
  return sharp(image).convolve({ width: length, height: 3, kernel: [...row(0), ...row(1), ...row(0)] });
}

/** The usual blur measure, for comparison: variance of the 4-neighbour Laplacian of the 512 px grey copy. */
async function laplacianVariance(image: Uint8Array): Promise<number> {
  const { pixels, width, height } = await decodeDownscaled(image, { maxSide: 512, colour: false });
  const values: number[] = [];
  for (let y = 1; y < height - 1; y += 1) {
    for (let x = 1; x < width - 1; x += 1) {
      const i = y * width + x;
      values.push(pixels[i - 1]! + pixels[i + 1]! + pixels[i - width]! + pixels[i + width]! - 4 * pixels[i]!);
    }
  }
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
}

describe('assessPhotoQuality', async () => {
  const clean = await labelPhoto();

  it('finds nothing wrong with a clean photo of a label', async () => {
    const quality = await assessPhotoQuality(clean);
    assert.deepEqual(quality.problems, []);
    assert.equal(quality.width, 900);
    assert.equal(quality.height, 640);
    assert.ok(quality.brightness > 0.5 && quality.brightness < 0.8, `brightness ${quality.brightness}`);
    assert.ok(quality.sharpness !== undefined && quality.sharpness > 0.4, `sharpness ${quality.sharpness}`);
  });

  it('flags a dark version as dark, and only that', async () => {
    const quality = await assessPhotoQuality(await jpeg(sharp(clean).linear(0.25, 0)));
    assert.deepEqual(quality.problems, ['dark']);
    assert.ok(quality.brightness < 0.2);
  });

  it('flags a dim version whose brightest parts are dim too', async () => {
    const quality = await assessPhotoQuality(await jpeg(sharp(clean).linear(0.35, 0)));
    assert.deepEqual(quality.problems, ['dark']);
  });

  it('flags an over-exposed version as over-exposed, and only that', async () => {
    const quality = await assessPhotoQuality(await jpeg(sharp(clean).linear(1.6, 60)));
    assert.deepEqual(quality.problems, ['overexposed']);
    assert.ok(quality.highlights > 0.25, `highlights ${quality.highlights}`);
  });

  it('flags a frame blown out to white all over as over-exposed', async () => {
    const white = await jpeg(sharp({ create: { width: 800, height: 600, channels: 3, background: '#fefefe' } }));
    assert.deepEqual((await assessPhotoQuality(white)).problems, ['overexposed']);
  });

  it('flags a blurred version as blurred, and only that', async () => {
    const quality = await assessPhotoQuality(await jpeg(sharp(clean).blur(6)));
    assert.deepEqual(quality.problems, ['blurred']);
  });

  it('flags a sideways shake as blurred although the letters\' tops stay crisp', async () => {
    const quality = await assessPhotoQuality(await jpeg(shake(clean, 15)));
    assert.deepEqual(quality.problems, ['blurred']);
  });

  it('measures less sharpness the more a photo is blurred', async () => {
    const scores: number[] = [];
    for (const sigma of [1, 2, 3, 4, 6]) {
      const { sharpness } = await assessPhotoQuality(await jpeg(sharp(clean).blur(sigma)));
      assert.ok(sharpness !== undefined);
      scores.push(sharpness);
    }
    for (let index = 1; index < scores.length; index += 1) {
      assert.ok(scores[index]! < scores[index - 1]!, `sharpness by blur: ${scores.join(', ')}`);
    }
  });

  it('flags a tiny photo as small, and only that', async () => {
    const quality = await assessPhotoQuality(await jpeg(sharp(clean).resize(240, 170)));
    assert.deepEqual(quality.problems, ['small']);
    assert.equal(quality.width, 240);
  });

  it('does not call a sharp page of faint text on blank paper blurred, where the Laplacian variance would', async () => {
    // A letter photographed close up: paper fills the frame, two lines of grey print, no shapes.
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="640"><rect width="100%" height="100%" fill="#d6d3cc"/>
      <text x="80" y="200" font-family="Liberation Serif" font-size="26" fill="#9a9792">Your next appointment is on Tuesday 14 March at 10:30.</text>
      <text x="80" y="245" font-family="Liberation Serif" font-size="26" fill="#9a9792">Please bring this letter with you.</text></svg>`;
    const faint = await jpeg(sharp(Buffer.from(svg)));
    const blurred = await jpeg(sharp(clean).blur(2));
    // The case is hard: the usual measure ranks the sharp faint page below a photo blurred with
    // σ 2: a threshold on it low enough to pass this page passes that blurred photo too.
    const [faintVariance, blurredVariance] = [await laplacianVariance(faint), await laplacianVariance(blurred)];
    assert.ok(faintVariance < blurredVariance, `Laplacian variance: faint page ${faintVariance}, blurred photo ${blurredVariance}`);
    const quality = await assessPhotoQuality(faint);
    assert.deepEqual(quality.problems, []);
  });

  it('does not call a screenshot of a white page with a few lines over-exposed', async () => {
    const lines = ['Dear Ms Smith,', 'Your appointment is on Tuesday 14 March at 10:30.', 'Please bring your card.'];
    const text = lines.map((line, index) => `<text x="60" y="${100 + index * 50}" font-family="Liberation Serif" font-size="28">${line}</text>`);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1400"><rect width="100%" height="100%" fill="#fff"/>${text.join('')}</svg>`;
    const quality = await assessPhotoQuality(await jpeg(sharp(Buffer.from(svg))));
    assert.deepEqual(quality.problems, []);
    assert.ok(quality.highlights > 0.9);
  });

  it('judges a 12-megapixel photo as its 900 px version: the measures do not depend on the size', async () => {
    const large = await labelPhoto(4000, 3000);
    const sharpQuality = await assessPhotoQuality(large);
    assert.deepEqual(sharpQuality.problems, []);
    assert.deepEqual([sharpQuality.width, sharpQuality.height], [4000, 3000]);
    // The same blur relative to the frame as the 900 px photo's σ 6.
    const blurredQuality = await assessPhotoQuality(await jpeg(sharp(large).blur((6 * 4000) / 900)));
    assert.deepEqual(blurredQuality.problems, ['blurred']);
  });

  it('reports the size as displayed, after EXIF orientation', async () => {
    const sideways = await sharp(clean).withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toBuffer();
    const quality = await assessPhotoQuality(sideways);
    assert.deepEqual([quality.width, quality.height], [640, 900]);
    assert.deepEqual(quality.problems, []);
  });

  it('leaves a frame with no edges at all (a blank wall) unjudged for blur', async () => {
    const wall = await jpeg(sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 150, g: 140, b: 130 } } }));
    const quality = await assessPhotoQuality(wall);
    assert.equal(quality.sharpness, undefined);
    assert.deepEqual(quality.problems, []);
  });

  it('refuses an SVG before any decoder sees it', async () => {
    await assert.rejects(
      assessPhotoQuality(Buffer.from(labelSvg(300, 300))),
      (error: unknown) => error instanceof MediaError && error.kind === 'unsupported-format',
    );
  });

  it('refuses a photo over the pixel limit from its header', async () => {
    await assert.rejects(
      assessPhotoQuality(clean, { maxInputPixels: 100_000 }),
      (error: unknown) => error instanceof MediaError && error.kind === 'too-many-pixels',
    );
  });
});

describe('measureSharpness', () => {
  it('reads 0.5 for a crisp step and about 1/w for a ramp w pixels wide, whatever the contrast', () => {
    const width = 64;
    const height = 64;
    const image = (profile: (x: number) => number) => {
      const pixels = new Uint8Array(width * height);
      for (let y = 0; y < height; y += 1) for (let x = 0; x < width; x += 1) pixels[y * width + x] = profile(x);
      return pixels;
    };
    // Vertical edges every 16 px: only the across-rows direction is judged.
    const step = (low: number, high: number) => image((x) => (x % 16 < 8 ? low : high));
    // Up over w pixels, flat, down over w pixels, flat: a trapezoid repeating every 32 px.
    const ramp = (low: number, high: number, w: number) =>
      image((x) => {
        const t = x % 32;
        const level = t < 16 ? (t - 4) / w : 1 - (t - 20) / w;
        return Math.round(low + (high - low) * Math.min(1, Math.max(0, level)));
      });
    assert.equal(measureSharpness(step(20, 220), width, height), 0.5);
    assert.equal(measureSharpness(step(100, 140), width, height), 0.5);
    const wide = measureSharpness(ramp(20, 220, 8), width, height);
    assert.ok(wide !== undefined && Math.abs(wide - 1 / 8) < 0.02, `ramp of 8 px: ${wide}`);
    const faintWide = measureSharpness(ramp(100, 140, 8), width, height);
    assert.ok(faintWide !== undefined && Math.abs(faintWide - 1 / 8) < 0.03, `faint ramp of 8 px: ${faintWide}`);
  });
});

describe('textCutAtEdge', () => {
  const line = (x: number, y: number, width: number, height: number) => ({ box: { x, y, width, height } });

  it('is false for lines well inside the frame, and for no lines', () => {
    assert.equal(textCutAtEdge([line(100, 100, 400, 40), line(100, 200, 600, 40)], 1000, 800), false);
    assert.equal(textCutAtEdge([], 1000, 800), false);
  });

  it('is true for a line touching any of the four edges', () => {
    assert.equal(textCutAtEdge([line(0, 300, 400, 40)], 1000, 800), true, 'left');
    assert.equal(textCutAtEdge([line(600, 300, 400, 40)], 1000, 800), true, 'right');
    assert.equal(textCutAtEdge([line(100, 0, 400, 40)], 1000, 800), true, 'top');
    assert.equal(textCutAtEdge([line(100, 760, 400, 40)], 1000, 800), true, 'bottom');
  });

  it('counts a line within 1 % of the edge as touching it, and not one 2 % away', () => {
    assert.equal(textCutAtEdge([line(8, 300, 400, 40)], 1000, 800), true);
    assert.equal(textCutAtEdge([line(100, 300, 893, 40)], 1000, 800), true);
    assert.equal(textCutAtEdge([line(20, 300, 400, 40)], 1000, 800), false);
    assert.equal(textCutAtEdge([line(100, 300, 400, 40), line(100, 400, 400, 40)], 1000, 800), false);
    assert.equal(textCutAtEdge([line(100, 300, 400, 40), line(100, 783, 400, 10)], 1000, 800), true);
  });
});
