// Analytic scenes for vision tests: exact normals/heights, rendered under known lights.

import { mulberry32 } from '../helpers/mulberry32.ts';

/** A height field with exact normals (x right, y up, z to camera) and a mask. */
export interface Scene {
  width: number;
  height: number;
  normals: Float32Array;
  mask: Uint8Array;
  /** Height in pixel units towards the camera (where defined). */
  heightPx: Float32Array;
  albedo: Float32Array;
}

/** A ball of radius r px centred in a w×h image (mask = inside radius·maxFrac). */
export function ballScene(width: number, height: number, radiusPx: number, maxFrac = 1): Scene {
  const n = width * height;
  const normals = new Float32Array(3 * n);
  const mask = new Uint8Array(n);
  const heightPx = new Float32Array(n);
  const albedo = new Float32Array(n);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const dx = (x - cx) / radiusPx;
      const dy = -(y - cy) / radiusPx;
      const r2 = dx * dx + dy * dy;
      if (r2 < maxFrac * maxFrac) {
        const dz = Math.sqrt(1 - r2);
        normals.set([dx, dy, dz], 3 * i);
        mask[i] = 1;
        heightPx[i] = dz * radiusPx;
        albedo[i] = 0.8;
      } else {
        normals.set([0, 0, 1], 3 * i);
      }
    }
  }
  return { width, height, normals, mask, heightPx, albedo };
}

/** Normals and mask from an analytic height function z(x, y) in px (central differences of f). */
export function heightScene(width: number, height: number, f: (x: number, y: number) => number, mask?: (x: number, y: number) => boolean): Scene {
  const n = width * height;
  const normals = new Float32Array(3 * n);
  const m = new Uint8Array(n);
  const heightPx = new Float32Array(n);
  const albedo = new Float32Array(n).fill(0.7);
  const e = 1e-3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const zx = (f(x + e, y) - f(x - e, y)) / (2 * e);
      // y grows downwards in the image; the normal's y axis points up.
      const zyUp = -(f(x, y + e) - f(x, y - e)) / (2 * e);
      const len = Math.hypot(zx, zyUp, 1);
      normals.set([-zx / len, -zyUp / len, 1 / len], 3 * i);
      heightPx[i] = f(x, y);
      m[i] = mask ? (mask(x, y) ? 1 : 0) : 1;
    }
  }
  return { width, height, normals, mask: m, heightPx, albedo };
}

/** Lights on rings: `elevationsDeg` × `perRing` azimuths (unit directions, N×3). */
export function ringLights(elevationsDeg: number[], perRing: number): number[] {
  const out: number[] = [];
  elevationsDeg.forEach((el, r) => {
    for (let k = 0; k < perRing; k++) {
      const az = (2 * Math.PI * (k + 0.5 * r)) / perRing;
      const e = (el * Math.PI) / 180;
      out.push(Math.cos(e) * Math.cos(az), Math.cos(e) * Math.sin(az), Math.sin(e));
    }
  });
  return out;
}

/** A deterministic pseudo-random generator (mulberry32), so a failing pattern can be replayed. */
export const rng = mulberry32;

/** Shading options: Blinn-Phong specular and noise, rendered to 16-bit. */
export interface ShadeOptions {
  specular?: number;
  shininess?: number;
  noise?: number;
  seed?: number;
  /** Full-scale value for albedo·irradiance = 1. */
  scale?: number;
}

/**
 * Render one 16-bit plane per light: ρ·max(0, n·l) (attached shadows) + ks·max(0, n·h)^s where lit,
 * with l per pixel from `lightAt(i, x, y)` (unit direction and irradiance) and the camera along +z.
 */
export function renderPlanes(scene: Scene, count: number, lightAt: (i: number, x: number, y: number) => [number, number, number, number], opt: ShadeOptions = {}): Uint16Array[] {
  const { width, height, normals, albedo } = scene;
  const ks = opt.specular ?? 0;
  const sh = opt.shininess ?? 50;
  const scale = opt.scale ?? 40000;
  const rand = rng(opt.seed ?? 1);
  const planes: Uint16Array[] = [];
  for (let li = 0; li < count; li++) {
    const plane = new Uint16Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        const [lx, ly, lz, e] = lightAt(li, x, y);
        const nx = normals[3 * i], ny = normals[3 * i + 1], nz = normals[3 * i + 2];
        const ndl = nx * lx + ny * ly + nz * lz;
        let v = 0;
        if (ndl > 0) {
          v = albedo[i] * ndl * e;
          if (ks > 0) {
            const hx = lx, hy = ly, hz = lz + 1;
            const hl = Math.hypot(hx, hy, hz);
            const ndh = Math.max(0, (nx * hx + ny * hy + nz * hz) / hl);
            v += ks * e * ndh ** sh;
          }
        }
        v = v * scale + (opt.noise ? (rand() - 0.5) * 2 * opt.noise * scale : 0);
        plane[i] = Math.max(0, Math.min(65535, Math.round(v)));
      }
    }
    planes.push(plane);
  }
  return planes;
}
