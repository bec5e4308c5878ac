// Masked Poisson solve (plain TypeScript): conjugate gradients on the graph Laplacian of the mask's pixel
// grid, preconditioned by one symmetric V-cycle of aggregation multigrid (2×2 pixels → 1, Galerkin
// coarse operators, which for piecewise-constant aggregation are again 5-point graph Laplacians with
// summed edge weights), smoothed by damped Jacobi (2 sweeps before and after; Gauss–Seidel on the tiny
// coarsest grid). native/vision/poisson.c implements the same algorithm; keep both in step.

// Piecewise-constant aggregation makes the Galerkin coarse operator twice as stiff as a rediscretised
// Laplacian on the coarse grid, so the coarse correction comes out half as large as it should: scale it
// by 2 (measured: PCG iterations on a 700×500 masked cap 57 → 5). The symmetric V-cycle stays SPD for any
// positive gain, so CG remains valid.
const COARSE_GAIN = 2;
interface Level {
  w: number;
  h: number;
  /** Weight of the edge (x,y)–(x+1,y). */
  wx: Float32Array;
  /** Weight of the edge (x,y)–(x,y+1). */
  wy: Float32Array;
  diag: Float32Array;
  /** Scratch: right-hand side, solution and residual at this level. */
  b: Float32Array;
  x: Float32Array;
  r: Float32Array;
}

function makeLevel(w: number, h: number, wx: Float32Array, wy: Float32Array): Level {
  const diag = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let d = wx[i] + wy[i];
      if (x > 0) d += wx[i - 1];
      if (y > 0) d += wy[i - w];
      diag[i] = d;
    }
  }
  return { w, h, wx, wy, diag, b: new Float32Array(w * h), x: new Float32Array(w * h), r: new Float32Array(w * h) };
}

function coarsen(f: Level): Level {
  const w = (f.w + 1) >> 1;
  const h = (f.h + 1) >> 1;
  const wx = new Float32Array(w * h);
  const wy = new Float32Array(w * h);
  for (let Y = 0; Y < h; Y++) {
    for (let X = 0; X < w; X++) {
      const fx = 2 * X + 1;
      const fy = 2 * Y + 1;
      let sx = 0;
      let sy = 0;
      if (fx + 1 < f.w) {
        sx += f.wx[2 * Y * f.w + fx];
        if (fy < f.h) sx += f.wx[fy * f.w + fx];
      }
      if (fy + 1 < f.h) {
        sy += f.wy[fy * f.w + 2 * X];
        if (fx < f.w) sy += f.wy[fy * f.w + fx];
      }
      wx[Y * w + X] = sx;
      wy[Y * w + X] = sy;
    }
  }
  return makeLevel(w, h, wx, wy);
}

/** Build the multigrid hierarchy from the mask (edges between two mask pixels have weight 1). */
export function buildHierarchy(width: number, height: number, mask: Uint8Array): Level[] {
  const wx = new Float32Array(width * height);
  const wy = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      if (x + 1 < width && mask[i + 1]) wx[i] = 1;
      if (y + 1 < height && mask[i + width]) wy[i] = 1;
    }
  }
  const levels = [makeLevel(width, height, wx, wy)];
  while (levels[levels.length - 1].w * levels[levels.length - 1].h > 64) levels.push(coarsen(levels[levels.length - 1]));
  return levels;
}

/** y = A x for the level's Laplacian. */
function applyA(L: Level, x: Float32Array, y: Float32Array): void {
  const { w, h, wx, wy, diag } = L;
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const k = j * w + i;
      let s = diag[k] * x[k];
      if (i + 1 < w) s -= wx[k] * x[k + 1];
      if (i > 0) s -= wx[k - 1] * x[k - 1];
      if (j + 1 < h) s -= wy[k] * x[k + w];
      if (j > 0) s -= wy[k - w] * x[k - w];
      y[k] = s;
    }
  }
}

/** One Gauss–Seidel sweep over pixels of one colour ((x+y) % 2 === colour). */
function gsColour(L: Level, colour: number): void {
  const { w, h, wx, wy, diag, b, x } = L;
  for (let j = 0; j < h; j++) {
    for (let i = (j + colour) & 1; i < w; i += 2) {
      const k = j * w + i;
      const d = diag[k];
      if (d === 0) continue;
      let s = b[k];
      if (i + 1 < w) s += wx[k] * x[k + 1];
      if (i > 0) s += wx[k - 1] * x[k - 1];
      if (j + 1 < h) s += wy[k] * x[k + w];
      if (j > 0) s += wy[k - w] * x[k - w];
      x[k] = s / d;
    }
  }
}

