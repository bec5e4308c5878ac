import { createError } from '../core/errors.ts';
import { applyHomography, homographyJacobian, type Homography } from './homography.ts';
import type { CardOutline } from './segment.ts';
import { loadVisionNative } from './native.ts';

/**
 * Resample `channels`-interleaved float data from the image into the canonical card image (bilinear;
 * canonical pixels mapping outside the image get 0). Output is canonicalWidth × canonicalHeight.
 */
export function warpToCanonical(src: Float32Array, width: number, height: number, channels: number, H: Homography, cw: number, ch: number): Float32Array {
  const out = new Float32Array(cw * ch * channels);
  warpRows(src, width, height, channels, H, cw, out, 0, ch);
  return out;
}

/** Rows [y0, y1) of {@link warpToCanonical} into `out`. */
function warpRows(src: Float32Array, width: number, height: number, channels: number, H: Homography, cw: number, out: Float32Array, y0: number, y1: number): void {
  for (let y = y0; y < y1; y++) {
    // Rows of a homography are cheap to step exactly: evaluate the projective numerators incrementally.
    let nx = H[1] * y + H[2], ny = H[4] * y + H[5], nw = H[7] * y + H[8];
    for (let x = 0; x < cw; x++) {
      const sx = nx / nw, sy = ny / nw;
      nx += H[0]; ny += H[3]; nw += H[6];
      if (!(sx >= 0 && sy >= 0 && sx <= width - 1 && sy <= height - 1)) continue;
      const x0 = Math.min(Math.floor(sx), width - 2), yy0 = Math.min(Math.floor(sy), height - 2);
      const fx = sx - x0, fy = sy - yy0;
      const i = (yy0 * width + x0) * channels;
      const o = (y * cw + x) * channels;
      const rs = width * channels;
      for (let c = 0; c < channels; c++) {
        out[o + c] = (src[i + c] * (1 - fx) + src[i + channels + c] * fx) * (1 - fy) + (src[i + rs + c] * (1 - fx) + src[i + rs + channels + c] * fx) * fy;
      }
    }
  }
}

/** Rotate in-plane components of normals by (c, s) and renormalise, over pixels [p0, p1). */
function rotateNormals(out: Float32Array, c: number, s: number, p0: number, p1: number): void {
  for (let i = p0; i < p1; i++) {
    const nx = out[3 * i], ny = out[3 * i + 1], nz = out[3 * i + 2];
    const rx = c * nx + s * ny;
    const ry = -s * nx + c * ny;
    const len = Math.hypot(rx, ry, nz);
    if (len > 0) {
      out[3 * i] = rx / len; out[3 * i + 1] = ry / len; out[3 * i + 2] = nz / len;
    } else {
      out[3 * i + 2] = 1;
    }
  }
}

/** Canonical card mask: a rounded rectangle filling the canonical image (radius in canonical px). */
export function roundedRectMask(cw: number, ch: number, radiusPx: number): Uint8Array {
  const mask = new Uint8Array(cw * ch);
  const r = Math.max(0, radiusPx);
  // Row by row: the inside is one run of x; only rows within r of the top/bottom edge are shortened.
  for (let y = 0; y < ch; y++) {
    const qy = Math.min(Math.max(y, r - 0.5), ch - 0.5 - r);
    const dy = y - qy;
    if (Math.abs(dy) > r) continue;
    const dx = Math.sqrt(r * r - dy * dy);
    const x0 = Math.max(0, Math.ceil(r - 0.5 - dx));
    const x1 = Math.min(cw - 1, Math.floor(cw - 0.5 - r + dx));
    if (x1 >= x0) mask.fill(1, y * cw + x0, y * cw + x1 + 1);
  }
  return mask;
}

/** Image-plane mask of the card (inside the four side lines), for restricting the solve in the camera frame. */
export function imageCardMask(outline: CardOutline, width: number, height: number, marginPx = 0): Uint8Array {
  const mask = new Uint8Array(width * height);
  const ys = outline.corners.map((c) => c[1]);
  const y0 = Math.max(0, Math.floor(Math.min(...ys) - marginPx)), y1 = Math.min(height - 1, Math.ceil(Math.max(...ys) + marginPx));
  // The card is convex: on each row, each side line a·x + b·y + c ≤ margin bounds x from one side.
  for (let y = y0; y <= y1; y++) {
    let lo = 0, hi = width - 1;
    for (const l of outline.sides) {
      const rest = marginPx - l.c - l.b * y;
      if (Math.abs(l.a) < 1e-12) {
        if (rest < 0) { lo = 1; hi = 0; }
      } else if (l.a > 0) hi = Math.min(hi, Math.floor(rest / l.a));
      else lo = Math.max(lo, Math.ceil(rest / l.a));
    }
    if (hi >= lo) mask.fill(1, y * width + lo, y * width + hi + 1);
  }
  return mask;
}

