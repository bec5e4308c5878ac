import { readFileSync } from 'node:fs';
import type { PinholeCamera } from '../../geometry/camera-model.ts';
import type { MaterialSpec } from '../../geometry/booth-geometry.ts';
import type { SurfaceMaps } from '../scenes/surface-maps.ts';

/**
 * The per-pixel renderer, written for speed (flat typed arrays, no allocation in the loops) and for
 * transfer to worker threads (everything here is plain data or shared memory).
 *
 * Light model: near-field point LEDs (inverse square, cos^m beam about the LED axis, per-LED radiant
 * intensity) or distant lights (fixed direction, uniform irradiance). BRDF: Lambert + GGX microfacet
 * specular (Schlick Fresnel, Smith–Schlick masking). Output per LED: electrons per µs at full level.
 */
export interface ShadingLights {
  mode: 'near' | 'distant';
  /** near: per LED [x, y, z (mm), axisX, axisY, axisZ (unit, LED→target), intensity W/sr, beamExponent];
   *  distant: per LED [dirX, dirY, dirZ (unit, surface→light), irradiance W/m², 0, 0, 0, 0]. */
  params: Float64Array;
  count: number;
}

export interface ShadingSurface {
  maps: SurfaceMaps;
  cosR: number;
  sinR: number;
  xMm: number;
  yMm: number;
}

export interface ShadingSphere {
  center: [number, number, number];
  radiusMm: number;
  material: MaterialSpec;
}

export interface GroundTruthBuffers {
  /** World-frame unit normals, 3 per pixel. */
  normal: Float32Array;
  /** Height of the visible point above the tray plane, mm. */
  height: Float32Array;
  /** 0..255 coverage of the object (card/target/sphere) at the pixel. */
  cover: Uint8Array;
  /** Defect id at the pixel (0 = none). */
  label: Uint16Array;
  /** Albedo at the pixel (for scoring reconstructions). */
  albedo: Float32Array;
}

export interface ShadingJob {
  camera: PinholeCamera;
  lights: ShadingLights;
  /** Which LEDs to render (indices into lights), and where each basis image goes. */
  ledIndices: number[];
  basis: Float32Array[];
  responsivity: number;
  tray: MaterialSpec;
  surface: ShadingSurface | null;
  sphere: ShadingSphere | null;
  truth: GroundTruthBuffers | null;
  rowStart: number;
  rowEnd: number;
  /** 'wasm' (default: the SIMD kernel in wasm/near-led.wat, f32) or 'js' (the reference, same math). */
  kernel?: 'wasm' | 'js';
}

const INV_PI = 1 / Math.PI;

/** The SIMD kernel: exported functions and its scratch memory (layout in wasm/near-led.wat). */
interface WasmKernel {
  memory: { buffer: ArrayBuffer };
  near: (n: number, lx: number, ly: number, lz: number, ax: number, ay: number, az: number, power: number, m: number) => void;
  distant: (n: number, dx: number, dy: number, dz: number, irradiance: number) => void;
}

let wasmKernel: WasmKernel | null | undefined;

/** Load the SIMD kernel once per thread; null where WebAssembly SIMD is unavailable (the JS path runs). */
export function loadWasmKernel(): WasmKernel | null {
  if (wasmKernel !== undefined) return wasmKernel;
  try {
    const bytes = readFileSync(new URL('./wasm/near-led.wasm', import.meta.url));
    // The project's TypeScript lib has no WebAssembly declarations (no DOM lib); Node provides the global.
    const wa = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object) => { exports: unknown } } }).WebAssembly;
    const instance = new wa.Instance(new wa.Module(bytes));
    const e = instance.exports as unknown as WasmKernel;
    wasmKernel = { memory: e.memory, near: e.near, distant: e.distant };
  } catch {
    wasmKernel = null;
  }
  return wasmKernel;
}

