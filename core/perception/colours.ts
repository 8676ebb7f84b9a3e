import { decodeDownscaled } from './photo-quality-check.js';

/**
 * The plain colour names the assistant says, as keys: each language's catalogue translates them.
 * Navy is said as dark blue, gold as yellow, tan and cream as beige: names people agree on.
 */
export const COLOUR_NAMES = [
  'black',
  'dark grey',
  'grey',
  'light grey',
  'white',
  'red',
  'dark red',
  'pink',
  'orange',
  'brown',
  'beige',
  'yellow',
  'olive',
  'green',
  'dark green',
  'light green',
  'teal',
  'turquoise',
  'light blue',
  'blue',
  'dark blue',
  'purple',
  'lavender',
  'magenta',
] as const;

export type ColourName = (typeof COLOUR_NAMES)[number];

export type Brightness = 'very-dark' | 'dark' | 'dim' | 'bright' | 'very-bright';

export interface ColourReading {
  /** The centre's dominant colours, largest share first: 1 to 3, each at least a tenth of it. */
  readonly colours: readonly { readonly name: ColourName; readonly share: number }[];
  /** How light the whole photo is, in words. */
  readonly brightness: Brightness;
  /** A small, very bright region is in view: a lamp that is on, a lit screen, a window in the sun. */
  readonly lightSource: boolean;
}

/**
 * The whole frame shrunk to 256 px on its longest side: a lamp a fortieth of the frame across is
 * still 6 px there, and k-means over the centre's ~20,000 pixels takes a few milliseconds.
 */
const ANALYSIS_SIDE = 256;
/** The middle 60 % of each side: what the person aims at; the rim is table, floor and fingers. */
const CENTRE = 0.6;
const CLUSTERS = 5;
const ITERATIONS = 12;
/** Colours under a tenth of the centre are specks, edges and shading, not what the thing is. */
const MIN_SHARE = 0.1;
const MAX_COLOURS = 3;

/**
 * Brightness levels from the mean luma of the whole frame (relative luminance, sRGB-coded, 0..1,
 * as the photo-quality check's brightness: under 0.2 there is 'dark' here and there). Phone
 * auto-exposure puts an ordinary lit scene at 0.35-0.55 ('bright'); a room lit only by a screen
 * or a distant lamp comes out 0.2-0.35 even after the camera's gain ('dim'); under 0.2 little can
 * be made out ('dark'), under 0.08 almost nothing ('very-dark'); above 0.75 the frame is mostly
 * white: sunlight, a lamp close by, a white page filling the frame ('very-bright').
 */
const BRIGHTNESS_LEVELS: readonly (readonly [number, Brightness])[] = [
  [0.08, 'very-dark'],
  [0.2, 'dark'],
  [0.35, 'dim'],
  [0.75, 'bright'],
];

/**
 * A light source: a connected region of pixels at luma ≥ 245 (a lamp's or a screen's core clips
 * in any exposure that shows the room) covering 0.05 % to 25 % of the frame (about 5 × 5 px here
 * up to a lamp close by; more is over-exposure or a white wall, not a light), in a frame whose
 * median is under 0.6, so the region stands out from what it lights.
 */
const LIGHT_LUMA = 245;
const LIGHT_MIN_SHARE = 0.0005;
const LIGHT_MAX_SHARE = 0.25;
const LIGHT_SCENE_MEDIAN = 0.6;

/**
 * The colours in the middle of a photo and its light, from the pixels alone (no model), in
 * milliseconds: one decode to a small copy through the process's decode gate, k-means in CIELAB
 * over the centre, each cluster named by its lightness, chroma and hue. Throws MediaError for
 * input preprocessImage would refuse.
 */
