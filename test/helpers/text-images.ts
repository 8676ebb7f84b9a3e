import { execFileSync } from 'node:child_process';
import sharp, { type Sharp } from 'sharp';

/**
 * Photos of text made on the spot from SVG by sharp (librsvg and fontconfig), in fonts Debian
 * packages (DejaVu, Liberation, WenQuanYi Micro Hei): no committed binaries, and the expected
 * text is known exactly.
 */

export interface TextBlock {
  readonly lines: readonly string[];
  readonly x: number;
  readonly y: number;
  readonly font: string;
  readonly size: number;
  readonly weight?: 'normal' | 'bold';
  readonly colour?: string;
  /** Line pitch as a multiple of the size. */
  readonly leading?: number;
  /** Right-aligned at x instead of left-aligned (prices on a receipt). */
  readonly alignRight?: boolean;
}

export interface TextScene {
  readonly width: number;
  readonly height: number;
  readonly background?: string;
  readonly blocks: readonly TextBlock[];
  /** Extra SVG drawn under the text (a photo-like gradient, a label's frame). */
  readonly underlay?: string;
}

export interface TextImage {
  readonly name: string;
  /** The encoded photo as a phone would send it. */
  readonly image: Uint8Array;
  /** The text in reading order, one line per entry. */
  readonly expected: readonly string[];
  /** Rotation the reader should report (clockwise degrees to turn the photo upright). */
  readonly rotation: 0 | 90 | 180 | 270;
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function sceneSvg(scene: TextScene): string {
  const texts = scene.blocks.flatMap((block) =>
    block.lines.map((line, i) => {
      const y = block.y + i * block.size * (block.leading ?? 1.5);
      const anchor = block.alignRight ? ' text-anchor="end"' : '';
      return `<text x="${block.x}" y="${y}" font-family="${block.font}" font-size="${block.size}" font-weight="${block.weight ?? 'normal'}" fill="${block.colour ?? '#111111'}"${anchor} xml:space="preserve">${escapeXml(line)}</text>`;
    }),
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}"><rect width="100%" height="100%" fill="${scene.background ?? '#ffffff'}"/>${scene.underlay ?? ''}${texts.join('')}</svg>`;
}

/** The scene as upright RGB pixels (a sharp pipeline to go on from). */
export function renderScene(scene: TextScene): Sharp {
  return sharp(Buffer.from(sceneSvg(scene)), { density: 72 }).flatten({ background: scene.background ?? '#ffffff' });
}

async function png(pipeline: Sharp): Promise<Uint8Array> {
  return pipeline.png().toBuffer();
}

async function jpeg(pipeline: Sharp, quality = 90): Promise<Uint8Array> {
  return pipeline.jpeg({ quality }).toBuffer();
}

/** Re-opens encoded pixels (sharp applies one geometric operation per pipeline, so steps are chained through buffers). */
async function reopen(pipeline: Sharp): Promise<Sharp> {
  return sharp(await pipeline.png().toBuffer());
}

export const LABEL_LINES = [
  'PARACETAMOL 500 mg Tablets',
  'Take 1 tablet twice daily.',
  'Do not take more than 8 tablets in 24 hours.',
  'Ingredients: maize starch (12%), povidone.',
  'Keep out of the reach of children.',
  'Batch 4471-B  Expiry 03/2028',
] as const;

function labelScene(font: string, size: number, options: { background?: string; colour?: string; weight?: 'normal' | 'bold' } = {}): TextScene {
  const width = Math.round(size * 27);
  const height = Math.round(size * (LABEL_LINES.length * 1.6 + 2));
  return {
    width,
    height,
    ...(options.background ? { background: options.background } : {}),
    blocks: [
      {
        lines: LABEL_LINES,
        x: size,
        y: size * 1.8,
        font,
        size,
        leading: 1.6,
        ...(options.colour ? { colour: options.colour } : {}),
        ...(options.weight ? { weight: options.weight } : {}),
      },
    ],
  };
}

export async function cleanLabel(): Promise<TextImage> {
  return { name: 'clean label (Liberation Sans)', image: await png(renderScene(labelScene('Liberation Sans', 40))), expected: LABEL_LINES, rotation: 0 };
}

export async function cleanSerifLabel(): Promise<TextImage> {
  return { name: 'clean label (DejaVu Serif, small)', image: await jpeg(renderScene(labelScene('DejaVu Serif', 26))), expected: LABEL_LINES, rotation: 0 };
}

export async function lightOnDark(): Promise<TextImage> {
  const scene = labelScene('DejaVu Sans', 36, { background: '#1b2a4a', colour: '#f4f4f4', weight: 'bold' });
  return { name: 'light on dark (DejaVu Sans Bold)', image: await jpeg(renderScene(scene)), expected: LABEL_LINES, rotation: 0 };
}

export async function rotatedSix(): Promise<TextImage> {
  const upright = renderScene(labelScene('Liberation Serif', 38));
  const image = await jpeg((await reopen(upright)).rotate(6, { background: '#ffffff' }));
  return { name: '6 degree rotation (Liberation Serif)', image, expected: LABEL_LINES, rotation: 0 };
}

/** Pixels stored sideways with EXIF orientation 6 ("turn 90 clockwise to view"), as phones save portrait shots. */
export async function sidewaysExif(): Promise<TextImage> {
  const upright = renderScene(labelScene('DejaVu Sans', 34));
  const stored = await (await reopen(upright)).rotate(270).jpeg({ quality: 90 }).toBuffer();
  const image = await sharp(stored).withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toBuffer();
  return { name: 'sideways, EXIF-tagged', image, expected: LABEL_LINES, rotation: 0 };
}

/** A photo taken sideways with no EXIF tag: the text runs bottom to top, and must be turned 90 clockwise. */
export async function sidewaysUntagged(): Promise<TextImage> {
  const upright = renderScene(labelScene('Liberation Sans', 34));
  const image = await jpeg((await reopen(upright)).rotate(270));
  return { name: 'sideways, no EXIF', image, expected: LABEL_LINES, rotation: 90 };
}

export async function upsideDown(): Promise<TextImage> {
  const upright = renderScene(labelScene('Liberation Sans', 36));
  const image = await jpeg((await reopen(upright)).rotate(180));
  return { name: 'upside down', image, expected: LABEL_LINES, rotation: 180 };
}

export const COLUMN_LEFT = [
  'The museum opens at nine',
  'every morning except on',
  'Mondays, when the halls',
  'are closed for cleaning.',
  'Tickets cost twelve euros.',
] as const;

export const COLUMN_RIGHT = [
  'Guided tours leave from',
  'the main entrance at ten',
  'and at two in the afternoon.',
  'Children under six enter',
  'free with an adult.',
] as const;

export async function twoColumns(): Promise<TextImage> {
  const size = 30;
  const scene: TextScene = {
    width: 1100,
    height: 330,
    blocks: [
      { lines: COLUMN_LEFT, x: 40, y: 60, font: 'Liberation Serif', size, leading: 1.5 },
      { lines: COLUMN_RIGHT, x: 590, y: 60, font: 'Liberation Serif', size, leading: 1.5 },
    ],
  };
  return { name: 'two columns of prose', image: await png(renderScene(scene)), expected: [...COLUMN_LEFT, ...COLUMN_RIGHT], rotation: 0 };
}

export const DENSE_LINES = [
  'Store below 25 C in a dry place, away from direct',
  'sunlight. If you forget a dose, take it as soon as you',
  'remember, unless it is almost time for the next one.',
  'Ask your pharmacist about medicines you no longer use.',
] as const;

/** Tightly set prose (line pitch 1.2 of the size), where each line's box nearly touches the next. */
export async function denseProse(): Promise<TextImage> {
  const size = 26;
  const scene: TextScene = { width: 760, height: 190, blocks: [{ lines: DENSE_LINES, x: 24, y: 44, font: 'DejaVu Sans', size, leading: 1.2 }] };
  return { name: 'dense prose', image: await jpeg(renderScene(scene)), expected: DENSE_LINES, rotation: 0 };
}

export const MIXED_LINES = ['Shake well before use.', 'Store in a cool dry place.', 'Net weight 250 g'] as const;

/** Three lines, the middle one upside down (a sticker put on the wrong way round). */
export async function mixedOrientation(): Promise<TextImage> {
  const line = async (text: string): Promise<Buffer> =>
    renderScene({ width: 800, height: 80, blocks: [{ lines: [text], x: 20, y: 52, font: 'DejaVu Sans', size: 34 }] }).png().toBuffer();
  const [first, second, third] = await Promise.all(MIXED_LINES.map(line));
  const turned = await sharp(second!).rotate(180).png().toBuffer();
  const image = await sharp({ create: { width: 800, height: 300, channels: 3, background: '#ffffff' } })
    .composite([
      { input: first!, top: 10, left: 0 },
      { input: turned, top: 110, left: 0 },
      { input: third!, top: 210, left: 0 },
    ])
    .jpeg({ quality: 90 })
    .toBuffer();
  return { name: 'one line upside down', image, expected: MIXED_LINES, rotation: 0 };
}

/** A sign of one short word, turned clockwise by `degrees` (too short for the classifier's usual vote). */
export async function shortSign(word: string, degrees: 0 | 90 | 180 | 270): Promise<TextImage> {
  const upright = renderScene({ width: 300, height: 160, blocks: [{ lines: [word], x: 60, y: 100, font: 'DejaVu Sans', size: 64, weight: 'bold' }] });
  const image = await png((await reopen(upright)).rotate(degrees));
  return { name: `sign "${word}" turned ${degrees}`, image, expected: [word], rotation: ((360 - degrees) % 360) as 0 | 90 | 180 | 270 };
}

export const SMALL_PRINT_LINES = [
  'Ingredients: wheat flour, sugar, palm oil, cocoa powder (4%),',
  'salt, raising agents, emulsifier (soya lecithin), flavouring.',
  'May contain traces of nuts and milk. Store in a cool dry place.',
  'Best before end: see side of pack. Lot 2291B 14:05',
] as const;

/** Small print (16 px) in a chat-sized photo (1200 x 850), as an ingredient list arrives through a chat app. */
export async function smallPrint(): Promise<TextImage> {
  const scene: TextScene = { width: 1200, height: 850, blocks: [{ lines: SMALL_PRINT_LINES, x: 100, y: 300, font: 'Liberation Sans', size: 16, leading: 1.5 }] };
  return { name: 'small print in a chat-sized photo', image: await jpeg(renderScene(scene), 85), expected: SMALL_PRINT_LINES, rotation: 0 };
}

export async function blurred(): Promise<TextImage> {
  const upright = renderScene(labelScene('Liberation Sans', 40));
  const image = await jpeg((await reopen(upright)).blur(1.6));
  return { name: 'blurred', image, expected: LABEL_LINES, rotation: 0 };
}

export async function lowQualityJpeg(): Promise<TextImage> {
  const image = await jpeg(renderScene(labelScene('DejaVu Sans', 30)), 40);
  return { name: 'JPEG quality 40', image, expected: LABEL_LINES, rotation: 0 };
}

export const RECEIPT_ROWS = [
  ['Milk 1L', '2.49'],
  ['Bread', '1.85'],
  ['Apples 1.2 kg', '3.12'],
  ['Coffee beans', '11.90'],
  ['TOTAL', '19.36'],
] as const;

export async function receipt(): Promise<TextImage> {
  const size = 30;
  const scene: TextScene = {
    width: 640,
    height: 60 + RECEIPT_ROWS.length * size * 1.6 + 30,
    background: '#fbfaf5',
    blocks: [
      { lines: RECEIPT_ROWS.map(([item]) => item), x: 30, y: 70, font: 'DejaVu Sans Mono', size, leading: 1.6 },
      { lines: RECEIPT_ROWS.map(([, price]) => price), x: 610, y: 70, font: 'DejaVu Sans Mono', size, leading: 1.6, alignRight: true },
    ],
  };
  return {
    name: 'receipt with prices',
    image: await jpeg(renderScene(scene)),
    expected: RECEIPT_ROWS.map(([item, price]) => `${item} ${price}`),
    rotation: 0,
  };
}

/**
 * Why Chinese photos cannot be rendered on this machine (no CJK font: librsvg would draw empty
 * boxes), for `test(..., { skip })`; undefined when they can. `.ci/run` installs the font.
 */
export const chineseFontMissing: string | undefined = (() => {
  try {
    if (execFileSync('fc-list', [':family'], { encoding: 'utf8' }).includes('WenQuanYi Micro Hei')) return undefined;
  } catch {
    // No fontconfig tools: the font cannot be confirmed either.
  }
  return 'the Chinese font is not installed: apt-get install fonts-wqy-microhei';
})();

export const CHINESE_LINES = ['布洛芬缓释胶囊', '每日两次，每次一粒。', '饭后服用，请勿超量。', '有效期至2027年12月'] as const;

export async function chineseLabel(): Promise<TextImage> {
  const size = 40;
  const scene: TextScene = {
    width: 560,
    height: 330,
    blocks: [{ lines: CHINESE_LINES, x: 40, y: 70, font: 'WenQuanYi Micro Hei', size, leading: 1.7 }],
  };
  return { name: 'Chinese (WenQuanYi Micro Hei)', image: await jpeg(renderScene(scene)), expected: CHINESE_LINES, rotation: 0 };
}

export const SMALL_LABEL_LINES = [
  'NUTRITION INFORMATION per 100 g',
  'Energy 1580 kJ / 375 kcal',
  'Fat 6.8 g, of which saturates 1.2 g',
  'Carbohydrate 62 g, of which sugars 21 g',
  'Protein 9.5 g   Salt 0.45 g',
] as const;

/**
 * A 12-megapixel phone frame (4000 x 3000): a label in the middle on a grey-brown gradient, text
 * about 1 % of the frame high, as when the user holds the phone at arm's length.
 */
export async function twelveMegapixelLabel(): Promise<TextImage> {
  const size = 34;
  const underlay =
    '<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#8a7a66"/><stop offset="1" stop-color="#4b4036"/></linearGradient></defs>' +
    '<rect width="100%" height="100%" fill="url(#g)"/><rect x="1300" y="1150" width="1450" height="420" rx="18" fill="#f7f3e8"/>';
  const scene: TextScene = {
    width: 4000,
    height: 3000,
    underlay,
    blocks: [{ lines: SMALL_LABEL_LINES, x: 1350, y: 1220, font: 'DejaVu Sans', size, leading: 1.5 }],
  };
  const { data, info } = await renderScene(scene).raw().toBuffer({ resolveWithObject: true });
  addSensorNoise(data, 14);
  const noisy = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  return { name: '12-megapixel frame, small text', image: await jpeg(noisy, 88), expected: SMALL_LABEL_LINES, rotation: 0 };
}

/**
 * Sensor-like noise from a fixed-seed generator (the same photo on every run), so the JPEG
 * compresses and decodes like a photo rather than a flat drawing. `spread` is the noise's range.
 */
export function addSensorNoise(pixels: Uint8Array, spread: number): void {
  let seed = 12345;
  for (let index = 0; index < pixels.length; index += 1) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const value = pixels[index]! + ((seed >> 16) % (spread + 1)) - spread / 2;
    pixels[index] = value < 0 ? 0 : value > 255 ? 255 : value;
  }
}