/** Render rows [rowStart, rowEnd) of the requested basis images (and ground truth when asked). */
export function shadeRows(job: ShadingJob): void {
  const cam = job.camera;
  const W = cam.widthPx;
  const rot = cam.rotation;
  const [cxw, cyw, czw] = cam.positionMm;
  const lights = job.lights.params;
  const near = job.lights.mode === 'near';
  const nLeds = job.ledIndices.length;
  const ledOffsets = job.ledIndices.map((k) => k * 8);
  const surf = job.surface;
  const maps = surf?.maps;
  const sph = job.sphere;
  const truth = job.truth;
  const resp = job.responsivity;
  const distort = cam.k1 !== 0 || cam.k2 !== 0;
  const basis = job.basis;
  const vignetteOn = cam.naturalVignetting;
  const fxPx = cam.fxPx, fyPx = cam.fyPx, cxPx = cam.cxPx, cyPx = cam.cyPx;
  const trayAlbedo = job.tray.albedo, trayAlpha = job.tray.roughness, trayF0 = job.tray.specularF0;
  // Integer beam exponents (the usual case) by repeated multiplication: Math.pow dominates otherwise.
  const beamInt = new Int32Array(nLeds);
  for (let j = 0; j < nLeds; j++) {
    const m = lights[ledOffsets[j] + 7];
    beamInt[j] = near && Number.isInteger(m) && m >= 0 && m <= 16 ? m : -1;
  }

  // Row scratch: geometry once per pixel, then one tight loop per LED over the row (contiguous writes,
  // monomorphic inner loop: several times faster than looping LEDs inside each pixel).
  // Scratch for a chunk of CHUNK pixels: small enough (16 arrays × 8 B × CHUNK) to stay in L1/L2 cache
  // while every LED walks over it.
  const C = CHUNK;
  // With the SIMD kernel the scratch arrays are views of its memory (array j at byte j × 4 × CHUNK).
  const wasm = job.kernel === 'js' ? null : loadWasmKernel();
  const scratch = (j: number): Float32Array => (wasm ? new Float32Array(wasm.memory.buffer, j * 4 * C, C) : new Float32Array(C));
  const [rP0, rP1, rP2, rN0, rN1, rN2, rV0, rV1, rV2, rNdv, rA2, rK, rSpecV, rDiffuse, rF0, rScale, wasmOut] = Array.from({ length: 17 }, (_, j) => scratch(j));
  const row: RowGeometry = { rP0, rP1, rP2, rN0, rN1, rN2, rV0, rV1, rV2, rNdv, rA2, rK, rSpecV, rDiffuse, rF0, rScale };
  for (let py = job.rowStart; py < job.rowEnd; py++) {
   for (let x0 = 0; x0 < W; x0 += C) {
    const x1 = Math.min(W, x0 + C);
    const rowBase = py * W;
    for (let px = x0; px < x1; px++) {
      const idx = rowBase + px;
      const sx = px - x0;
      // Ray through the pixel centre.
      let xn = (px + 0.5 - cxPx) / fxPx;
      let yn = (py + 0.5 - cyPx) / fyPx;
      if (distort) {
        const xd = xn;
        const yd = yn;
        for (let it = 0; it < 8; it++) {
          const r2 = xn * xn + yn * yn;
          const d = 1 + cam.k1 * r2 + cam.k2 * r2 * r2;
          xn = xd / d;
          yn = yd / d;
        }
      }
      let dx = rot[0] * xn + rot[3] * yn + rot[6];
      let dy = rot[1] * xn + rot[4] * yn + rot[7];
      let dz = rot[2] * xn + rot[5] * yn + rot[8];
      const dl = Math.sqrt(dx * dx + dy * dy + dz * dz);
      dx /= dl;
      dy /= dl;
      dz /= dl;
      const cosAxis = dx * rot[6] + dy * rot[7] + dz * rot[8];
      const vignette = vignetteOn ? cosAxis * cosAxis * cosAxis * cosAxis : 1;

      let P0 = 0, P1 = 0, P2 = 0, n0 = 0, n1 = 0, n2 = 1;
      let albedo = trayAlbedo, alpha = trayAlpha, f0 = trayF0;
      let cover = 0, label = 0;
      let hitSphere = false;
      if (sph) {
        const ox = cxw - sph.center[0], oy = cyw - sph.center[1], oz = czw - sph.center[2];
        const b = ox * dx + oy * dy + oz * dz;
        const c = ox * ox + oy * oy + oz * oz - sph.radiusMm * sph.radiusMm;
        const disc = b * b - c;
        if (disc > 0) {
          const t = -b - Math.sqrt(disc);
          P0 = cxw + t * dx; P1 = cyw + t * dy; P2 = czw + t * dz;
          n0 = (P0 - sph.center[0]) / sph.radiusMm; n1 = (P1 - sph.center[1]) / sph.radiusMm; n2 = (P2 - sph.center[2]) / sph.radiusMm;
          albedo = sph.material.albedo; alpha = sph.material.roughness; f0 = sph.material.specularF0;
          cover = 255;
          hitSphere = true;
        }
      }
      if (!hitSphere) {
        // Intersect the tray plane, then re-intersect at the local surface height (small relief: two
        // fixed-point steps remove the parallax of the card's thickness and bow).
        let z0 = 0;
        let t = (z0 - czw) / dz;
        P0 = cxw + t * dx; P1 = cyw + t * dy; P2 = 0;
        if (surf && maps) {
          const mw = maps.widthPx, mh = maps.heightPx, ip = 1 / maps.pitchMm;
          let fx = 0, fy = 0, inside = false;
          for (let it = 0; it < 3; it++) {
            const rx = P0 - surf.xMm, ry = P1 - surf.yMm;
            const u = surf.cosR * rx + surf.sinR * ry;
            const v = -surf.sinR * rx + surf.cosR * ry;
            fx = u * ip + mw / 2 - 0.5;
            fy = mh / 2 - v * ip - 0.5;
            inside = fx >= 0 && fy >= 0 && fx < mw - 1 && fy < mh - 1;
            if (!inside) break;
            const x0 = fx | 0, y0 = fy | 0, ax = fx - x0, ay = fy - y0;
            const i00 = y0 * mw + x0;
            const h = maps.height;
            z0 = (h[i00] * (1 - ax) + h[i00 + 1] * ax) * (1 - ay) + (h[i00 + mw] * (1 - ax) + h[i00 + mw + 1] * ax) * ay;
            if (it === 2) break;
            t = (z0 - czw) / dz;
            P0 = cxw + t * dx; P1 = cyw + t * dy;
          }
          if (inside) {
            P2 = z0;
            const x0 = fx | 0, y0 = fy | 0, ax = fx - x0, ay = fy - y0;
            const i00 = y0 * mw + x0, i01 = i00 + 1, i10 = i00 + mw, i11 = i10 + 1;
            const w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay), w10 = (1 - ax) * ay, w11 = ax * ay;
            const a = maps.albedo, r = maps.roughness, s = maps.specularF0, su = maps.slopeU, sv = maps.slopeV, cv = maps.cover;
            albedo = a[i00] * w00 + a[i01] * w01 + a[i10] * w10 + a[i11] * w11;
            alpha = r[i00] * w00 + r[i01] * w01 + r[i10] * w10 + r[i11] * w11;
            f0 = s[i00] * w00 + s[i01] * w01 + s[i10] * w10 + s[i11] * w11;
            const gu = su[i00] * w00 + su[i01] * w01 + su[i10] * w10 + su[i11] * w11;
            const gv = sv[i00] * w00 + sv[i01] * w01 + sv[i10] * w10 + sv[i11] * w11;
            cover = Math.round(255 * (cv[i00] * w00 + cv[i01] * w01 + cv[i10] * w10 + cv[i11] * w11));
            label = maps.label[(fy + 0.5 | 0) * mw + (fx + 0.5 | 0)];
            // Object-frame normal (-gu, -gv, 1), rotated back into the tray frame.
            const ou = -gu, ov = -gv;
            n0 = surf.cosR * ou - surf.sinR * ov;
            n1 = surf.sinR * ou + surf.cosR * ov;
            n2 = 1;
            const nl = Math.sqrt(n0 * n0 + n1 * n1 + 1);
            n0 /= nl; n1 /= nl; n2 /= nl;
          }
        }
      }
      if (truth) {
        truth.normal[idx * 3] = n0; truth.normal[idx * 3 + 1] = n1; truth.normal[idx * 3 + 2] = n2;
        truth.height[idx] = P2;
        truth.cover[idx] = cover;
        truth.label[idx] = label;
        truth.albedo[idx] = albedo;
      }
      // View direction (surface → camera).
      let v0 = cxw - P0, v1 = cyw - P1, v2 = czw - P2;
      const vl = Math.sqrt(v0 * v0 + v1 * v1 + v2 * v2);
      v0 /= vl; v1 /= vl; v2 /= vl;
      const ndv = n0 * v0 + n1 * v1 + n2 * v2;
      const k = alpha / 2;
      rP0[sx] = P0; rP1[sx] = P1; rP2[sx] = P2;
      rN0[sx] = n0; rN1[sx] = n1; rN2[sx] = n2;
      rV0[sx] = v0; rV1[sx] = v1; rV2[sx] = v2;
      rNdv[sx] = ndv;
      rA2[sx] = Math.max(alpha * alpha, 1e-6);
      rK[sx] = k;
      // G1(v) / (4 n·v) = 1 / (4 (n·v (1 − k) + k)).
      rSpecV[sx] = ndv > 0 ? 1 / (4 * (ndv * (1 - k) + k)) : 0;
      rDiffuse[sx] = albedo * INV_PI;
      rF0[sx] = ndv > 0 ? f0 : 0;
      rScale[sx] = resp * vignette;
    }
    const n = x1 - x0;
    for (let j = 0; j < nLeds; j++) {
      const o = ledOffsets[j];
      if (wasm && (!near || beamInt[j] >= 0)) {
        // Pixels past n in the last chunk hold stale (finite) scratch; their outputs are not copied.
        const n4 = (n + 3) & ~3;
        if (near) wasm.near(n4, lights[o], lights[o + 1], lights[o + 2], lights[o + 3], lights[o + 4], lights[o + 5], lights[o + 6] * 1e6, beamInt[j]);
        else wasm.distant(n4, lights[o], lights[o + 1], lights[o + 2], lights[o + 3]);
        basis[j].set(n === C ? wasmOut : wasmOut.subarray(0, n), rowBase + x0);
      } else {
        shadeLedRow(lights, o, beamInt[j], near, basis[j], rowBase + x0, n, row);
      }
    }
   }
  }
}