export async function readColours(image: Uint8Array, options: { readonly maxInputPixels?: number } = {}): Promise<ColourReading> {
  const copy = await decodeDownscaled(image, { maxSide: ANALYSIS_SIDE, colour: true, ...options });
  const { pixels, width, height } = copy;
  const luma = new Uint8Array(width * height);
  let sum = 0;
  for (let index = 0; index < luma.length; index += 1) {
    const value = lumaOfLuminance(
      0.2126 * LINEAR[pixels[index * 3]!]! + 0.7152 * LINEAR[pixels[index * 3 + 1]!]! + 0.0722 * LINEAR[pixels[index * 3 + 2]!]!,
    );
    luma[index] = value;
    sum += value;
  }
  const mean = sum / Math.max(1, luma.length) / 255;
  const brightness = BRIGHTNESS_LEVELS.find(([below]) => mean < below)?.[1] ?? 'very-bright';
  return { colours: dominantColours(pixels, width, height), brightness, lightSource: hasLightSource(luma, width) };
}

function dominantColours(pixels: Uint8Array, width: number, height: number): ColourReading['colours'] {
  const x0 = Math.floor((width * (1 - CENTRE)) / 2);
  const y0 = Math.floor((height * (1 - CENTRE)) / 2);
  const x1 = Math.max(x0 + 1, width - x0);
  const y1 = Math.max(y0 + 1, height - y0);
  const count = (x1 - x0) * (y1 - y0);
  const lab = new Float64Array(count * 3);
  let point = 0;
  for (let y = y0; y < y1; y += 1) {
    for (let x = x0; x < x1; x += 1) {
      const index = (y * width + x) * 3;
      lab.set(srgbToLab(pixels[index]!, pixels[index + 1]!, pixels[index + 2]!), point * 3);
      point += 1;
    }
  }
  const clusters = kMeans(lab, CLUSTERS, ITERATIONS);
  const shares = new Map<ColourName, number>();
  for (const { centre, size } of clusters) {
    const name = nameColour(centre[0]!, centre[1]!, centre[2]!);
    shares.set(name, (shares.get(name) ?? 0) + size / count);
  }
  return [...shares]
    .map(([name, share]) => ({ name, share: Math.round(share * 100) / 100 }))
    .filter((colour) => colour.share >= MIN_SHARE)
    .sort((a, b) => b.share - a.share)
    .slice(0, MAX_COLOURS);
}

/**
 * Lloyd's k-means over points packed as L, a, b triples, seeded deterministically by
 * farthest-point traversal from the point nearest the mean colour, so the same photo always gets
 * the same answer and a small distinct patch gets its own cluster. Empty clusters are dropped.
 */
function kMeans(points: Float64Array, k: number, iterations: number): { centre: number[]; size: number }[] {
  const n = points.length / 3;
  const distanceTo = (index: number, centre: ArrayLike<number>) => {
    const dl = points[index * 3]! - centre[0]!;
    const da = points[index * 3 + 1]! - centre[1]!;
    const db = points[index * 3 + 2]! - centre[2]!;
    return dl * dl + da * da + db * db;
  };
  const mean = [0, 0, 0];
  for (let index = 0; index < n; index += 1) for (let axis = 0; axis < 3; axis += 1) mean[axis]! += points[index * 3 + axis]! / n;
  let next = 0;
  for (let index = 1; index < n; index += 1) if (distanceTo(index, mean) < distanceTo(next, mean)) next = index;
  const centres: number[][] = [];
  const nearest = new Float64Array(n).fill(Infinity);
  for (let seed = 0; seed < k; seed += 1) {
    const centre = [points[next * 3]!, points[next * 3 + 1]!, points[next * 3 + 2]!];
    centres.push(centre);
    let farthest = 0;
    for (let index = 0; index < n; index += 1) {
      const d = distanceTo(index, centre);
      if (d < nearest[index]!) nearest[index] = d;
      if (nearest[index]! > nearest[farthest]!) farthest = index;
    }
    // Every point within ΔE 5 of a seed already taken: there are no more distinct colours.
    if (nearest[farthest]! < 25) break;
    next = farthest;
  }
  const assignment = new Int32Array(n).fill(-1);
  const sizes = new Float64Array(centres.length);
  for (let round = 0; round < iterations; round += 1) {
    const sums = new Float64Array(centres.length * 3);
    sizes.fill(0);
    let moved = false;
    for (let index = 0; index < n; index += 1) {
      let best = 0;
      let bestDistance = Infinity;
      for (let cluster = 0; cluster < centres.length; cluster += 1) {
        const d = distanceTo(index, centres[cluster]!);
        if (d < bestDistance) {
          bestDistance = d;
          best = cluster;
        }
      }
      if (assignment[index] !== best) moved = true;
      assignment[index] = best;
      sizes[best]! += 1;
      for (let axis = 0; axis < 3; axis += 1) sums[best * 3 + axis]! += points[index * 3 + axis]!;
    }
    for (let cluster = 0; cluster < centres.length; cluster += 1) {
      if (sizes[cluster]! > 0) for (let axis = 0; axis < 3; axis += 1) centres[cluster]![axis] = sums[cluster * 3 + axis]! / sizes[cluster]!;
    }
    if (!moved) break;
  }
  return centres.map((centre, cluster) => ({ centre, size: sizes[cluster]! })).filter((cluster) => cluster.size > 0);
}

