// Vision benchmarks: the photometric-stereo solve, integration and a whole side at the booth's full
// resolution (3000 × 4200, 16 lights, 16-bit), plus numpy/scipy references run in the same process run
// (scripts/bench-numpy.py) so the figures are comparable on the same machine at the same moment.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchResult, BenchSuite } from './bench.ts';
import { medianMs } from './bench.ts';
import { distantLights, nearFieldLights } from '../src/vision/lights.ts';
import { solvePhotometricStereo, type PsOutput } from '../src/vision/ps.ts';
import { buildTileTables, defaultPsKernelOptions } from '../src/vision/ps-kernel.ts';
import { integrateNormals } from '../src/vision/integrate.ts';
import { reconstructSide } from '../src/vision/side.ts';
import { coarseFallback, defaultCoarseFallback } from '../src/vision/ps-coarse-fallback.ts';
import { loadVisionNative } from '../src/vision/native.ts';
import { standardCard } from '../src/vision/segment.ts';

/** Two rings of 8 LEDs (25° and 55° elevation) at 200 mm, as mm positions. */
function ringLeds(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const upper = i >= n / 2;
    const el = ((upper ? 55 : 25) * Math.PI) / 180;
    const az = (2 * Math.PI * (i % (n / 2))) / (n / 2) + (upper ? Math.PI / (n / 2) : 0);
    out.push(200 * Math.cos(el) * Math.cos(az), 200 * Math.cos(el) * Math.sin(az), 200 * Math.sin(el));
  }
  return out;
}

/**
 * A synthetic capture: a slightly rotated card with a wavy surface and print on a dark table, Lambertian
 * under near-field LEDs (1/r²), 16-bit. Shading uses one light vector per 64-px block to generate fast.
 */
export function syntheticCapture(width: number, height: number, lights: number, umPerPx: number): Uint16Array[] {
  const leds = ringLeds(lights);
  const pxMm = umPerPx / 1000;
  const hw = standardCard.widthMm / pxMm / 2, hh = standardCard.heightMm / pxMm / 2;
  const a = (2 * Math.PI) / 180, ca = Math.cos(a), sa = Math.sin(a);
  const cx = width / 2 + 11, cy = height / 2 - 7;
  const planes = Array.from({ length: lights }, () => new Uint16Array(width * height));
  const lv = new Float64Array(lights * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if ((x & 63) === 0) {
        const px = (x + 32 - width / 2) * pxMm, py = -(y - height / 2) * pxMm;
        for (let i = 0; i < lights; i++) {
          const dx = leds[3 * i] - px, dy = leds[3 * i + 1] - py, dz = leds[3 * i + 2];
          const r = Math.hypot(dx, dy, dz);
          const s = 40000 / (r * r * r) * 200 * 200;
          lv[3 * i] = dx * s; lv[3 * i + 1] = dy * s; lv[3 * i + 2] = dz * s;
        }
      }
      const dx = x - cx, dy = y - cy;
      const u = ca * dx + sa * dy, v = -sa * dx + ca * dy;
      const inside = Math.abs(u) < hw && Math.abs(v) < hh;
      const nx = inside ? 0.05 * Math.sin(u / 40) : 0, ny = inside ? 0.05 * Math.cos(v / 55) : 0;
      const albedo = inside ? (Math.abs(u) > hw - 100 || Math.abs(v) > hh - 100 ? 0.85 : 0.55 + 0.25 * Math.sin(u / 90 + v / 70)) : 0.12;
      const i0 = y * width + x;
      for (let i = 0; i < lights; i++) {
        const d = albedo * (nx * lv[3 * i] + ny * lv[3 * i + 1] + lv[3 * i + 2]);
        planes[i][i0] = d > 0 ? (d > 65535 ? 65535 : d) : 0;
      }
    }
  }
  return planes;
}

