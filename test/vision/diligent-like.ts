// An independent DiLiGenT-like capture for evaluating the robust photometric-stereo solve: an analytic
// shiny sphere (Lambertian diffuse + Cook-Torrance/GGX specular, attached shadows, clipped highlights,
// camera noise) under 96 distant lights on a DiLiGenT-style 8 × 12 LED grid with varied RGB intensities,
// written as 16-bit RGB PNGs in the common folder format (filenames.txt, light_directions.txt,
// light_intensities.txt, mask.png, normal_gt.png). Deliberately not built on src/sim (a different
// renderer, so the estimator is not judged by the code that generated its own test data).
import { readPhotometricFolder, writePhotometricFolder } from '../../src/io/photometric-folder.ts';
import { distantLights } from '../../src/vision/lights.ts';
import { solvePhotometricStereo } from '../../src/vision/ps.ts';
import type { RasterImage } from '../../src/imaging/image.ts';
import { mulberry32 } from '../helpers/mulberry32.ts';

/** Options of {@link renderShinySphere}. */
export interface ShinySphereOptions {
  /** Image edge in px (square). */
  sizePx: number;
  /** Sphere radius in px (the bowl's sphere for shape 'bowl'). */
  radiusPx: number;
  /**
   * 'sphere' (convex: attached shadows only) or 'bowl': the inside of a sphere below a rim plane at
   * rimHeight × radius under its centre, set in a flat table (mask: bowl and a ring of table around it) —
   * concave, so the walls cast shadows into it.
   */
  shape?: 'sphere' | 'bowl';
  /** Bowl rim plane, as a fraction of the radius below the sphere's centre (0 = hemisphere; default 0.25). */
  rimHeight?: number;
  /** GGX roughness α (DiLiGenT's ball is glossy plastic: ~0.1–0.2). */
  roughness?: number;
  /** Specular weight (multiplies the Cook-Torrance term; larger = brighter highlights). */
  specular?: number;
  /** Fresnel reflectance at normal incidence (plastic ≈ 0.04). */
  f0?: number;
  /** Diffuse albedo per channel. */
  albedoRgb?: [number, number, number];
  /** Camera noise: standard deviation as a fraction of full scale, plus shot noise ∝ √signal. */
  noise?: number;
  /** Raw value of albedo·irradiance = 1 (the rest of the 16-bit range is highlight headroom). */
  scale?: number;
  seed?: number;
  /** Lights: 96 on the DiLiGenT-like grid unless given (unit directions N×3). */
  directions?: number[];
  /** Calibration error: the written directions are off the rendered ones by this much (deg, random axis). */
  directionErrorDeg?: number;
  /** Calibration error: written intensities off the rendered ones by up to ± this fraction. */
  intensityError?: number;
  /** Ambient light (interreflections), as a fraction of albedo·irradiance = 1: shadows are not 0. */
  ambient?: number;
}

/** A rendered capture plus its exact normals. */
export interface ShinySphereCapture {
  width: number;
  height: number;
  directions: number[];
  /** N×3 RGB intensities (as DiLiGenT's light_intensities.txt). */
  intensities: number[];
  images: RasterImage[];
  mask: Uint8Array;
  /** Analytic unit normals (3 per px; (0,0,1) outside the mask). */
  normals: Float32Array;
  /** Per px: lights whose specular term exceeds 5% of that reading's diffuse full shading (ρ·E). */
  specularReadings: Uint8Array;
  /** Per px: lights that face the surface but are blocked by it (cast shadows; bowl only). */
  castShadows: Uint8Array;
}

/**
 * 96 light directions like DiLiGenT's: LEDs on a plane facing the object in an 8 × 12 grid, the outermost
 * about 50° from the viewing axis (x right, y up, z towards the camera), in row order.
 */
export function diligentGridDirections(): number[] {
  const out: number[] = [];
  const spacing = 0.19; // × the plane's distance
  for (let r = 0; r < 8; r++) {
    for (let c = 0; c < 12; c++) {
      const x = (c - 5.5) * spacing, y = (3.5 - r) * spacing;
      const len = Math.hypot(x, y, 1);
      out.push(x / len, y / len, 1 / len);
    }
  }
  return out;
}

