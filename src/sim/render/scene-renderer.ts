import { createError } from '../../core/errors.ts';
import type { BoothGeometry, Vec3 } from '../../geometry/booth-geometry.ts';
import { pinholeFromSpec, type PinholeCamera } from '../../geometry/camera-model.ts';
import type { Scene } from '../scenes/scene.ts';
import { sharedFloat32 } from '../scenes/surface-maps.ts';
import { ARENA_HEADER_BYTES, arenaFloat32, createSensorArena, type SensorArena, type SensorModel } from './sensor-kernel.ts';
import type { GroundTruthBuffers, ShadingLights, ShadingSphere, ShadingSurface } from './shading-kernel.ts';
import { RenderWorkerPool } from './worker-pool.ts';
import { loadRenderNative, type RenderNative } from './native.ts';

/** Where basis images are shaded and frames exposed: the C addon (native/render), SIMD WebAssembly, or plain JS. */
export type ShadingBackend = 'native' | 'wasm' | 'js';

export interface SceneRendererOptions {
  geometry: BoothGeometry;
  /** Worker threads (default 2; 0 = render on the calling thread). */
  threads?: number;
  /** Distant-light mode: each LED becomes a distant light along the direction from the scene centre. */
  distantLights?: boolean;
  /**
   * Kernels for basis images and exposures: 'auto' (default) = the C addon (native/render) when it is built
   * and loads, else the SIMD WebAssembly kernels on the workers (JS where WebAssembly SIMD is missing); or
   * force one ('native' throws when the addon is not built).
   */
  backend?: 'auto' | ShadingBackend;
}

/** What one exposure needs: the 24 rig levels (0..4095), exposure, gain and a noise seed. */
export interface ExposureRequest {
  levels: readonly number[];
  exposureUs: number;
  gain?: number;
  /** Noise seed (same seed + same inputs = same frame). */
  seed: number;
  /** Default true; false gives the expected (noise-free) counts. */
  noise?: boolean;
  /** Packing of the 12-bit codes: 'raw' (default, Mono12), 'msb16' (Mono16), 'msb8' (Mono8). */
  pack?: 'raw' | 'msb16' | 'msb8';
  /**
   * Optional frame buffer to fill (width × height, backed by a SharedArrayBuffer), for callers that recycle
   * frames: a fresh 24 MB buffer per 12 MP frame costs ~6000 page faults and zeroing. Default: a new buffer.
   */
  out?: Uint16Array;
}

const LEVEL_MAX = 4095;

/**
 * Renders a scene under the booth's LEDs. Linear in the LED levels: the basis image of each LED
 * (electrons per µs at full level) is rendered once per scene and cached; a frame for any levels and
 * exposure is a weighted sum of cached bases plus sensor noise and quantisation.
 */
export class SceneRenderer {
  readonly geometry: BoothGeometry;
  readonly camera: PinholeCamera;
  readonly distantLights: boolean;
  /** The shading kernel in use (see SceneRendererOptions.backend). */
  readonly backend: ShadingBackend;
  private readonly native: RenderNative | null;
  private readonly threads: number;
  private readonly pool: RenderWorkerPool;
  private scene: Scene | null = null;
  private lights: ShadingLights | null = null;
  private readonly bases = new Map<number, Float32Array>();
  /** Shared memory holding this scene's bases (read in place by the exposure kernel); false = unavailable. */
  private arena: SensorArena | null | false = null;
  /** Renders and exposures in flight (the arena is only reused for a new scene when none is). */
  private busy = 0;
  private truth: GroundTruthBuffers | null = null;

  constructor(options: SceneRendererOptions) {
    this.geometry = options.geometry;
    this.camera = pinholeFromSpec(options.geometry.camera);
    this.distantLights = options.distantLights === true;
    this.threads = options.threads ?? 2;
    this.pool = new RenderWorkerPool(this.threads);
    const want = options.backend ?? 'auto';
    this.native = want === 'auto' || want === 'native' ? loadRenderNative() : null;
    if (want === 'native' && !this.native) throw createError('GB_INTERNAL', 'SceneRenderer: the native render kernel is not built (run `node native/render/build.mjs`)');
    this.backend = this.native ? 'native' : want === 'js' ? 'js' : 'wasm';
  }

  get widthPx(): number {
    return this.camera.widthPx;
  }

  get heightPx(): number {
    return this.camera.heightPx;
  }

  get ledCount(): number {
    return this.geometry.leds.length;
  }

  /** The sensor as the exposure kernel sees it. */
  get sensor(): SensorModel {
    const s = this.geometry.sensor;
    return { fullWellE: s.fullWellE, readNoiseE: s.readNoiseE, blackLevelDn: s.blackLevelDn, adcMax: 2 ** s.adcBits - 1 };
  }

