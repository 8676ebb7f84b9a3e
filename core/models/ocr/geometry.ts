/** A point in pixels. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/**
 * A rotated rectangle: centre, unit vector along its width (the reading direction once cropped)
 * and its size along that vector (`width`) and across it (`height`). The vector across, "down"
 * the text, is (-uy, ux).
 */
export interface RotatedRect {
  readonly cx: number;
  readonly cy: number;
  readonly ux: number;
  readonly uy: number;
  readonly width: number;
  readonly height: number;
}

/** Corners in reading order: top-left, top-right, bottom-right, bottom-left of the text. */
export function corners(rect: RotatedRect): [Point, Point, Point, Point] {
  const { cx, cy, ux, uy } = rect;
  const vx = -uy;
  const vy = ux;
  const hw = rect.width / 2;
  const hh = rect.height / 2;
  const at = (a: number, b: number): Point => ({ x: cx + a * ux + b * vx, y: cy + a * uy + b * vy });
  return [at(-hw, -hh), at(hw, -hh), at(hw, hh), at(-hw, hh)];
}

/** Axis-aligned bounds of a rotated rectangle, clipped to a page. */
export function boundsOf(rect: RotatedRect, page: { width: number; height: number }): { x: number; y: number; width: number; height: number } {
  const points = corners(rect);
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x0 = clamp(Math.floor(Math.min(...xs)), 0, page.width);
  const y0 = clamp(Math.floor(Math.min(...ys)), 0, page.height);
  const x1 = clamp(Math.ceil(Math.max(...xs)), 0, page.width);
  const y1 = clamp(Math.ceil(Math.max(...ys)), 0, page.height);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

export function clamp(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value;
}

/** Convex hull (Andrew's monotone chain), counter-clockwise in a y-down frame; input need not be sorted. */
export function convexHull(points: Point[]): Point[] {
  if (points.length < 3) return points.slice();
  const sorted = points.slice().sort((a, b) => a.x - b.x || a.y - b.y);
  const cross = (o: Point, a: Point, b: Point): number => (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  const lower: Point[] = [];
  for (const p of sorted) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = sorted.length - 1; i >= 0; i -= 1) {
    const p = sorted[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

/**
 * The smallest-area rectangle around a convex hull (one of its sides lies on a hull edge, so
 * trying every edge finds it). Oriented for reading: the width runs along the longer side when the
 * box is clearly longer than tall, and the width vector points right (or down when vertical).
 */
export function minAreaRect(hull: Point[]): RotatedRect {
  if (hull.length === 0) return { cx: 0, cy: 0, ux: 1, uy: 0, width: 0, height: 0 };
  let best: RotatedRect | undefined;
  let bestArea = Infinity;
  const edges = hull.length === 1 ? 1 : hull.length;
  for (let i = 0; i < edges; i += 1) {
    const a = hull[i]!;
    const b = hull[(i + 1) % hull.length]!;
    let ux = b.x - a.x;
    let uy = b.y - a.y;
    const length = Math.hypot(ux, uy);
    if (length === 0) {
      ux = 1;
      uy = 0;
    } else {
      ux /= length;
      uy /= length;
    }
    const vx = -uy;
    const vy = ux;
    let minU = Infinity;
    let maxU = -Infinity;
    let minV = Infinity;
    let maxV = -Infinity;
    for (const p of hull) {
      const pu = p.x * ux + p.y * uy;
      const pv = p.x * vx + p.y * vy;
      if (pu < minU) minU = pu;
      if (pu > maxU) maxU = pu;
      if (pv < minV) minV = pv;
      if (pv > maxV) maxV = pv;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea) {
      bestArea = area;
      const mu = (minU + maxU) / 2;
      const mv = (minV + maxV) / 2;
      best = { cx: mu * ux + mv * vx, cy: mu * uy + mv * vy, ux, uy, width: maxU - minU, height: maxV - minV };
    }
  }
  return normalizeRect(best!);
}

/**
 * One canonical orientation for a rectangle: its width vector within 45 degrees of +x, so a
 * slightly rotated line keeps its reading direction; a box then taller than wide is vertical text.
 */
export function normalizeRect(rect: RotatedRect): RotatedRect {
  let { ux, uy, width, height } = rect;
  // Turn the width vector by 90 degrees until it points within 45 degrees of +x.
  for (let i = 0; i < 4 && !(ux > 0 && Math.abs(uy) <= ux); i += 1) {
    const nx = -uy;
    const ny = ux;
    ux = nx;
    uy = ny;
    [width, height] = [height, width];
  }
  return { ...rect, ux, uy, width, height };
}

/** A rotated rectangle turned by 90 degrees so that its long, vertical side becomes the width. */
export function turnUpright(rect: RotatedRect): RotatedRect {
  // Width vector (ux, uy) -> (uy, -ux): pointing up the page, as text rotated counter-clockwise reads.
  return { ...rect, ux: rect.uy, uy: -rect.ux, width: rect.height, height: rect.width };
}

/** The rectangle in the frame of the page turned clockwise by `degrees` (page size before turning). */
export function rotateRect(rect: RotatedRect, degrees: 0 | 90 | 180 | 270, page: { width: number; height: number }): RotatedRect {
  const { cx, cy, ux, uy } = rect;
  switch (degrees) {
    case 0:
      return rect;
    case 90:
      return normalizeRect({ ...rect, cx: page.height - cy, cy: cx, ux: -uy, uy: ux });
    case 180:
      return normalizeRect({ ...rect, cx: page.width - cx, cy: page.height - cy, ux: -ux, uy: -uy });
    case 270:
      return normalizeRect({ ...rect, cx: cy, cy: page.width - cx, ux: uy, uy: -ux });
  }
}