/** Run scripts/bench-numpy.py and turn its JSON lines into results (empty if python/numpy is missing). */
function numpyResults(width: number, height: number, lights: number, runs: number): BenchResult[] {
  const script = fileURLToPath(new URL('../scripts/bench-numpy.py', import.meta.url));
  const p = spawnSync('python3', [script, '--width', String(width), '--height', String(height), '--lights', String(lights), '--runs', String(runs)], { encoding: 'utf8' });
  if (p.status !== 0) return [{ name: 'numpy-unavailable', ms: NaN, extra: { error: (p.stderr || String(p.error)).trim().split('\n').pop() ?? '' } }];
  return p.stdout.trim().split('\n').filter(Boolean).map((line) => {
    const o = JSON.parse(line) as Record<string, unknown>;
    const { name, width: w, height: h, lights: n, ms, ...extra } = o;
    return { name: String(name), width: Number(w), height: Number(h), lights: Number(n) || undefined, ms: Number(ms), extra: extra as Record<string, string> };
  });
}

/** Median wall time and mean CPU time (all threads) per run: the machine is shared, CPU shows the work. */
async function timed(runs: number, fn: () => unknown): Promise<{ ms: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const ms = await medianMs(runs, fn);
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: Math.round((c.user + c.system) / 1000 / (runs + 1)) };
}

