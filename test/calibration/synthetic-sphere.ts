// An independent analytic renderer of a mirror sphere, for tests: every pixel is supersampled, each
// sample's camera ray is traced to the sphere, reflected, and lit by a small Gaussian source around the
// light (a distant direction or a point). It shares no code with src/calibration, so a test that passes
// against it checks the calibration against physics, not against itself.
import type { FloatImage } from '../../src/imaging/image.ts';

export type V3 = [number, number, number];

export interface SyntheticSphereOptions {
  width: number;
  height: number;
  /** Perspective camera (OpenCV frame, pixel centres at +0.5); absent = orthographic. */
  camera?: { fx: number; fy: number; cx: number; cy: number };
  /** Perspective: sphere centre (camera frame, mm) and radius (mm). */
  centreMm?: V3;
  radiusMm?: number;
  /** Orthographic: sphere circle in pixels. */
  circle?: { cx: number; cy: number; r: number };
  /** Distant light direction: camera frame for perspective; x right, y up, z to camera for orthographic. */
  lightDirection?: V3;
  /** Point light position (camera frame, mm), perspective only. */
  lightPositionMm?: V3;
  /** Angular size of the source (Gaussian sigma of the reflected lobe), degrees. */
  sourceSigmaDeg?: number;
  /** Peak brightness before clipping at 1 (values > 1 saturate the highlight core). */
  gain?: number;
  supersample?: number;
}

const norm = (v: V3): V3 => {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
};
const dot = (a: V3, b: V3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** Render the sphere under one light; returns the image (0..1, clipped) and an anti-aliased mask. */
export function renderMirrorSphere(o: SyntheticSphereOptions): { image: FloatImage; mask: FloatImage } {
  const ss = o.supersample ?? 4;
  const sigma = ((o.sourceSigmaDeg ?? 1.5) * Math.PI) / 180;
  const gain = o.gain ?? 3;
  const image = new Float32Array(o.width * o.height);
  const mask = new Float32Array(o.width * o.height);
  for (let py = 0; py < o.height; py++) {
    for (let px = 0; px < o.width; px++) {
      let sum = 0;
      let inside = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const u = px + (sx + 0.5) / ss;
          const v = py + (sy + 0.5) / ss;
          let n: V3;
          let view: V3; // towards the camera
          let point: V3 = [0, 0, 0];
          if (o.camera) {
            const c = o.centreMm as V3;
            const r = o.radiusMm as number;
            const d = norm([(u - o.camera.cx) / o.camera.fx, (v - o.camera.cy) / o.camera.fy, 1]);
            const b = dot(d, c);
            const disc = b * b - (dot(c, c) - r * r);
            if (disc < 0) continue;
            const t = b - Math.sqrt(disc);
            point = [d[0] * t, d[1] * t, d[2] * t];
            n = [(point[0] - c[0]) / r, (point[1] - c[1]) / r, (point[2] - c[2]) / r];
            view = [-d[0], -d[1], -d[2]];
          } else {
            const ci = o.circle as { cx: number; cy: number; r: number };
            const nx = (u - ci.cx) / ci.r;
            const ny = -(v - ci.cy) / ci.r;
            const q = 1 - nx * nx - ny * ny;
            if (q < 0) continue;
            n = [nx, ny, Math.sqrt(q)];
            view = [0, 0, 1];
          }
          inside++;
          const k = 2 * dot(n, view);
          const refl: V3 = [k * n[0] - view[0], k * n[1] - view[1], k * n[2] - view[2]];
          const toLight = o.lightPositionMm
            ? norm([o.lightPositionMm[0] - point[0], o.lightPositionMm[1] - point[1], o.lightPositionMm[2] - point[2]])
            : norm(o.lightDirection as V3);
          const ang = Math.acos(Math.min(1, dot(norm(refl), toLight)));
          sum += 0.02 + gain * Math.exp(-0.5 * (ang / sigma) ** 2);
        }
      }
      const p = py * o.width + px;
      image[p] = Math.min(1, sum / (ss * ss));
      mask[p] = inside / (ss * ss);
    }
  }
  return { image: { width: o.width, height: o.height, data: image }, mask: { width: o.width, height: o.height, data: mask } };
}

/** Quantise a 0..1 float image as 16-bit grey samples (what a PNG would hold). */
export function quantise16(img: FloatImage): Uint16Array {
  return Uint16Array.from(img.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 65535));
}
