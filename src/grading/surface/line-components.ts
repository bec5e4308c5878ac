import { components } from './postprocess.ts';

/** One 8-connected component of a marked map, seen as a line: its centre line and its extent along and across it. */
export interface LineComponent {
  /** Pixels in it. */
  pixels: number;
  /** The ends of its centre line (the middle of its extent across), px [x0, y0, x1, y1]. */
  axisPx: [number, number, number, number];
  /** Extent along its principal axis, px (end pixels' centres apart, plus one). */
  lengthPx: number;
  /** Extent across it, px (plus one). */
  widthPx: number;
}

/**
 * The components of `marked` with their principal axes (second moments) and their oriented extents: what
 * folds.ts and block-scratches.ts measure a valley's marked band by. `labels`: each pixel's component,
 * 1-based as `lines` is ordered (0: unmarked).
 */
export function lineComponents(marked: Uint8Array, w: number, h: number): { labels: Int32Array; lines: LineComponent[] } {
  const { labels, count } = components(marked, w, h);
  const n = new Float64Array(count + 1);
  const sx = new Float64Array(count + 1), sy = new Float64Array(count + 1), sxx = new Float64Array(count + 1), syy = new Float64Array(count + 1), sxy = new Float64Array(count + 1);
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      const k = labels[i];
      if (!k) continue;
      n[k]++;
      sx[k] += x; sy[k] += y; sxx[k] += x * x; syy[k] += y * y; sxy[k] += x * y;
    }
  }
  const axes: { a0: number; a1: number; b0: number; b1: number; ux: number; uy: number; mx: number; my: number }[] = [];
  for (let k = 0; k <= count; k++) {
    const m = n[k] || 1, mx = sx[k] / m, my = sy[k] / m;
    const theta = 0.5 * Math.atan2(2 * (sxy[k] / m - mx * my), sxx[k] / m - mx * mx - (syy[k] / m - my * my));
    axes.push({ a0: Infinity, a1: -Infinity, b0: Infinity, b1: -Infinity, ux: Math.cos(theta), uy: Math.sin(theta), mx, my });
  }
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      const k = labels[i];
      if (!k) continue;
      const ax = axes[k];
      const a = (x - ax.mx) * ax.ux + (y - ax.my) * ax.uy, b = -(x - ax.mx) * ax.uy + (y - ax.my) * ax.ux;
      if (a < ax.a0) ax.a0 = a; if (a > ax.a1) ax.a1 = a; if (b < ax.b0) ax.b0 = b; if (b > ax.b1) ax.b1 = b;
    }
  }
  const lines: LineComponent[] = [];
  for (let k = 1; k <= count; k++) {
    const { a0, a1, b0, b1, ux, uy, mx, my } = axes[k];
    const mid = (b0 + b1) / 2;
    lines.push({
      pixels: n[k],
      axisPx: [mx + ux * a0 - uy * mid, my + uy * a0 + ux * mid, mx + ux * a1 - uy * mid, my + uy * a1 + ux * mid],
      lengthPx: a1 - a0 + 1,
      widthPx: b1 - b0 + 1,
    });
  }
  return { labels, lines };
}

/**
 * The side-px box of a centre line given in model px (`f`: side px per model px), clipped to the side: the
 * box of a measured line (folds.ts, block-scratches.ts).
 */
export function axisBoxPx(axisPx: [number, number, number, number], f: number, sideWidthPx: number, sideHeightPx: number): [number, number, number, number] {
  return [
    Math.max(0, Math.floor(Math.min(axisPx[0], axisPx[2]) * f)), Math.max(0, Math.floor(Math.min(axisPx[1], axisPx[3]) * f)),
    Math.min(sideWidthPx, Math.ceil((Math.max(axisPx[0], axisPx[2]) + 1) * f)), Math.min(sideHeightPx, Math.ceil((Math.max(axisPx[1], axisPx[3]) + 1) * f)),
  ];
}

/** The share of the pixels on the segment p → q (one per px of its length, rounded) that are set in `m` (w × h). */
export function shareOnSegment(m: Uint8Array, w: number, h: number, p: [number, number], q: [number, number]): number {
  const steps = Math.max(1, Math.ceil(Math.hypot(q[0] - p[0], q[1] - p[1])));
  let n = 0;
  for (let k = 0; k <= steps; k++) {
    const x = Math.round(p[0] + ((q[0] - p[0]) * k) / steps), y = Math.round(p[1] + ((q[1] - p[1]) * k) / steps);
    if (x >= 0 && y >= 0 && x < w && y < h && m[y * w + x]) n++;
  }
  return n / (steps + 1);
}
