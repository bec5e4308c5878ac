import { SimulatedCamera } from '../sim/camera/simulated-camera.ts';
import { RigDriver } from '../hardware/rig/driver.ts';
import type { Intrinsics } from '../geometry/intrinsics.ts';
import type { BoothGeometry } from '../geometry/booth-geometry.ts';
import { loadBoothGeometry, withCameraSize } from '../geometry/booth-geometry.ts';
import { pinholeFromSpec, type PinholeCamera } from '../geometry/camera-model.ts';
import { SceneRenderer } from '../sim/render/scene-renderer.ts';
import { buildScene, type SceneTruth } from '../sim/scenes/build-scene.ts';
import type { CardSide } from '../sim/scenes/card.ts';
import type { SceneKind } from '../sim/scenes/scene.ts';
import { loadSceneConfig, type SceneConfig } from '../geometry/targets.ts';
import { SIMULATED_INTER_BYTE_TIMEOUT_MS, SimulatedRig } from '../sim/rig/simulated-rig.ts';
import type { Booth, BoothCard } from './booth.ts';

/** What one placement on the simulated tray put there. */
export interface Placement {
  kind: SceneKind;
  seed: number;
  side?: CardSide;
}

/**
 * The simulator side of a simulated booth: the real firmware in simavr, the renderer, the booth geometry
 * and the scene config. place() puts a card or a calibration target on the tray (what a technician or an
 * operator does by hand) and returns its ground truth; the camera then sees it under the rig's LEDs.
 */
export class SimulatedBooth {
  readonly rig: SimulatedRig;
  readonly renderer: SceneRenderer;
  readonly geometry: BoothGeometry;
  readonly config: SceneConfig;
  private current: { placement: Placement; truth: SceneTruth } | undefined;

  constructor(rig: SimulatedRig, renderer: SceneRenderer, geometry: BoothGeometry, config: SceneConfig) {
    this.rig = rig;
    this.renderer = renderer;
    this.geometry = geometry;
    this.config = config;
  }

  /** The camera's true pinhole model and pose (world frame, mm). */
  get camera(): PinholeCamera {
    return pinholeFromSpec(this.geometry.camera);
  }

  /** Put a scene on the tray; renders its LED bases now so the capture that follows runs at speed. */
  async place(placement: Placement): Promise<SceneTruth> {
    const { scene, truth } = buildScene({ kind: placement.kind, seed: placement.seed, side: placement.side, geometry: this.geometry, config: this.config });
    this.renderer.setScene(scene);
    await this.renderer.renderBases();
    this.current = { placement, truth };
    return truth;
  }

  /** What lies on the tray now, with its truth (undefined before the first place()). */
  get placed(): { placement: Placement; truth: SceneTruth } | undefined {
    return this.current;
  }
}

export interface SimulatedBoothOptions {
  /** Camera size in px (same field of view as the full sensor; default the geometry's 3000×4096). */
  widthPx?: number;
  heightPx?: number;
  /** Render threads (default 2). */
  threads?: number;
  /** Sensor noise seed. */
  noiseSeed?: number;
  /** Harness lines worth logging. */
  log?: (line: string) => void;
  /** Host-silence timeout configured on the rig firmware, ms. */
  hostTimeoutMs?: number;
  /** Booth geometry tweaks (e.g. a lens with radial distortion), applied after the size. */
  adjustGeometry?: (geometry: BoothGeometry) => BoothGeometry;
  /**
   * The card stock the booth is set up for (settings `booth.card`): the simulated cards are made to it.
   * Default: the card of calibration/sim-targets.json.
   */
  card?: BoothCard;
  /** Scene config tweaks (e.g. how far the technician moves the mirror sphere between placements). */
  sceneConfig?: (config: SceneConfig) => void;
}

/**
 * Build a simulated booth: the firmware in simavr behind a RigDriver on its pty, the simulated camera in
 * hardware-trigger mode on the rig's pins, and the renderer. Nothing runs until start(). The simavr
 * harness is a child process; stop() ends it, and its stdin closing ends it if this process dies.
 */
export async function createSimulatedBooth(options: SimulatedBoothOptions = {}): Promise<Booth & { sim: SimulatedBooth }> {
  let geometry = await loadBoothGeometry();
  if (options.widthPx !== undefined || options.heightPx !== undefined) {
    geometry = withCameraSize(geometry, options.widthPx ?? geometry.camera.widthPx, options.heightPx ?? geometry.camera.heightPx);
  }
  if (options.adjustGeometry) geometry = options.adjustGeometry(geometry);
  const config = await loadSceneConfig(undefined, options.card ?? {});
  options.sceneConfig?.(config);
  const rigSim = new SimulatedRig({ log: options.log });
  const renderer = new SceneRenderer({ geometry, threads: options.threads ?? 2 });
  const driver = new RigDriver({
    portFactory: () => rigSim.portFactory()(),
    reconnectInitialMs: 50,
    reconnectMaxMs: 500,
    interByteTimeoutMs: SIMULATED_INTER_BYTE_TIMEOUT_MS,
    ...(options.hostTimeoutMs !== undefined ? { config: { hostTimeoutMs: options.hostTimeoutMs } } : {}),
  });
  // The default stream buffers (32) hold one whole side capture (dark + 24 LEDs) while it is stored and
  // reconstructed; more would hide a capture that is never released.
  const camera = new SimulatedCamera({ renderer, pinSource: rigSim, noiseSeed: options.noiseSeed ?? 1 });
  const sim = new SimulatedBooth(rigSim, renderer, geometry, config);
  const pin = pinholeFromSpec(geometry.camera);
  // The lens/sensor datasheet model (focal length / pixel pitch, principal point): what a real booth's
  // camera file holds. Pixel centres at +0.5 in both conventions.
  const intrinsics: Intrinsics = { fxPx: pin.fxPx, fyPx: pin.fyPx, cxPx: pin.cxPx, cyPx: pin.cyPx };
  let started = false;
  let stopped = false;
  return {
    kind: 'simulated',
    rig: driver,
    camera,
    intrinsics,
    widthPx: geometry.camera.widthPx,
    heightPx: geometry.camera.heightPx,
    card: { widthMm: config.card.widthMm, heightMm: config.card.heightMm, cornerRadiusMm: config.card.cornerRadiusMm, thicknessMm: config.card.thicknessMm },
    sim,
    async start() {
      if (started) return;
      started = true;
      await rigSim.start();
      try {
        await driver.start();
        await driver.ready(10_000, { failFast: true });
        await camera.open();
      } catch (err) {
        await driver.stop().catch(() => undefined);
        await rigSim.stop().catch(() => undefined);
        throw err;
      }
    },
    async stop() {
      if (stopped || !started) return;
      stopped = true;
      await driver.allOff().catch(() => undefined);
      await camera.close().catch(() => undefined);
      await driver.stop().catch(() => undefined);
      await rigSim.stop().catch(() => undefined);
    },
  };
}