/** Gaussian sample (Box–Muller) from a uniform generator. */
function gauss(rand: () => number): number {
  const u = Math.max(1e-12, rand());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Render the sphere capture (pure function of the options). */
export function renderShinySphere(o: ShinySphereOptions): ShinySphereCapture {
  const size = o.sizePx, R = o.radiusPx;
  const alpha = o.roughness ?? 0.15, ks = o.specular ?? 1.5, f0 = o.f0 ?? 0.04;
  const albedo = o.albedoRgb ?? [0.62, 0.6, 0.58];
  const noise = o.noise ?? 0.002, scale = o.scale ?? 24000;
  const rand = mulberry32(o.seed ?? 7);
  const directions = o.directions ?? diligentGridDirections();
  const count = directions.length / 3;
  // DiLiGenT's LEDs differ in brightness and tint: per light a level in [0.55, 1.45], per channel ±8%.
  const intensities: number[] = [];
  for (let i = 0; i < count; i++) {
    const level = 0.55 + 0.9 * rand();
    for (let c = 0; c < 3; c++) intensities.push(level * (0.92 + 0.16 * rand()));
  }
  const n = size * size;
  const normals = new Float32Array(3 * n);
  const mask = new Uint8Array(n);
  const c0 = (size - 1) / 2;
  const bowl = o.shape === 'bowl';
  const h = o.rimHeight ?? 0.25;
  const rim2 = 1 - h * h; // bowl rim radius², in units of R
  // Bowl: depth below the rim plane (units of R) where the surface is; the table is at 0.
  const depth = new Float32Array(n);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const dx = (x - c0) / R, dy = -(y - c0) / R, r2 = dx * dx + dy * dy;
      if (!bowl && r2 < 0.98 * 0.98) {
        normals.set([dx, dy, Math.sqrt(1 - r2)], 3 * i);
        mask[i] = 1;
      } else if (bowl && r2 < rim2) {
        // Inside a sphere centred at (0, 0, 0): surface z = −√(1 − r²), normal towards the centre.
        const zs = Math.sqrt(1 - r2);
        normals.set([-dx, -dy, zs], 3 * i);
        depth[i] = zs - h;
        mask[i] = 1;
      } else {
        normals[3 * i + 2] = 1;
        if (bowl && r2 < rim2 * 1.3) mask[i] = 1;
      }
    }
  }
  const castShadows = new Uint8Array(n);
  const a2 = alpha * alpha;
  const k = alpha / 2; // Schlick-GGX geometry term for analytic lights
  const images: RasterImage[] = [];
  const specularReadings = new Uint8Array(n);
  const ambient = o.ambient ?? 0;
  for (let li = 0; li < count; li++) {
    const lx = directions[3 * li], ly = directions[3 * li + 1], lz = directions[3 * li + 2];
    const hl = Math.hypot(lx, ly, lz + 1);
    const hx = lx / hl, hy = ly / hl, hz = (lz + 1) / hl;
    const vdh = hz; // view = (0,0,1)
    const fresnel = f0 + (1 - f0) * (1 - vdh) ** 5;
    const data = new Uint16Array(3 * n);
    for (let i = 0; i < n; i++) {
      let shade = [0, 0, 0];
      if (mask[i]) {
        const nx = normals[3 * i], ny = normals[3 * i + 1], nz = normals[3 * i + 2];
        const ndl = nx * lx + ny * ly + nz * lz;
        let blocked = false;
        if (bowl && depth[i] > 0 && ndl > 0) {
          // The ray towards the light meets the sphere again at t = 2 n·l (from P = −n, |P| = 1);
          // it is blocked when that point lies below the rim plane z = −h.
          const t = 2 * ndl;
          blocked = -nz + t * lz < -h;
          if (blocked) castShadows[i]++;
        }
        if (ndl > 0 && !blocked) {
          const ndh = Math.max(0, nx * hx + ny * hy + nz * hz), ndv = Math.max(1e-4, nz);
          const d = a2 / (Math.PI * (ndh * ndh * (a2 - 1) + 1) ** 2);
          const g = (ndl / (ndl * (1 - k) + k)) * (ndv / (ndv * (1 - k) + k));
          const spec = ks * (d * fresnel * g) / (4 * ndv); // Cook-Torrance BRDF × n·l
          shade = albedo.map((a) => a * (ndl + ambient) + spec);
          if (spec > 0.05 * albedo[1]) specularReadings[i]++;
        } else shade = albedo.map((a) => a * ambient);
      }
      for (let c = 0; c < 3; c++) {
        const signal = shade[c] * intensities[3 * li + c] * scale;
        // Read noise (noise × scale DN) and shot noise (variance 0.5 DN per DN of signal).
        const v = noise > 0 ? signal + gauss(rand) * Math.sqrt((noise * scale) ** 2 + 0.5 * signal) : signal;
        data[3 * i + c] = Math.max(0, Math.min(65535, Math.round(v)));
      }
    }
    images.push({ width: size, height: size, channels: 3, bitDepth: 16, data });
  }
  // What a calibration would have measured: directions and intensities slightly off the true ones.
  const errRad = ((o.directionErrorDeg ?? 0) * Math.PI) / 180;
  const written = directions.slice();
  const writtenI = intensities.slice();
  for (let i = 0; i < count; i++) {
    if (errRad > 0) {
      // Tilt by errRad about a random axis perpendicular to the direction.
      const [x, y, z] = written.slice(3 * i, 3 * i + 3);
      const phi = 2 * Math.PI * rand();
      let ux = -y, uy = x, uz = 0;
      const ul = Math.hypot(ux, uy) || 1;
      ux /= ul; uy /= ul;
      const vx = y * uz - z * uy, vy = z * ux - x * uz, vz = x * uy - y * ux;
      const ax = Math.cos(phi) * ux + Math.sin(phi) * vx, ay = Math.cos(phi) * uy + Math.sin(phi) * vy, az = Math.cos(phi) * uz + Math.sin(phi) * vz;
      const c = Math.cos(errRad), sn = Math.sin(errRad);
      written[3 * i] = x * c + ax * sn; written[3 * i + 1] = y * c + ay * sn; written[3 * i + 2] = z * c + az * sn;
    }
    const f = 1 + (o.intensityError ?? 0) * (2 * rand() - 1);
    for (let c = 0; c < 3; c++) writtenI[3 * i + c] *= f;
  }
  return { width: size, height: size, directions: written, intensities: writtenI, images, mask, normals, specularReadings, castShadows };
}

