// Simulator speed: scene build, per-LED basis render, and frame synthesis for a 24-LED capture at the
// full 12 MP sensor (3000×4096) on 2 render workers. Quick mode measures 3 MP (1500×2048).
import type { BenchResult, BenchSuite } from './bench.ts';
import { medianMs } from './bench.ts';
import { loadBoothGeometry, withCameraSize } from '../src/sim/geometry/booth-geometry.ts';
import { SceneRenderer } from '../src/sim/render/scene-renderer.ts';
import { buildScene } from '../src/sim/scenes/build-scene.ts';
import { loadSceneConfig } from '../src/sim/scenes/scene-config.ts';
import type { Scene } from '../src/sim/scenes/scene.ts';

/** Median wall time and the CPU time of the last run (all threads of this process), ms. */
async function timed(runs: number, fn: () => unknown | Promise<unknown>): Promise<{ ms: number; cpuMs: number }> {
  let cpuMs = 0;
  const ms = await medianMs(runs, async () => {
    const c0 = process.cpuUsage();
    await fn();
    const c = process.cpuUsage(c0);
    cpuMs = Math.round((c.user + c.system) / 1000);
  });
  return { ms, cpuMs };
}

// The machine may be shared: cpuMs (CPU time over both workers) is the figure that does not depend on
// other load; ms is wall time.
export const simBench: BenchSuite = {
  name: 'sim',
  async *run({ quick }): AsyncIterable<BenchResult> {
    const [width, height] = quick ? [1500, 2048] : [3000, 4096];
    const geometry = withCameraSize(await loadBoothGeometry(), width, height);
    const config = await loadSceneConfig();
    const runs = quick ? 3 : 2;
    let scene: Scene | null = null;
    const build = await timed(runs, () => {
      scene = buildScene({ kind: 'card', seed: 11, geometry, config }).scene;
    });
    yield { name: 'sim card scene build (maps at the pixel footprint)', width, height, ms: build.ms, extra: { cpuMs: build.cpuMs } };

    const renderer = new SceneRenderer({ geometry, threads: 2 });
    await renderer.start();
    try {
      const basis = await timed(runs, async () => {
        renderer.setScene(scene as unknown as Scene);
        await renderer.renderBases();
      });
      const basisMs = basis.ms;
      const px = width * height;
      yield { name: 'sim basis images (24 LEDs, near-field, Lambert+GGX, 2 workers)', width, height, lights: 24, ms: basisMs, extra: { cpuMs: basis.cpuMs, cpuNsPerPixelLed: Math.round(((basis.cpuMs * 1e6) / (px * 24)) * 10) / 10 } };

      const levels = (k: number): number[] => Array.from({ length: 24 }, (_, j) => (j === k ? 4095 : 0));
      let seed = 0;
      const frames = await timed(runs, async () => {
        for (let k = 0; k < 24; k++) await renderer.expose({ levels: levels(k), exposureUs: 10000, seed: seed++ });
      });
      const framesMs = frames.ms;
      yield { name: 'sim 24 frames from cached bases (noise + 12-bit ADC, 2 workers)', width, height, lights: 24, ms: framesMs, extra: { msPerFrame: Math.round((framesMs / 24) * 10) / 10, cpuMs: frames.cpuMs, cpuNsPerPixel: Math.round(((frames.cpuMs * 1e6) / (px * 24)) * 10) / 10 } };
      yield { name: 'sim full 24-LED capture of a new scene (bases + frames)', width, height, lights: 24, ms: basisMs + framesMs, extra: { cpuMs: basis.cpuMs + frames.cpuMs, realCamera24FramesMs: '1000-2500 (10-30 fps at 12 MP) + exposure', loadAverage: (await import('node:os')).loadavg()[0].toFixed(2) } };
    } finally {
      await renderer.stop();
    }
  },
};
