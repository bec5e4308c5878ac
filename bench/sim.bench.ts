// Simulator speed: scene build, per-LED basis render, and frame synthesis for a 24-LED capture at the
// full 12 MP sensor (3000×4096) on 2 render workers. Quick mode measures 3 MP (1500×2048).
import type { BenchResult, BenchSuite } from './bench.ts';
import { medianMs } from './bench.ts';
import { loadBoothGeometry, withCameraSize } from '../src/geometry/booth-geometry.ts';
import { SceneRenderer } from '../src/sim/render/scene-renderer.ts';
import { buildScene } from '../src/sim/scenes/build-scene.ts';
import { loadSceneConfig } from '../src/geometry/targets.ts';
import type { Scene } from '../src/sim/scenes/scene.ts';
import { SimulatedCamera } from '../src/sim/camera/simulated-camera.ts';
import type { RigPinEvent, RigPinSource } from '../src/hardware/rig/pins.ts';
import { loadavg } from 'node:os';

/** Trigger edges as a rig would send them (the bench has no firmware in the loop). */
class BenchPins implements RigPinSource {
  private readonly listeners = new Set<(e: RigPinEvent) => void>();
  onPinEvent(listener: (e: RigPinEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  trigger(timeUs: number, litLevels: number[]): void {
    for (const l of this.listeners) l({ kind: 'trigger', timeUs, high: true, litLevels });
  }
}

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
        // As a capture renders them (expose() on a new scene): without the per-pixel ground truth.
        await renderer.renderBases(undefined, { truth: false });
      });
      const basisMs = basis.ms;
      const px = width * height;
      yield { name: `sim basis images (24 LEDs, near-field, Lambert+GGX, ${renderer.backend} kernel, 2 bands)`, width, height, lights: 24, ms: basisMs, extra: { cpuMs: basis.cpuMs, cpuNsPerPixelLed: Math.round(((basis.cpuMs * 1e6) / (px * 24)) * 10) / 10 } };

      const levels = (k: number): number[] => Array.from({ length: 24 }, (_, j) => (j === k ? 4095 : 0));
      let seed = 0;
      const frames = await timed(runs, async () => {
        for (let k = 0; k < 24; k++) await renderer.expose({ levels: levels(k), exposureUs: 10000, seed: seed++ });
      });
      const framesMs = frames.ms;
      const perFrame = (r: { ms: number; cpuMs: number }): Record<string, number> => ({
        msPerFrame: Math.round((r.ms / 24) * 10) / 10,
        cpuMs: r.cpuMs,
        cpuMsPerFrame: Math.round((r.cpuMs / 24) * 10) / 10,
        cpuNsPerPixel: Math.round(((r.cpuMs * 1e6) / (px * 24)) * 100) / 100,
      });
      yield { name: `sim 24 frames from cached bases (noise + 12-bit ADC, ${renderer.backend} kernel, 2 bands, new frame buffers)`, width, height, lights: 24, ms: framesMs, extra: perFrame(frames) };
      // Recycled frame buffers (ExposureRequest.out): the kernel alone, without a fresh 24 MB buffer's
      // page faults and zeroing per frame.
      const outs = Array.from({ length: 24 }, () => new Uint16Array(new SharedArrayBuffer(px * 2)));
      const recycled = await timed(runs, async () => {
        for (let k = 0; k < 24; k++) await renderer.expose({ levels: levels(k), exposureUs: 10000, seed: seed++, out: outs[k] });
      });
      yield { name: 'sim 24 frames from cached bases (recycled frame buffers)', width, height, lights: 24, ms: recycled.ms, extra: perFrame(recycled) };
      yield { name: 'sim full 24-LED capture of a new scene (bases + frames)', width, height, lights: 24, ms: basisMs + framesMs, extra: { cpuMs: basis.cpuMs + frames.cpuMs, realCamera24FramesMs: '1000-2500 (10-30 fps at 12 MP) + exposure', loadAverage: (await import('node:os')).loadavg()[0].toFixed(2) } };
      // As the camera captures (its stream buffers are recycled), and a whole new card: build + capture.
      yield { name: 'sim full 24-LED capture of a new scene (bases + frames, recycled frame buffers)', width, height, lights: 24, ms: basisMs + recycled.ms, extra: { cpuMs: basis.cpuMs + recycled.cpuMs, backend: renderer.backend } };
      yield { name: 'sim whole new card: scene build + bases + 24 frames (recycled frame buffers)', width, height, lights: 24, ms: build.ms + basisMs + recycled.ms, extra: { cpuMs: build.cpuMs + basis.cpuMs + recycled.cpuMs, realCamera24FramesMs: '1000-2500 (10-30 fps at 12 MP) + exposure' } };
    } finally {
      await renderer.stop();
    }

    // The booth path: the simulated camera in hardware-trigger mode, 24 trigger edges, Mono16 frames.
    const camRenderer = new SceneRenderer({ geometry, threads: 2 });
    camRenderer.setScene(scene as unknown as Scene);
    const pins = new BenchPins();
    const camera = new SimulatedCamera({ renderer: camRenderer, pinSource: pins });
    await camera.open();
    try {
      await camRenderer.renderBases();
      await camera.configure({ triggerMode: 'hardware', exposureUs: 10000, pixelFormat: 'Mono16', timeoutMs: 60_000 });
      await camera.startAcquisition();
      // A capture holds its 24 frames until done with them, then releases them: the first capture
      // allocates the stream's frame buffers, later ones through the same camera reuse them.
      let t = 0;
      const capture = async (): Promise<void> => {
        for (let k = 0; k < 24; k++) pins.trigger((t += 50_000), Array.from({ length: 24 }, (_, j) => (j === k ? 4095 : 0)));
        const held = [];
        for (let k = 0; k < 24; k++) held.push(await camera.nextFrame());
        for (const f of held) f.release();
      };
      const camFigures = (r: { ms: number; cpuMs: number }): Record<string, number | string> => ({
        msPerFrame: Math.round((r.ms / 24) * 10) / 10,
        cpuMs: r.cpuMs,
        cpuNsPerPixel: Math.round(((r.cpuMs * 1e6) / (width * height * 24)) * 100) / 100,
        buffersAllocated: camera.streamStatistics().allocated,
        underruns: camera.streamStatistics().underruns,
        loadAverage: loadavg()[0].toFixed(2),
      });
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      await capture();
      const c1 = process.cpuUsage(c0);
      const first = { ms: performance.now() - w0, cpuMs: Math.round((c1.user + c1.system) / 1000) };
      yield { name: 'sim camera: 24 hardware-triggered Mono16 frames, 1st capture (allocates stream buffers)', width, height, lights: 24, ms: first.ms, extra: camFigures(first) };
      const reused = await timed(runs, capture);
      yield { name: 'sim camera: 24 hardware-triggered Mono16 frames, later captures (recycled stream buffers)', width, height, lights: 24, ms: reused.ms, extra: camFigures(reused) };
    } finally {
      await camera.close();
    }
  },
};