/** Write a capture as a common-format folder (normal_gt.png included, as DiLiGenT ships it). */
export async function writeShinySphereFolder(dir: string, cap: ShinySphereCapture): Promise<void> {
  await writePhotometricFolder(dir, {
    width: cap.width,
    height: cap.height,
    images: cap.images,
    directions: cap.directions,
    intensities: cap.intensities,
    mask: cap.mask,
    normalsTruth: cap.normals,
  });
}

/**
 * Mean robust-solve confidence (as the CLI solves the folder in DIR) over interior pixels (n_z > 0.5) with
 * no specular reading, and over those with ≥ 3 specular readings (the solve should have rejected them).
 */
export async function highlightConfidence(dir: string, cap: ShinySphereCapture): Promise<{ clean: number; highlight: number }> {
  const ds = await readPhotometricFolder(dir);
  const field = distantLights(ds.width, ds.height, ds.directions, ds.intensities);
  const r = await solvePhotometricStereo(ds.planes, field, { mask: ds.mask, method: 'robust' });
  let c0 = 0, n0 = 0, c1 = 0, n1 = 0;
  for (let i = 0; i < cap.mask.length; i++) {
    if (!cap.mask[i] || cap.normals[3 * i + 2] < 0.5) continue;
    if (cap.specularReadings[i] === 0) { c0 += r.confidence[i]; n0++; }
    else if (cap.specularReadings[i] >= 3) { c1 += r.confidence[i]; n1++; }
  }
  return { clean: c0 / Math.max(1, n0), highlight: c1 / Math.max(1, n1) };
}