export const visionSuite: BenchSuite = {
  name: 'vision',
  async *run({ quick }) {
    const width = quick ? 1000 : 3000;
    const height = quick ? 1400 : 4200;
    const lights = 16;
    const runs = quick ? 3 : 5;
    const umPerPx = (standardCard.heightMm * 1000) / (height * 0.85);
    const planes = syntheticCapture(width, height, lights, umPerPx);
    const native = await loadVisionNative();
    const backend = native ? 'native' : 'ts';
    const field = distantLights(width, height, ringLeds(lights));
    // The pipeline reuses its output buffers from side to side; so does the benchmark.
    const out: PsOutput = { normals: new Float32Array(width * height * 3), albedo: new Float32Array(width * height), confidence: new Float32Array(width * height) };
    if (native) {
      // The solve's memory traffic alone (every plane read once, every output written once, both cores):
      // the bound the solve is measured against, on this machine in this run.
      const tables = buildTileTables(field);
      const opt = { ...defaultPsKernelOptions };
      const step = Math.ceil(height / native.threads);
      const probe = await timed(runs, () => {
        const jobs: Promise<void>[] = [];
        for (let y0 = 0; y0 < height; y0 += step) jobs.push(native.psMemoryProbe({ planes, field, tables, mask: undefined, opt, out, y0, y1: Math.min(height, y0 + step) }));
        return Promise.all(jobs);
      });
      const mb = Math.round((width * height * (lights * 2 + 20)) / 1e6);
      yield { name: 'ps-memory-bound', width, height, lights, ms: probe.ms, extra: { cpuMs: probe.cpuMs, backend, note: `read ${lights} planes + write normals/albedo/confidence, no arithmetic (${mb} MB)` } };
    }
    const psLs = await timed(runs, () => solvePhotometricStereo(planes, field, { method: 'ls', out }));
    yield { name: 'ps', width, height, lights, ms: psLs.ms, extra: { cpuMs: psLs.cpuMs, backend, method: 'ls (same workload as numpy pinv(L) @ I)', boundMs: 25 } };
    const psRobust = await timed(runs, () => solvePhotometricStereo(planes, field, { method: 'robust', out }));
    yield { name: 'ps-robust', width, height, lights, ms: psRobust.ms, extra: { cpuMs: psRobust.cpuMs, backend, method: 'trimmed + up to two residual-gated re-solves' } };
    const near = nearFieldLights(width, height, { ledPositionsMm: ringLeds(lights), pointMm: (x, y) => [(x - width / 2) * umPerPx / 1000, -(y - height / 2) * umPerPx / 1000, 0] }, 8);
    const psNear = await timed(runs, () => solvePhotometricStereo(planes, near, { method: 'robust', out }));
    yield { name: 'ps-robust-nearfield', width, height, lights, ms: psNear.ms, extra: { cpuMs: psNear.cpuMs, backend, tilePx: 8 } };
    const psAlloc = await timed(runs, () => solvePhotometricStereo(planes, field, { method: 'ls' }));
    yield { name: 'ps-alloc', width, height, lights, ms: psAlloc.ms, extra: { cpuMs: psAlloc.cpuMs, backend, note: 'fresh output buffers each call' } };
    {
      // The TypeScript kernel on the same workload: the measurement behind choosing the C addon.
      const psTs = await timed(1, () => solvePhotometricStereo(planes, field, { method: 'ls', out, backend: 'ts' }));
      yield { name: 'ps-ts', width, height, lights, ms: psTs.ms, extra: { cpuMs: psTs.cpuMs, backend: 'ts' } };
    }
    const normals = out.normals;
    const ps = await solvePhotometricStereo(planes, field, { method: 'robust', out });
    const integ = await timed(runs, () => integrateNormals(ps.normals, width, height));
    const it = await integrateNormals(normals, width, height);
    yield { name: 'integrate', width, height, ms: integ.ms, extra: { cpuMs: integ.cpuMs, backend: it.backend, solver: it.solver, iterations: it.iterations } };
    let sideTimings: Record<string, number> = {};
    let sideCpu: Record<string, number> = {};
    const side = await timed(runs, async () => {
      const r = await reconstructSide({ planes, width, height, lights: near, umPerPx, canonicalUmPerPx: Math.round(umPerPx) });
      sideTimings = { ...r.timingsMs };
      sideCpu = { ...r.cpuMs };
    });
    const stages = (o: Record<string, number>, suffix: string): Record<string, number> => Object.fromEntries(Object.entries(o).map(([k, v]) => [`${k}${suffix}`, Math.round(v)]));
    // Stage figures are from the last run: wall (…Ms) and process CPU over all threads (…CpuMs).
    yield { name: 'side', width, height, lights, ms: side.ms, extra: { cpuMs: side.cpuMs, backend, ...stages(sideTimings, 'Ms'), ...stages(sideCpu, 'CpuMs') } };
    {
      // A holo grating over a 40 × 30 mm patch of the card: its bright phase moves with each light's
      // azimuth (0.3 mm period), so the per-pixel fit fails there and the block-scale fit replaces it
      // (ps-coarse-fallback.ts). Timed alone: the per-pixel solve is restored before each run.
      const foil = planes.map((p) => Uint16Array.from(p));
      const leds = ringLeds(lights);
      const fw = Math.round(40000 / umPerPx), fh = Math.round(30000 / umPerPx);
      const fx0 = Math.round(width / 2 - fw / 2), fy0 = Math.round(height / 2 - fh / 2);
      for (let i = 0; i < lights; i++) {
        const az = Math.atan2(leds[3 * i + 1], leds[3 * i]);
        for (let y = fy0; y < fy0 + fh; y++) {
          for (let x = fx0; x < fx0 + fw; x++) {
            const phase = (((x + 0.6 * y) * umPerPx) / 300) * 2 * Math.PI + 4 * az;
            foil[i][y * width + x] = Math.round(foil[i][y * width + x] * (0.35 + 0.65 * (0.5 + 0.5 * Math.cos(phase)) ** 3));
          }
        }
      }
      const solved = await solvePhotometricStereo(foil, near, { method: 'robust', saturation: 65535 });
      const kept = { normals: Float32Array.from(solved.normals), confidence: Float32Array.from(solved.confidence) };
      const options = { ...defaultCoarseFallback, blockPx: (defaultCoarseFallback.blockMm * 1000) / umPerPx, saturation: 65535 };
      const ms: number[] = [];
      let last = { blocksSolved: 0, pixelsReplaced: 0 };
      for (let r = 0; r <= runs; r++) {
        solved.normals.set(kept.normals);
        solved.confidence.set(kept.confidence);
        const t0 = performance.now();
        last = await coarseFallback(foil, near, solved, undefined, options);
        if (r > 0) ms.push(performance.now() - t0);
      }
      ms.sort((a, b) => a - b);
      yield { name: 'ps-coarse-fallback', width, height, lights, ms: ms[ms.length >> 1], extra: { patchMm: '40x30', blockPx: Math.round(options.blockPx), blocksSolved: last.blocksSolved, pixelsReplaced: last.pixelsReplaced, note: 'a clean side pays one pass over its confidence (in the side line)' } };
    }
    for (const r of numpyResults(width, height, lights, runs)) yield r;
  },
};