/** sRGB levels 0..255 to linear light 0..1. */
const LINEAR = Float64Array.from({ length: 256 }, (_, value) => {
  const v = value / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
});

/**
 * Relative luminance (linear 0..1) back to an sRGB level 0..255: what libvips' greyscale gives, so
 * these levels and the photo-quality check's brightness are the same figure.
 */
function lumaOfLuminance(y: number): number {
  const v = Math.min(1, Math.max(0, y));
  return Math.round(255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055));
}

/** sRGB (0..255) to CIELAB under D65. */
export function srgbToLab(r: number, g: number, b: number): [number, number, number] {
  const [lr, lg, lb] = [LINEAR[Math.round(r)]!, LINEAR[Math.round(g)]!, LINEAR[Math.round(b)]!];
  const x = (0.4124 * lr + 0.3576 * lg + 0.1805 * lb) / 0.95047;
  const y = 0.2126 * lr + 0.7152 * lg + 0.0722 * lb;
  const z = (0.0193 * lr + 0.1192 * lg + 0.9505 * lb) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  const [fx, fy, fz] = [f(x), f(y), f(z)];
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** CIELAB (D65) back to sRGB 0..255, clamped: for the hue and saturation people's names follow. */
function labToSrgb(l: number, a: number, b: number): [number, number, number] {
  const fy = (l + 16) / 116;
  const fx = fy + a / 500;
  const fz = fy - b / 200;
  const inverse = (t: number) => (t ** 3 > 216 / 24389 ? t ** 3 : (116 * t - 16) / (24389 / 27));
  const x = inverse(fx) * 0.95047;
  const y = inverse(fy);
  const z = inverse(fz) * 1.08883;
  const lr = 3.2406 * x - 1.5372 * y - 0.4986 * z;
  const lg = -0.9689 * x + 1.8758 * y + 0.0415 * z;
  const lb = 0.0557 * x - 0.204 * y + 1.057 * z;
  const encode = (v: number) => {
    const clamped = Math.min(1, Math.max(0, v));
    return 255 * (clamped <= 0.0031308 ? 12.92 * clamped : 1.055 * clamped ** (1 / 2.4) - 0.055);
  };
  return [encode(lr), encode(lg), encode(lb)];
}

/**
 * A plain name for a colour given in CIELAB. Lightness (L) and chroma (C) come from CIELAB, which
 * follows what people see; the hue family from HSV hue, whose bands match everyday names better
 * than CIELAB's (there blue and purple are only 20° apart). Boundaries were set on the CSS named
 * colours people agree on (navy, saddle brown, dark orange, tan, olive, teal, turquoise, lavender,
 * hot pink...) and checked in test/colours.test.ts.
 */
export function nameColour(l: number, a: number, b: number): ColourName {
  const chroma = Math.hypot(a, b);
  const labHue = ((Math.atan2(b, a) * 180) / Math.PI + 360) % 360;
  if (l < 10) return 'black';
  const [r, g, bl] = labToSrgb(l, a, b);
  const max = Math.max(r, g, bl);
  const min = Math.min(r, g, bl);
  const saturation = max === 0 ? 0 : (max - min) / max;
  let hue = 0;
  if (max > min) {
    if (max === r) hue = 60 * (((g - bl) / (max - min)) % 6);
    else if (max === g) hue = 60 * ((bl - r) / (max - min) + 2);
    else hue = 60 * ((r - g) / (max - min) + 4);
  }
  if (hue < 0) hue += 360;
  const warm = hue >= 15 && hue < 70;
  // Paper in warm light, cream, tan, sand, camel: light and only a little coloured.
  if (warm && l >= 65 && chroma >= 7 && chroma < 40) return 'beige';
  // Below chroma 9 a colour is a grey, whatever its hue: white paper in a photo carries 2-6.
  if (chroma < 9) {
    if (l < 20) return 'black';
    if (l < 38) return 'dark grey';
    if (l < 62) return 'grey';
    if (l < 80) return 'light grey';
    return 'white';
  }
  if (hue < 15 || hue >= 345) {
    if (chroma < 25 && l < 60) return 'brown';
    if (l < 40) return 'dark red';
    if (l >= 65 && (saturation < 0.6 || chroma < 45)) return 'pink';
    return 'red';
  }
  if (hue < 45) {
    // Brown is dark orange: saddle brown (L 37), sienna (44) and wood (43-55, weakly coloured);
    // burnt orange (L 52, C 70) and dark orange (70) are still orange.
    if (l < 50 || (l < 62 && chroma < 55)) return 'brown';
    return 'orange';
  }
  if (hue < 70) {
    if (l < 45 && hue < 50) return 'brown';
    if (l < 62) return 'olive';
    return 'yellow';
  }
  if (hue < 160) {
    if (hue < 90 && l < 60 && chroma < 45) return 'olive';
    if (l < 40) return 'dark green';
    if (l >= 75 && saturation < 0.6) return 'light green';
    return 'green';
  }
  if (hue < 190) return l < 60 ? 'teal' : 'turquoise';
  if (hue < 255) {
    // Pale blue-violet (lavender, periwinkle): blue by HSV's hue, purple-ish by CIELAB's, which
    // follows the eye better for pale colours.
    if (l >= 68 && labHue >= 270) return 'lavender';
    if (l < 26) return 'dark blue';
    if (l >= 70) return 'light blue';
    return 'blue';
  }
  if (hue < 320) {
    if (l >= 68) return 'lavender';
    if (hue >= 285 && saturation >= 0.6 && l >= 45) return 'magenta';
    return 'purple';
  }
  if (l >= 55) return 'pink';
  if (saturation >= 0.6 && l >= 40) return 'magenta';
  return 'purple';
}

/** A connected region (4-neighbours) of near-white pixels, small against the frame and brighter than the scene. */
function hasLightSource(luma: Uint8Array, width: number): boolean {
  const total = luma.length;
  if (total === 0) return false;
  const histogram = new Uint32Array(256);
  for (const value of luma) histogram[value]! += 1;
  let seen = 0;
  let median = 0;
  for (; median < 256; median += 1) {
    seen += histogram[median]!;
    if (seen >= total / 2) break;
  }
  if (median / 255 >= LIGHT_SCENE_MEDIAN) return false;
  const visited = new Uint8Array(total);
  const stack: number[] = [];
  for (let start = 0; start < total; start += 1) {
    if (visited[start] || luma[start]! < LIGHT_LUMA) continue;
    let size = 0;
    visited[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const index = stack.pop()!;
      size += 1;
      const x = index % width;
      const neighbours = [x > 0 ? index - 1 : -1, x < width - 1 ? index + 1 : -1, index - width, index + width];
      for (const other of neighbours) {
        if (other < 0 || other >= total || visited[other] || luma[other]! < LIGHT_LUMA) continue;
        visited[other] = 1;
        stack.push(other);
      }
    }
    const share = size / total;
    if (share >= LIGHT_MIN_SHARE && share <= LIGHT_MAX_SHARE) return true;
  }
  return false;
}