const CHUNK = 256;

/** Per-pixel geometry and material of one image row (scratch arrays, reused row after row). */
interface RowGeometry {
  rP0: Float32Array; rP1: Float32Array; rP2: Float32Array;
  rN0: Float32Array; rN1: Float32Array; rN2: Float32Array;
  rV0: Float32Array; rV1: Float32Array; rV2: Float32Array;
  rNdv: Float32Array; rA2: Float32Array; rK: Float32Array; rSpecV: Float32Array;
  rDiffuse: Float32Array; rF0: Float32Array; rScale: Float32Array;
}

/**
 * GGX D·F·G/(4 n·l n·v) with one division: hh = |l + v|² = 2 + 2 l·v, n·h² = (n·l + n·v)²/hh,
 * D = a² hh² / (π ((n·l + n·v)²(a² − 1) + hh)²); G1(l)/n·l and G1(v)/(4 n·v) take the rest (`k`, `specV`).
 * Shared by the near and distant rows; small enough that V8 inlines it into both loops.
 */
function ggxSpecular(ndl: number, ndv: number, ldv: number, a2: number, f0: number, k: number, specV: number): number {
  const hh = 2 + 2 * ldv;
  const sum = ndl + ndv;
  const Q = sum * sum * (a2 - 1) + hh;
  const m = 1 - Math.sqrt(hh) * 0.5;
  const m2 = m * m;
  const F = f0 + (1 - f0) * m2 * m2 * m;
  return (a2 * hh * hh * F * specV) / (Math.PI * Q * Q * (ndl * (1 - k) + k));
}

