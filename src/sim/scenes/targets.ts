import type { MaterialSpec } from '../../geometry/booth-geometry.ts';
import { dotCenterMm, dotGridLayout, reliefHeightMm, type PlateSpec, type SceneConfig } from '../../geometry/targets.ts';
import { hashSeed, SeededRandom } from '../random.ts';
import { seededPlacement } from './card.ts';
import type { PlacementMm, Scene } from './scene.ts';
import { allocateSurfaceMaps, finalizeSurface, forEachInBox, type SurfaceMaps } from './surface-maps.ts';

/** Ground truth of a calibration target (what a calibration procedure should recover). */
export type TargetTruth =
  | { kind: 'tray' }
  | { kind: 'chrome-sphere'; centerMm: [number, number, number]; radiusMm: number; material: MaterialSpec }
  | { kind: 'white'; widthMm: number; heightMm: number; thicknessMm: number; placement: PlacementMm; material: MaterialSpec }
  | {
      kind: 'dot-grid';
      widthMm: number;
      heightMm: number;
      thicknessMm: number;
      placement: PlacementMm;
      pitchMm: number;
      dotDiameterMm: number;
      columns: number;
      rows: number;
    }
  | {
      kind: 'relief';
      widthMm: number;
      heightMm: number;
      thicknessMm: number;
      placement: PlacementMm;
      sphereCap: SceneConfig['relief']['sphereCap'];
      ramps: SceneConfig['relief']['ramps'];
    };

function plate(spec: PlateSpec, material: MaterialSpec, pitchMm: number): SurfaceMaps {
  const maps = allocateSurfaceMaps(spec.widthMm + 1, spec.heightMm + 1, pitchMm);
  forEachInBox(maps, -spec.widthMm / 2, -spec.heightMm / 2, spec.widthMm / 2, spec.heightMm / 2, (i, u, v) => {
    if (Math.abs(u) > spec.widthMm / 2 || Math.abs(v) > spec.heightMm / 2) return;
    maps.cover[i] = 1;
    maps.height[i] = spec.thicknessMm;
    maps.albedo[i] = material.albedo;
    maps.roughness[i] = material.roughness;
    maps.specularF0[i] = material.specularF0;
  });
  return maps;
}

/** Build a calibration-target scene (chrome sphere, white flat, dot grid, relief target, empty tray). */
export function buildTargetScene(
  kind: 'chrome-sphere' | 'white' | 'dot-grid' | 'relief' | 'tray',
  seed: number,
  config: SceneConfig,
  tray: MaterialSpec,
  pitchMm: number,
): { scene: Scene; truth: TargetTruth } {
  if (kind === 'tray') return { scene: { kind, tray }, truth: { kind } };
  if (kind === 'chrome-sphere') {
    const s = config.chromeSphere;
    const rng = new SeededRandom(hashSeed(seed, 0x5be7e));
    const centerMm: [number, number, number] = [rng.range(-s.placement.maxShiftMm, s.placement.maxShiftMm), rng.range(-s.placement.maxShiftMm, s.placement.maxShiftMm), s.radiusMm];
    return { scene: { kind, tray, sphere: { centerMm, radiusMm: s.radiusMm, material: s.material } }, truth: { kind, centerMm, radiusMm: s.radiusMm, material: s.material } };
  }
  if (kind === 'white') {
    const s = config.white;
    const maps = plate(s, s.material, pitchMm);
    finalizeSurface(maps, tray);
    const placement = seededPlacement(seed, 3, s.placement.maxShiftMm, s.placement.maxRotationDeg);
    return { scene: { kind, tray, surface: { maps, placement } }, truth: { kind, widthMm: s.widthMm, heightMm: s.heightMm, thicknessMm: s.thicknessMm, placement, material: s.material } };
  }
  if (kind === 'dot-grid') {
    const s = config.dotGrid;
    const maps = plate(s, s.background, pitchMm);
    const { columns, rows } = dotGridLayout(s);
    const r = s.dotDiameterMm / 2;
    forEachInBox(maps, -s.widthMm / 2, -s.heightMm / 2, s.widthMm / 2, s.heightMm / 2, (i, u, v) => {
      if (maps.cover[i] === 0) return;
      const c = Math.round(u / s.pitchMm + (columns - 1) / 2);
      const rw = Math.round((rows - 1) / 2 - v / s.pitchMm);
      if (c < 0 || c >= columns || rw < 0 || rw >= rows) return;
      const [cu, cv] = dotCenterMm(s, c, rw);
      if (Math.hypot(u - cu, v - cv) <= r) maps.albedo[i] = s.dotAlbedo;
    });
    finalizeSurface(maps, tray);
    const placement = seededPlacement(seed, 4, s.placement.maxShiftMm, s.placement.maxRotationDeg);
    return {
      scene: { kind, tray, surface: { maps, placement } },
      truth: { kind, widthMm: s.widthMm, heightMm: s.heightMm, thicknessMm: s.thicknessMm, placement, pitchMm: s.pitchMm, dotDiameterMm: s.dotDiameterMm, columns, rows },
    };
  }
  const s = config.relief;
  const maps = plate(s, s.material, pitchMm);
  forEachInBox(maps, -s.widthMm / 2, -s.heightMm / 2, s.widthMm / 2, s.heightMm / 2, (i, u, v) => {
    if (maps.cover[i] === 1) maps.height[i] += reliefHeightMm(s, u, v);
  });
  finalizeSurface(maps, tray);
  const placement = seededPlacement(seed, 5, s.placement.maxShiftMm, s.placement.maxRotationDeg);
  return {
    scene: { kind, tray, surface: { maps, placement } },
    truth: { kind, widthMm: s.widthMm, heightMm: s.heightMm, thicknessMm: s.thicknessMm, placement, sphereCap: s.sphereCap, ramps: s.ramps },
  };
}