  async start(): Promise<void> {
    // The native kernels run on libuv's pool: no render workers (and their TypeScript loaders) needed.
    if (this.backend !== 'native') await this.pool.start();
  }

  async stop(): Promise<void> {
    await this.pool.stop();
  }

  /** Replace the scene; cached basis images and ground truth are dropped. */
  setScene(scene: Scene): void {
    this.scene = scene;
    this.bases.clear();
    // The next scene's bases reuse the arena (1.2 GB at 12 MP: no page faults and zeroing per scene);
    // work still in flight keeps reading the old one, so it is replaced instead.
    if (this.busy > 0) this.arena = null;
    this.truth = null;
    this.lights = this.buildLights(scene);
  }

  /** Centre of the object on the tray (mm): card/target centre at its top surface, sphere centre, or origin. */
  sceneCentreMm(scene: Scene | null = this.scene): Vec3 {
    if (scene?.sphere) return [...scene.sphere.centerMm];
    if (scene?.surface) {
      const m = scene.surface.maps;
      const h = m.height[Math.floor(m.heightPx / 2) * m.widthPx + Math.floor(m.widthPx / 2)];
      return [scene.surface.placement.xMm, scene.surface.placement.yMm, h];
    }
    return [0, 0, 0];
  }

  /** Unit directions (world frame) from the scene centre to each LED: the distant-light directions. */
  lightDirections(): Vec3[] {
    const c = this.sceneCentreMm();
    return this.geometry.leds.map((led) => {
      const d: Vec3 = [led.positionMm[0] - c[0], led.positionMm[1] - c[1], led.positionMm[2] - c[2]];
      const n = Math.hypot(...d);
      return [d[0] / n, d[1] / n, d[2] / n];
    });
  }

  private buildLights(scene: Scene): ShadingLights {
    const leds = this.geometry.leds;
    const params = new Float64Array(leds.length * 8);
    if (this.distantLights) {
      const dirs = this.lightDirections();
      leds.forEach((_, k) => {
        params.set([...dirs[k], this.geometry.distantLights.irradianceWM2, 0, 0, 0, 0], k * 8);
      });
      void scene;
      return { mode: 'distant', params, count: leds.length };
    }
    leds.forEach((led, k) => {
      const a: Vec3 = [led.aimMm[0] - led.positionMm[0], led.aimMm[1] - led.positionMm[1], led.aimMm[2] - led.positionMm[2]];
      const n = Math.hypot(...a);
      params.set([...led.positionMm, a[0] / n, a[1] / n, a[2] / n, led.radiantIntensityWSr, led.beamExponent], k * 8);
    });
    return { mode: 'near', params, count: leds.length };
  }

  private requireScene(): Scene {
    if (!this.scene || !this.lights) throw createError('GB_INTERNAL', 'SceneRenderer: setScene() must be called before rendering');
    return this.scene;
  }

  private shadingInputs(scene: Scene): { surface: ShadingSurface | null; sphere: ShadingSphere | null } {
    let surface: ShadingSurface | null = null;
    if (scene.surface) {
      const r = (scene.surface.placement.rotationDeg * Math.PI) / 180;
      surface = { maps: scene.surface.maps, cosR: Math.cos(r), sinR: Math.sin(r), xMm: scene.surface.placement.xMm, yMm: scene.surface.placement.yMm };
    }
    const sphere = scene.sphere ? { center: scene.sphere.centerMm, radiusMm: scene.sphere.radiusMm, material: scene.sphere.material } : null;
    return { surface, sphere };
  }

  /**
   * Render (once) the basis images of the given LEDs (default all), and the ground truth in the same pass
   * unless `options.truth` is false. A capture (expose() on a new scene) skips the truth (283 MB of fresh
   * buffers at 12 MP); groundTruth() then renders it on demand.
   */
  async renderBases(ledIndices: readonly number[] = this.geometry.leds.map((_, k) => k), options: { truth?: boolean } = {}): Promise<void> {
    const scene = this.requireScene();
    const missing = [...new Set(ledIndices)].filter((k) => !this.bases.has(k));
    for (const k of missing) {
      if (k < 0 || k >= this.ledCount) throw createError('GB_INTERNAL', `SceneRenderer: LED ${k} out of range 0..${this.ledCount - 1}`);
    }
    if (missing.length === 0 && (this.truth || options.truth === false)) return;
    const n = this.widthPx * this.heightPx;
    const basis = missing.map((k) => this.allocateBasis(k, n));
    const truth = this.truth || options.truth === false ? null : allocateTruth(n);
    const job = {
      camera: this.camera,
      lights: this.lights as ShadingLights,
      ledIndices: missing,
      basis,
      responsivity: this.geometry.sensor.responsivityEPerUsPerRadiance,
      tray: scene.tray,
      ...this.shadingInputs(scene),
      truth,
    };
    this.busy++;
    // Native: one async work item per band on libuv's pool (interleaved row blocks, so card and tray rows
    // share out evenly).
    const native = this.native;
    const bands = Math.max(1, this.threads);
    const done = native
      ? Promise.all(Array.from({ length: bands }, (_, b) => native.shade({ ...job, rowStart: 0, rowEnd: this.heightPx }, this.heightPx, b, bands)))
      : this.pool.shade({ ...job, kernel: this.backend === 'js' ? 'js' : 'wasm' }, this.heightPx);
    await done.finally(() => this.busy--);
    missing.forEach((k, j) => this.bases.set(k, basis[j]));
    if (truth) this.truth = truth;
  }