/** One LED over one row: small, monomorphic functions (one per light model) that V8 optimises well. */
function shadeLedRow(lights: Float64Array, o: number, mi: number, near: boolean, out: Float32Array, rowBase: number, W: number, row: RowGeometry): void {
  if (near) shadeNearRow(lights, o, mi, out, rowBase, W, row);
  else shadeDistantRow(lights, o, out, rowBase, W, row);
}

function shadeNearRow(lights: Float64Array, o: number, mi: number, out: Float32Array, rowBase: number, W: number, row: RowGeometry): void {
  const { rP0, rP1, rP2, rN0, rN1, rN2, rV0, rV1, rV2, rNdv, rA2, rK, rSpecV, rDiffuse, rF0, rScale } = row;
  const Lx = lights[o], Ly = lights[o + 1], Lz = lights[o + 2];
  const ax = lights[o + 3], ay = lights[o + 4], az = lights[o + 5];
  // mm² → m²: irradiance in W/m².
  const power = lights[o + 6] * 1e6;
  const mExp = lights[o + 7];
  for (let px = 0; px < W; px++) {
    const dx = Lx - rP0[px], dy = Ly - rP1[px], dz = Lz - rP2[px];
    const d2 = dx * dx + dy * dy + dz * dz;
    const il = 1 / Math.sqrt(d2);
    const l0 = dx * il, l1 = dy * il, l2 = dz * il;
    const c = -(l0 * ax + l1 * ay + l2 * az);
    const ndl = rN0[px] * l0 + rN1[px] * l1 + rN2[px] * l2;
    if (c <= 0 || ndl <= 0) {
      out[rowBase + px] = 0;
      continue;
    }
    const c2 = c * c;
    const beam = mi === 2 ? c2 : mi === 4 ? c2 * c2 : mi === 3 ? c2 * c : mi === 1 ? c : mi === 0 ? 1 : Math.pow(c, mExp);
    const f0 = rF0[px];
    const brdf = f0 > 0 ? rDiffuse[px] + ggxSpecular(ndl, rNdv[px], l0 * rV0[px] + l1 * rV1[px] + l2 * rV2[px], rA2[px], f0, rK[px], rSpecV[px]) : rDiffuse[px];
    out[rowBase + px] = brdf * ndl * rScale[px] * power * beam * il * il;
  }
}

function shadeDistantRow(lights: Float64Array, o: number, out: Float32Array, rowBase: number, W: number, row: RowGeometry): void {
  const { rN0, rN1, rN2, rV0, rV1, rV2, rNdv, rA2, rK, rSpecV, rDiffuse, rF0, rScale } = row;
  const l0 = lights[o], l1 = lights[o + 1], l2 = lights[o + 2];
  const irradiance = lights[o + 3];
  for (let px = 0; px < W; px++) {
    const ndl = rN0[px] * l0 + rN1[px] * l1 + rN2[px] * l2;
    if (ndl <= 0) {
      out[rowBase + px] = 0;
      continue;
    }
    const f0 = rF0[px];
    const brdf = f0 > 0 ? rDiffuse[px] + ggxSpecular(ndl, rNdv[px], l0 * rV0[px] + l1 * rV1[px] + l2 * rV2[px], rA2[px], f0, rK[px], rSpecV[px]) : rDiffuse[px];
    out[rowBase + px] = brdf * ndl * rScale[px] * irradiance;
  }
}
