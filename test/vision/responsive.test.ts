import t from 'tap';
import { distantLights } from '../../src/vision/lights.ts';
import { solvePhotometricStereo } from '../../src/vision/ps.ts';
import { integrateNormals } from '../../src/vision/integrate.ts';
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