const OMEGA = 0.8;
const SWEEPS = 2;

/** One damped-Jacobi sweep: x ← x + ω D⁻¹ (b − A x) (uses L.r as scratch). */
function jacobi(L: Level): void {
  applyA(L, L.x, L.r);
  const { x, b, r, diag } = L;
  for (let k = 0; k < x.length; k++) if (diag[k] > 0) x[k] += (OMEGA * (b[k] - r[k])) / diag[k];
}

// Yield to the event loop between passes over grids this large (each pass is tens of ms in plain JS).
const YIELD_PIXELS = 250_000;
const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
async function maybeYield(L: Level): Promise<void> {
  if (L.w * L.h >= YIELD_PIXELS) await yieldNow();
}

/** Symmetric V-cycle: approximate solve of A x = b at level l (b in levels[l].b, result in levels[l].x). */
async function vcycle(levels: Level[], l: number): Promise<void> {
  const L = levels[l];
  if (l === levels.length - 1) {
    L.x.fill(0);
    for (let s = 0; s < 40; s++) { gsColour(L, 0); gsColour(L, 1); }
    for (let s = 0; s < 40; s++) { gsColour(L, 1); gsColour(L, 0); }
    return;
  }
  for (let k = 0; k < L.x.length; k++) L.x[k] = L.diag[k] > 0 ? (OMEGA * L.b[k]) / L.diag[k] : 0;
  for (let s = 1; s < SWEEPS; s++) { jacobi(L); await maybeYield(L); }
  applyA(L, L.x, L.r);
  const C = levels[l + 1];
  C.b.fill(0);
  for (let j = 0; j < L.h; j++) {
    for (let i = 0; i < L.w; i++) {
      const k = j * L.w + i;
      C.b[(j >> 1) * C.w + (i >> 1)] += L.b[k] - L.r[k];
    }
  }
  await maybeYield(L);
  await vcycle(levels, l + 1);
  for (let j = 0; j < L.h; j++) {
    for (let i = 0; i < L.w; i++) L.x[j * L.w + i] += COARSE_GAIN * C.x[(j >> 1) * C.w + (i >> 1)];
  }
  for (let s = 0; s < SWEEPS; s++) { await maybeYield(L); jacobi(L); }
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Solve L z = rhs on the mask by multigrid-preconditioned CG, starting from `z` (updated in place).
 * Stops at ‖r‖ ≤ tolerance·‖rhs‖ or maxIterations; resolves to the iterations used. Yields to the event
 * loop between passes on large grids.
 */
export async function poissonPcgTs(levels: Level[], rhs: Float32Array, z: Float32Array, tolerance: number, maxIterations: number): Promise<number> {
  const L = levels[0];
  const n = L.w * L.h;
  const r = new Float32Array(n);
  const p = new Float32Array(n);
  const q = new Float32Array(n);
  applyA(L, z, q);
  for (let i = 0; i < n; i++) r[i] = rhs[i] - q[i];
  const bNorm = Math.sqrt(dot(rhs, rhs)) || 1;
  const precondition = async (): Promise<Float32Array> => {
    L.b.set(r);
    await vcycle(levels, 0);
    return L.x;
  };
  let zk = await precondition();
  p.set(zk);
  let rz = dot(r, zk);
  let it = 0;
  let rr = dot(r, r);
  for (; it < maxIterations; it++) {
    if (Math.sqrt(rr) <= tolerance * bNorm) break;
    applyA(L, p, q);
    const pq = dot(p, q);
    if (!(pq > 0)) break;
    const alpha = rz / pq;
    for (let i = 0; i < n; i++) { z[i] += alpha * p[i]; r[i] -= alpha * q[i]; }
    const rrPrev = rr;
    rr = dot(r, r);
    // In float32 the residual bottoms out and then grows while the height gets worse: near there, undo a
    // step that increased it, and stop. (Earlier, a PCG residual may rise legitimately.)
    if (rr > rrPrev && rrPrev < 1e-4 * bNorm * bNorm) {
      for (let i = 0; i < n; i++) { z[i] -= alpha * p[i]; r[i] += alpha * q[i]; }
      break;
    }
    await maybeYield(L);
    zk = await precondition();
    const rzNew = dot(r, zk);
    const beta = rzNew / rz;
    rz = rzNew;
    for (let i = 0; i < n; i++) p[i] = zk[i] + beta * p[i];
  }
  return it;
}
