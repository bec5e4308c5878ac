/**
 * A planar object described by maps on its own grid (object frame: origin at the object centre, u right,
 * v up, millimetres; map row 0 at the top, v = +heightMm/2). Maps live in SharedArrayBuffers so render
 * workers read them without copies.
 */
export interface SurfaceMaps {
  widthPx: number;
  heightPx: number;
  /** Map sample spacing, mm. */
  pitchMm: number;
  /** Height of the top surface above the tray plane, mm (0 where the object is absent). */
  height: Float32Array;
  /** Diffuse albedo 0..1. */
  albedo: Float32Array;
  /** GGX alpha 0..1. */
  roughness: Float32Array;
  /** Specular reflectance at normal incidence (Schlick F0). */
  specularF0: Float32Array;
  /** 1 where the object is present (inside its outline), 0 where the tray shows. */
  cover: Uint8Array;
  /** Defect id (1-based index into the scene's defect list) or 0. */
  label: Uint16Array;
  /** dh/du and dh/dv (central differences), filled by finalizeSurface. */
  slopeU: Float32Array;
  slopeV: Float32Array;
}

/** A Float32Array backed by shared memory (readable by workers without a copy). */
export function sharedFloat32(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(n * 4));
}

/** Allocate maps covering widthMm × heightMm at pitchMm, filled with one material and no cover. */
export function allocateSurfaceMaps(widthMm: number, heightMm: number, pitchMm: number): SurfaceMaps {
  const widthPx = Math.ceil(widthMm / pitchMm) + 2;
  const heightPx = Math.ceil(heightMm / pitchMm) + 2;
  const n = widthPx * heightPx;
  return {
    widthPx,
    heightPx,
    pitchMm,
    height: sharedFloat32(n),
    albedo: sharedFloat32(n),
    roughness: sharedFloat32(n),
    specularF0: sharedFloat32(n),
    cover: new Uint8Array(new SharedArrayBuffer(n)),
    label: new Uint16Array(new SharedArrayBuffer(n * 2)),
    slopeU: sharedFloat32(n),
    slopeV: sharedFloat32(n),
  };
}

/** Object-frame u (mm) of map column x. */
export function mapU(maps: SurfaceMaps, x: number): number {
  return (x + 0.5 - maps.widthPx / 2) * maps.pitchMm;
}

/** Object-frame v (mm) of map row y. */
export function mapV(maps: SurfaceMaps, y: number): number {
  return (maps.heightPx / 2 - y - 0.5) * maps.pitchMm;
}

/** Map index ranges (inclusive) of the samples inside an object-frame box (mm). */
export function boxIndices(maps: SurfaceMaps, uMin: number, vMin: number, uMax: number, vMax: number): { x0: number; x1: number; y0: number; y1: number } {
  const p = maps.pitchMm;
  return {
    x0: Math.max(0, Math.floor(uMin / p + maps.widthPx / 2 - 0.5)),
    x1: Math.min(maps.widthPx - 1, Math.ceil(uMax / p + maps.widthPx / 2 - 0.5)),
    y0: Math.max(0, Math.floor(maps.heightPx / 2 - vMax / p - 0.5)),
    y1: Math.min(maps.heightPx - 1, Math.ceil(maps.heightPx / 2 - vMin / p - 0.5)),
  };
}

/** Visit every map sample inside an object-frame box, giving (index, u, v). */
export function forEachInBox(
  maps: SurfaceMaps,
  uMin: number,
  vMin: number,
  uMax: number,
  vMax: number,
  fn: (i: number, u: number, v: number) => void,
): void {
  const { x0, x1, y0, y1 } = boxIndices(maps, uMin, vMin, uMax, vMax);
  for (let y = y0; y <= y1; y++) {
    const v = mapV(maps, y);
    for (let x = x0; x <= x1; x++) fn(y * maps.widthPx + x, mapU(maps, x), v);
  }
}

/**
 * Make the maps renderable: where the object is absent the tray shows (height 0, tray material), so
 * bilinear sampling across the outline blends object and tray; then compute the slope maps.
 */
export function finalizeSurface(maps: SurfaceMaps, tray: { albedo: number; roughness: number; specularF0: number }): void {
  const { widthPx: w, heightPx: h, pitchMm } = maps;
  for (let i = 0; i < w * h; i++) {
    if (maps.cover[i] === 0) {
      maps.height[i] = 0;
      maps.albedo[i] = tray.albedo;
      maps.roughness[i] = tray.roughness;
      maps.specularF0[i] = tray.specularF0;
    }
  }
  const hgt = maps.height;
  for (let y = 0; y < h; y++) {
    const up = Math.max(0, y - 1);
    const dn = Math.min(h - 1, y + 1);
    for (let x = 0; x < w; x++) {
      const l = Math.max(0, x - 1);
      const r = Math.min(w - 1, x + 1);
      const i = y * w + x;
      maps.slopeU[i] = (hgt[y * w + r] - hgt[y * w + l]) / ((r - l) * pitchMm);
      // Rows run down while v runs up.
      maps.slopeV[i] = (hgt[up * w + x] - hgt[dn * w + x]) / ((dn - up) * pitchMm);
    }
  }
}
