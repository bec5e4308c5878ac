// Shared evaluation helpers for the photometric-stereo accuracy tests and scripts/ps-robust-eval.ts: the
// real CLI in-process, the psm-uw gray sphere's reference normals, leave-one-out prediction error.
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import { readPhotometricFolder, type PhotometricDataset } from '../../src/io/photometric-folder.ts';
import { distantLights } from '../../src/vision/lights.ts';
import { solvePhotometricStereo, type PsOptions } from '../../src/vision/ps.ts';
import { psmUwFolder } from './psm-uw.ts';

/** Run `gradebooth ARGS` in this process; resolves with stdout, rejects with stderr on a non-zero exit. */
export async function gradebooth(args: string[]): Promise<string> {
  let out = '', err = '';
  const stdout = new Writable({ write(c, _e, cb) { out += String(c); cb(); } });
  const stderr = new Writable({ write(c, _e, cb) { err += String(c); cb(); } });
  const code = await main(args, { stdout, stderr, stopSignal: new AbortController().signal });
  if (code !== 0) throw new Error(`gradebooth ${args.join(' ')} exited ${code}: ${err}`);
  return out;
}

/** psm-uw's gray object (a matte sphere) in DIR, and reference normals from the circle fitted to its mask. */
export async function grayReference(dir: string): Promise<{ ds: PhotometricDataset; reference: Float32Array }> {
  await psmUwFolder('gray', dir);
  const ds = await readPhotometricFolder(dir);
  const { width: W, height: H } = ds;
  const mask = ds.mask!;
  let sx = 0, sy = 0, n = 0;
  for (let i = 0; i < W * H; i++) if (mask[i]) { sx += i % W; sy += Math.floor(i / W); n++; }
  const cx = sx / n, cy = sy / n, R = Math.sqrt(n / Math.PI);
  const reference = new Float32Array(3 * W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const dx = (x - cx) / R, dy = -(y - cy) / R, r2 = dx * dx + dy * dy;
    if (r2 < 1) reference.set([dx, dy, Math.sqrt(1 - r2)], 3 * (y * W + x));
  }
  return { ds, reference };
}

/**
 * Leave-one-out prediction error: solve from all lights but one, predict that image's Lambertian shading,
 * take the median |error| over the mask (robust to the held-out image's own highlights and shadows);
 * the mean over the held-out lights, in grey levels.
 */
export async function looScore(ds: PhotometricDataset, method: 'ls' | 'robust', options: PsOptions = {}): Promise<number> {
  const { width: W, height: H } = ds;
  const mask = ds.mask!;
  const N = ds.planes.length;
  let score = 0;
  for (let k = 0; k < N; k++) {
    const keep = [...Array(N).keys()].filter((i) => i !== k);
    const dirs = keep.flatMap((i) => Array.from(ds.directions.subarray(3 * i, 3 * i + 3)));
    const r = await solvePhotometricStereo(keep.map((i) => ds.planes[i]), distantLights(W, H, dirs), { ...options, mask, method });
    const [lx, ly, lz] = ds.directions.subarray(3 * k, 3 * k + 3);
    const errs: number[] = [];
    for (let i = 0; i < W * H; i++) {
      if (!mask[i]) continue;
      const pred = r.albedo[i] * Math.max(0, r.normals[3 * i] * lx + r.normals[3 * i + 1] * ly + r.normals[3 * i + 2] * lz);
      errs.push(Math.abs(pred - ds.planes[k][i]));
    }
    const sorted = Float64Array.from(errs).sort();
    score += sorted[sorted.length >> 1] / N;
  }
  return score;
}