  /** Storage for LED k's basis: its place in the scene's arena (one slot per LED), or a plain shared array. */
  private allocateBasis(k: number, n: number): Float32Array {
    const bytes = this.ledCount * n * 4;
    if (this.arena && this.arena.memory.buffer.byteLength < ARENA_HEADER_BYTES + bytes) this.arena = null;
    if (this.arena === null) this.arena = createSensorArena(bytes) ?? false;
    return this.arena ? arenaFloat32(this.arena, ARENA_HEADER_BYTES + k * n * 4, n) : sharedFloat32(n);
  }

  /** The basis image of one LED: expected electrons per µs at full level (4095); valid until the next setScene(). */
  async basis(led: number): Promise<Float32Array> {
    await this.renderBases([led]);
    return this.bases.get(led) as Float32Array;
  }

  /** Per-pixel ground truth of the current scene (normals, height, coverage, defect labels, albedo). */
  async groundTruth(): Promise<GroundTruthBuffers> {
    await this.renderBases([], { truth: true });
    return this.truth as GroundTruthBuffers;
  }

  /** Expose one frame: ADC codes (0..2^adcBits−1, black level included; packed per req.pack), row-major. */
  async expose(req: ExposureRequest): Promise<Uint16Array> {
    this.requireScene();
    if (req.levels.length !== this.ledCount) {
      throw createError('GB_INTERNAL', `SceneRenderer.expose: expected ${this.ledCount} levels, got ${req.levels.length}`);
    }
    if (!(req.exposureUs > 0)) throw createError('GB_INTERNAL', `SceneRenderer.expose: exposureUs must be > 0, got ${req.exposureUs}`);
    const lit = req.levels.map((l, k) => [k, l] as const).filter(([, l]) => l > 0);
    // A missing basis means a new scene: render every LED's basis in one pass (the per-pixel geometry is
    // then computed once, not once per LED as frames of a sequence arrive); a capture needs no ground truth.
    if (lit.some(([k]) => !this.bases.has(k))) await this.renderBases(undefined, { truth: false });
    const out = req.out ?? new Uint16Array(new SharedArrayBuffer(this.widthPx * this.heightPx * 2));
    if (out.length !== this.widthPx * this.heightPx || !(out.buffer instanceof SharedArrayBuffer)) {
      throw createError('GB_INTERNAL', `SceneRenderer.expose: out must be a SharedArrayBuffer-backed Uint16Array of ${this.widthPx}×${this.heightPx}`);
    }
    const job = {
      width: this.widthPx,
      basis: lit.map(([k]) => this.bases.get(k) as Float32Array),
      weights: lit.map(([, l]) => (Math.min(l, LEVEL_MAX) / LEVEL_MAX) * req.exposureUs),
      sensor: this.sensor,
      gain: req.gain ?? this.geometry.sensor.defaultGain,
      seed: req.seed,
      noise: req.noise !== false,
      out,
      pack: req.pack ?? 'raw',
    };
    this.busy++;
    // Native: the C exposure kernel (identical codes), one libuv work item per band of rows.
    const native = this.native;
    const H = this.heightPx;
    const bands = Math.max(1, this.threads);
    const done = native
      ? Promise.all(Array.from({ length: bands }, (_, b) => native.expose({ ...job, rowStart: Math.floor((H * b) / bands), rowEnd: Math.floor((H * (b + 1)) / bands) }, H)))
      : this.pool.synthesize({ ...job, arena: this.arena || undefined, kernel: this.backend === 'js' ? 'js' : 'wasm' }, H);
    await done.finally(() => this.busy--);
    return out;
  }
}

function allocateTruth(n: number): GroundTruthBuffers {
  return {
    normal: sharedFloat32(n * 3),
    height: sharedFloat32(n),
    cover: new Uint8Array(new SharedArrayBuffer(n)),
    label: new Uint16Array(new SharedArrayBuffer(n * 2)),
    albedo: sharedFloat32(n),
  };
}