/** In-plane rotation (cos, sin) from image-frame to canonical-frame normal components (x right, y up). */
function canonicalRotation(outline: CardOutline): [number, number] {
  const { canonicalToImage: H, canonicalWidth: cw, canonicalHeight: ch } = outline;
  const [j00, , j10] = homographyJacobian(H, cw / 2, ch / 2);
  // Canonical +x axis seen in the image, in (x right, y up) components: (j00, −j10).
  const phi = Math.atan2(-j10, j00);
  return [Math.cos(phi), Math.sin(phi)];
}

/**
 * Warp camera-frame normals (x right, y up) into the canonical card frame: resample, rotate the in-plane
 * components by the card's rotation at its centre, renormalise.
 */
export function normalsToCanonical(normals: Float32Array, width: number, height: number, outline: CardOutline): Float32Array {
  const { canonicalToImage: H, canonicalWidth: cw, canonicalHeight: ch } = outline;
  const out = warpToCanonical(normals, width, height, 3, H, cw, ch);
  const [c, s] = canonicalRotation(outline);
  rotateNormals(out, c, s, 0, cw * ch);
  return out;
}

/**
 * {@link warpToCanonical} (and, with `normals`, {@link normalsToCanonical}) off the event loop: native
 * bands on the thread pool when the addon is built, else the TypeScript version.
 */
export async function warpToCanonicalAsync(src: Float32Array, width: number, height: number, channels: number, outline: CardOutline, normals = false): Promise<Float32Array> {
  const [dst] = await warpImagesToCanonicalAsync([{ src, channels, normals }], width, height, outline);
  return dst;
}

/** One image for {@link warpImagesToCanonicalAsync}. */
export interface CanonicalWarpImage {
  src: Float32Array;
  channels: number;
  /** 3-channel normals: rotated into the card frame and renormalised (only the first image may be). */
  normals?: boolean;
}

/**
 * Several images of the same camera frame (e.g. normals, albedo, confidence) into the canonical card image
 * in one pass: the native kernel computes each canonical pixel's source position once for all of them.
 */
export async function warpImagesToCanonicalAsync(images: readonly CanonicalWarpImage[], width: number, height: number, outline: CardOutline): Promise<Float32Array[]> {
  const { canonicalToImage: H, canonicalWidth: cw, canonicalHeight: ch } = outline;
  if (images.some((im, k) => im.normals && (k > 0 || im.channels !== 3))) throw createError('GB_VISION_FAILED', 'warp: only the first image may be normals, with 3 channels');
  const native = await loadVisionNative();
  const dsts = images.map((im) => new Float32Array(cw * ch * im.channels));
  const rotation = images[0]?.normals ? canonicalRotation(outline) : undefined;
  if (!native || images.length > 4) {
    // TypeScript fallback in slices of rows, yielding between them.
    for (let y0 = 0; y0 < ch; y0 += 128) {
      const y1 = Math.min(ch, y0 + 128);
      images.forEach((im, k) => {
        warpRows(im.src, width, height, im.channels, H, cw, dsts[k], y0, y1);
        if (im.normals && rotation) rotateNormals(dsts[k], rotation[0], rotation[1], y0 * cw, y1 * cw);
      });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return dsts;
  }
  const jobImages = images.map((im, k) => ({ src: im.src, dst: dsts[k], channels: im.channels }));
  const step = Math.ceil(ch / native.threads);
  const jobs: Promise<void>[] = [];
  for (let y0 = 0; y0 < ch; y0 += step) {
    jobs.push(native.warp({ images: jobImages, srcWidth: width, srcHeight: height, dstWidth: cw, dstHeight: ch, H, y0, y1: Math.min(ch, y0 + step), rotation }));
  }
  await Promise.all(jobs);
  return dsts;
}

/** Image position of a canonical pixel. */
export function canonicalToImagePoint(outline: CardOutline, x: number, y: number): [number, number] {
  return applyHomography(outline.canonicalToImage, x, y);
}
