import type { MaterialSpec, Vec3 } from '../../geometry/booth-geometry.ts';
import type { SurfaceMaps } from './surface-maps.ts';

/** Where an object lies on the tray: its centre (mm, tray frame) and its rotation about z (degrees, CCW). */
export interface PlacementMm {
  xMm: number;
  yMm: number;
  rotationDeg: number;
}

/** A planar object (card or flat target) placed on the tray. */
export interface PlacedSurface {
  maps: SurfaceMaps;
  placement: PlacementMm;
}

/** An analytic sphere (the chrome sphere), exact normals. */
export interface SphereObject {
  centerMm: Vec3;
  radiusMm: number;
  material: MaterialSpec;
}

/** Everything the renderer needs to know about what lies on the tray. */
export interface Scene {
  kind: SceneKind;
  tray: MaterialSpec;
  surface?: PlacedSurface;
  sphere?: SphereObject;
}

export type SceneKind = 'card' | 'chrome-sphere' | 'white' | 'dot-grid' | 'relief' | 'tray';

export const sceneKinds: readonly SceneKind[] = ['card', 'chrome-sphere', 'white', 'dot-grid', 'relief', 'tray'];
