import t from 'tap';
import { distantLights } from '../../src/vision/lights.ts';
import { solvePhotometricStereo } from '../../src/vision/ps.ts';
import { integrateNormals } from '../../src/vision/integrate.ts';
import { coarseFallback, defaultCoarseFallback } from '../../src/vision/ps-coarse-fallback.ts';
import { ringLights } from './scenes.ts';

// The daemon serves the UI and talks to the rig while a side is reconstructed: the kernels must leave
// the event loop free (native work on the thread pool, TS work in slices that yield).
async function ticksDuring(work: () => Promise<unknown>): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  await work();
  clearInterval(timer);
  return ticks;
}

t.test('event loop keeps turning during the solve and the integration', async (t) => {
  const W = 1200, H = 1000;
  const dirs = ringLights([30, 60], 8);
  const planes = Array.from({ length: 16 }, (_, i) => new Uint16Array(W * H).map((_, k) => 20000 + ((k * 7919 + i * 104729) % 5000)));
  const field = distantLights(W, H, dirs);
  for (const backend of ['ts', 'auto'] as const) {
    const ticks = await ticksDuring(() => solvePhotometricStereo(planes, field, { backend }));
    t.ok(ticks > 0, `${backend} solve: timers fired ${ticks} times while it ran`);
  }
  const normals = new Float32Array(W * H * 3);
  for (let i = 0; i < W * H; i++) normals[3 * i + 2] = 1;
  for (let i = 0; i < W * H; i++) normals[3 * i] = 0.1 * Math.sin(i / 3000);
  for (const backend of ['ts', 'auto'] as const) {
    const ticks = await ticksDuring(() => integrateNormals(normals, W, H, { backend }));
    t.ok(ticks > 0, `${backend} integration: timers fired ${ticks} times while it ran`);
  }
});

t.test('event loop keeps turning while a holo grating is solved again at the block scale', async (t) => {
  // A flat card under 12 lights whose middle 1600 × 1600 px a grating modulates (ps-coarse-fallback.ts):
  // the per-pixel solve fails there, and the block-scale pass reads every frame over it.
  const W = 2000, H = 2000;
  const dirs = ringLights([30, 45, 60], 4);
  const planes = dirs.length / 3;
  const frames = Array.from({ length: planes }, (_, i) => {
    const lz = dirs[3 * i + 2], az = Math.atan2(dirs[3 * i + 1], dirs[3 * i]);
    const f = new Uint16Array(W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const foil = x >= 200 && x < 1800 && y >= 200 && y < 1800;
        const g = foil ? 0.35 + 0.65 * (0.5 + 0.5 * Math.cos(((x + 0.6 * y) / 5) * 2 * Math.PI + 4 * az)) ** 3 : 1;
        f[y * W + x] = Math.round(40000 * 0.6 * lz * g);
      }
    }
    return f;
  });
  const field = distantLights(W, H, dirs);
  const ps = await solvePhotometricStereo(frames, field, { saturation: 65535 });
  let result = { blocksSolved: 0, pixelsReplaced: 0 };
  const ticks = await ticksDuring(async () => { result = await coarseFallback(frames, field, ps, undefined, { ...defaultCoarseFallback, blockPx: 7, saturation: 65535 }); });
  t.ok(result.pixelsReplaced > 1500 * 1500, `the foil was solved again (${result.pixelsReplaced} px replaced)`);
  t.ok(ticks >= 5, `timers fired ${ticks} times while it ran`);
});
