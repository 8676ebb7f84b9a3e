/**
 * What the model-free looks at a photo cost: the quality check (dark, over-exposed, blurred, small)
 * and the colour and light reading, on phone-like JPEGs of a label at 12 and 1 megapixels, with
 * preprocessing for the vision model beside them for scale. Each includes its one decode.
 */
import sharp from 'sharp';
import { preprocessImage } from '../core/media/index.js';
import { readColours } from '../core/perception/colours.js';
import { assessPhotoQuality } from '../core/perception/photo-quality-check.js';

const RUNS = 20;
const WARM_UPS = 2;

/**
 * A label on a table, with sensor-like noise so it compresses (and decodes) like a phone photo
 * rather than a flat drawing: about 3-4 MB at 12 megapixels, quality 90, baseline.
 */
async function labelPhoto(width: number, height: number): Promise<Uint8Array> {
  const h = (fraction: number) => Math.round(height * fraction);
  const w = (fraction: number) => Math.round(width * fraction);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <rect width="100%" height="100%" fill="#6b6259"/>
  <rect x="${w(0.1)}" y="${h(0.1)}" width="${w(0.8)}" height="${h(0.8)}" rx="12" fill="#f2efe6"/>
  <text x="${w(0.15)}" y="${h(0.25)}" font-family="DejaVu Sans" font-size="${h(0.08)}" font-weight="bold" fill="#1a1a1a">Paracetamol 500 mg</text>
  <text x="${w(0.15)}" y="${h(0.38)}" font-family="Liberation Serif" font-size="${h(0.05)}" fill="#1a1a1a">Take 1 tablet every 4 to 6 hours.</text>
  <text x="${w(0.15)}" y="${h(0.47)}" font-family="Liberation Sans" font-size="${h(0.02)}" fill="#1a1a1a">Do not take more than 8 tablets in 24 hours. Keep out of the sight and reach of children.</text>
  <circle cx="${w(0.75)}" cy="${h(0.72)}" r="${h(0.1)}" fill="#c0392b"/>
</svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  // A fixed-seed generator: the same photo on every run of the bench.
  let seed = 12345;
  for (let index = 0; index < data.length; index += 1) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    data[index] = Math.max(0, Math.min(255, data[index]! + ((seed >> 16) % 25) - 12));
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

async function timeRuns(work: () => Promise<unknown>): Promise<{ median: number; p95: number }> {
  for (let run = 0; run < WARM_UPS; run += 1) await work();
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (fraction: number) => samples[Math.min(samples.length - 1, Math.ceil(fraction * samples.length) - 1)]!;
  return { median: at(0.5), p95: at(0.95) };
}

/** Times in ms (median and p95 over RUNS after WARM_UPS), as a table with its header. */
export async function measurePerception(): Promise<string[][]> {
  const photos = [
    { name: '12 MP', photo: await labelPhoto(4000, 3000) },
    { name: '1 MP', photo: await labelPhoto(1155, 866) },
  ];
  const rows: string[][] = [['photo quality and colour (no model)', 'median ms', 'p95 ms', 'result']];
  for (const { name, photo } of photos) {
    const size = `${name} JPEG, ${(photo.byteLength / 1e6).toFixed(1)} MB`;
    const quality = await assessPhotoQuality(photo);
    const qualityTime = await timeRuns(() => assessPhotoQuality(photo));
    rows.push([
      `quality check, ${size}`,
      qualityTime.median.toFixed(1),
      qualityTime.p95.toFixed(1),
      `${quality.problems.join(', ') || 'no problems'}; sharpness ${quality.sharpness?.toFixed(2) ?? 'none'}`,
    ]);
    const colours = await readColours(photo);
    const colourTime = await timeRuns(() => readColours(photo));
    rows.push([
      `colours and light, ${size}`,
      colourTime.median.toFixed(1),
      colourTime.p95.toFixed(1),
      `${colours.colours.map((colour) => `${colour.name} ${Math.round(colour.share * 100)}%`).join(', ')}; ${colours.brightness}`,
    ]);
    const prepareTime = await timeRuns(() => preprocessImage(photo));
    rows.push([`  for scale: preprocessImage for the vision model, ${size}`, prepareTime.median.toFixed(1), prepareTime.p95.toFixed(1), '']);
  }
  return rows;
}

// Run on its own: `npx tsx bench/perception-bench.ts`.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await measurePerception()) console.log(row.join(' | '));
}
