import type { BoothGeometry } from '../../geometry/booth-geometry.ts';
import { footprintUmAtCentre, pinholeFromSpec } from '../../geometry/camera-model.ts';
import { buildCardScene, type CardSide, type CardTruth } from './card.ts';
import type { Scene, SceneKind } from './scene.ts';
import type { SceneConfig } from '../../geometry/targets.ts';
import { buildTargetScene, type TargetTruth } from './targets.ts';
import type { FoilStyle } from './artwork.ts';

export interface BuildSceneOptions {
  kind: SceneKind;
  seed: number;
  side?: CardSide;
  /** The booth as rendered (its camera sets the map resolution). */
  geometry: BoothGeometry;
  config: SceneConfig;
  foil?: boolean | FoilStyle;
  defects?: boolean;
}

export type SceneTruth = { kind: 'card'; card: CardTruth } | TargetTruth;

/**
 * Map sample spacing for a camera: its footprint on the tray (one map sample per pixel), but never finer
 * than 15 µm (memory) — defects narrower than that are still drawn, only blurred by sampling.
 */
export function mapPitchMmFor(geometry: BoothGeometry): number {
  return Math.max(15, footprintUmAtCentre(pinholeFromSpec(geometry.camera))) / 1000;
}

/** Build any scene kind with its ground truth. */
export function buildScene(options: BuildSceneOptions): { scene: Scene; truth: SceneTruth } {
  const pitchMm = mapPitchMmFor(options.geometry);
  if (options.kind === 'card') {
    const { scene, truth } = buildCardScene({
      seed: options.seed,
      side: options.side ?? 'front',
      spec: options.config.card,
      tray: options.geometry.tray,
      pitchMm,
      foil: options.foil,
      defects: options.defects,
    });
    return { scene, truth: { kind: 'card', card: truth } };
  }
  return buildTargetScene(options.kind, options.seed, options.config, options.geometry.tray, pitchMm);
}