/** A 1-megapixel phone-like label photo (1200 x 850, text on a card over a gradient). */
export async function oneMegapixelLabel(): Promise<TextImage> {
  const size = 30;
  const underlay =
    '<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#9a8a76"/><stop offset="1" stop-color="#5b5046"/></linearGradient></defs>' +
    '<rect width="100%" height="100%" fill="url(#g)"/><rect x="120" y="200" width="960" height="400" rx="14" fill="#f7f3e8"/>';
  const scene: TextScene = { width: 1200, height: 850, underlay, blocks: [{ lines: SMALL_LABEL_LINES, x: 160, y: 270, font: 'Liberation Sans', size, leading: 1.6 }] };
  const { data, info } = await renderScene(scene).raw().toBuffer({ resolveWithObject: true });
  addSensorNoise(data, 14);
  const noisy = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  return { name: '1-megapixel label photo', image: await jpeg(noisy, 88), expected: SMALL_LABEL_LINES, rotation: 0 };
}

/** Levenshtein distance over code points. */
export function editDistance(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= y.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[y.length]!;
}

/** Runs of whitespace as one space, line ends as one newline. */
export function normalizeText(lines: readonly string[]): string {
  return lines
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n');
}

/** Character error rate: edits to turn what was read into the expected text, per expected character. */
export function characterErrorRate(expected: readonly string[], actual: readonly string[]): number {
  const want = normalizeText(expected);
  return editDistance(want, normalizeText(actual)) / Math.max(1, Array.from(want).length);
}

/** Whether `expected` appears in some line read, allowing `tolerance` of its characters to be wrong. */
export function lineFound(expected: string, actual: readonly string[], tolerance = 0.1): boolean {
  const want = expected.replace(/\s+/g, ' ').trim();
  const budget = Math.floor(Array.from(want).length * tolerance);
  return actual.some((line) => bestSubstringDistance(want, line.replace(/\s+/g, ' ').trim()) <= budget);
}

/** Smallest edit distance between `needle` and any substring of `haystack` (approximate matching). */
function bestSubstringDistance(needle: string, haystack: string): number {
  const x = Array.from(needle);
  const y = Array.from(haystack);
  // Free start and end in the haystack: first row all zeros, answer the row's minimum.
  let previous = new Array<number>(y.length + 1).fill(0);
  for (let i = 1; i <= x.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= y.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return Math.min(...previous);
}
