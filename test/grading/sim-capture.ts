// Simulated captures for the grading tests: `sim render`'s card (distant lights, small size so the suite
// stays fast), optionally at a chosen tray placement (the same card, moved and turned), and the centering
// the simulator actually drew (its print frame is drawn on the map grid, so the drawn border differs from
// the nominal one by up to half a map sample: ~60 µm, 0.5 ratio points, at these sizes).
import { SceneRenderer } from '../../src/sim/render/scene-renderer.ts';
import { writeCaptureFolder } from '../../src/sim/export/capture-writer.ts';
import { buildScene, mapPitchMmFor } from '../../src/sim/scenes/build-scene.ts';
import { loadBoothGeometry, withCameraSize, type BoothGeometry } from '../../src/geometry/booth-geometry.ts';
import { loadSceneConfig, type SceneConfig } from '../../src/geometry/targets.ts';
import type { CardTruth } from '../../src/sim/scenes/card.ts';
import type { PlacementMm } from '../../src/sim/scenes/scene.ts';

export interface SimBench {
  geometry: BoothGeometry;
  config: SceneConfig;
  renderer: SceneRenderer;
  /** Camera scale at the card, µm per px (orthographic-equivalent, for --um-per-px). */
  umPerPx: number;
  stop(): Promise<void>;
}

/** A started distant-light renderer at width × height (same field of view as the 12 MP sensor). */
export async function simBench(width: number, height: number): Promise<SimBench> {
  const geometry = withCameraSize(await loadBoothGeometry(), width, height);
  const config = await loadSceneConfig();
  const renderer = new SceneRenderer({ geometry, threads: 2, distantLights: true });
  await renderer.start();
  const cam = geometry.camera;
  const umPerPx = ((cam.positionMm[2] - config.card.thicknessMm) * cam.pixelPitchUm) / cam.focalLengthMm;
  return { geometry, config, renderer, umPerPx, stop: () => renderer.stop() };
}

/** Render card `seed`'s side into `dir` (optionally at another placement); returns the card's truth. */
export async function renderCard(b: SimBench, dir: string, seed: number, side: 'front' | 'back', options: { placement?: PlacementMm; foil?: boolean; defects?: boolean; noiseSeed?: number } = {}): Promise<CardTruth> {
  const { scene, truth } = buildScene({ kind: 'card', seed, side, geometry: b.geometry, config: b.config, foil: options.foil, defects: options.defects });
  if (truth.kind !== 'card' || scene.kind !== 'card' || !scene.surface) throw new Error('not a card scene');
  if (options.placement) { scene.surface.placement = options.placement; truth.card.placement = options.placement; }
  b.renderer.setScene(scene);
  await writeCaptureFolder({ dir, renderer: b.renderer, exposureUs: b.geometry.sensor.defaultExposureUs, gain: b.geometry.sensor.defaultGain, noiseSeed: options.noiseSeed ?? seed * 1000, truth: { card: truth.card } });
  return truth.card;
}

/** Border widths (mm) and shares (%) as drawn: the print frame's edges snapped to the map grid. */
export function drawnCentering(b: SimBench, t: CardTruth): { left: number; right: number; top: number; bottom: number; leftRight: number; topBottom: number } {
  const p = mapPitchMmFor(b.geometry);
  const W = Math.ceil((t.widthMm + 1) / p) + 2, H = Math.ceil((t.heightMm + 1) / p) + 2;
  const f = t.printFrameMm;
  // Print covers map samples with uMin ≤ u ≤ uMax (v likewise); interpolation puts the edge half a sample out.
  const uMin = (Math.ceil(f.uMin / p - 0.5 + W / 2) - W / 2) * p;
  const uMax = (Math.floor(f.uMax / p - 0.5 + W / 2) + 1 - W / 2) * p;
  const vMax = (H / 2 - Math.ceil(H / 2 - 0.5 - f.vMax / p)) * p;
  const vMin = (H / 2 - Math.floor(H / 2 - 0.5 - f.vMin / p) - 1) * p;
  const left = uMin + t.widthMm / 2, right = t.widthMm / 2 - uMax, top = t.heightMm / 2 - vMax, bottom = vMin + t.heightMm / 2;
  const share = (a: number, c: number): number => (100 * Math.max(a, c)) / (a + c);
  return { left, right, top, bottom, leftRight: share(left, right), topBottom: share(top, bottom) };
}
