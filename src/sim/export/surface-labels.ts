import { classOfSimDefectKind } from '../../grading/surface/classes.ts';
import type { DefectTruth } from '../scenes/defects.ts';
import type { SurfaceMaps } from '../scenes/surface-maps.ts';

/** Where a canonical card image lies on the card: its size in px and its scale (see vision/segment.ts). */
export interface CanonicalFrame {
  widthPx: number;
  heightPx: number;
  umPerPx: number;
  cardWidthMm: number;
  cardHeightMm: number;
  /** Background px around the card on every side (vision/side.ts marginPx; default 0). */
  marginPx?: number;
}

/**
 * Per-pixel surface-defect classes on the canonical card frame, from the card's own truth maps: canonical
 * pixel (x, y) covers card coordinates u = (x + 0.5)·s − W/2, v = H/2 − (y + 0.5)·s (s = mm per px; the
 * card spans [−0.5, w − 0.5] px, see segmentCard). Each pixel looks at a 3 × 3 grid of points inside its
 * footprint, so a scratch narrower than a pixel still labels the pixels it crosses. A defect id maps to its
 * model class (classes.ts); corner wear and edge chips are background for the surface model.
 */
export function canonicalSurfaceLabels(maps: SurfaceMaps, defects: readonly DefectTruth[], frame: CanonicalFrame): Uint8Array {
  const classOfId = new Uint8Array(65536);
  for (const d of defects) classOfId[d.id] = classOfSimDefectKind(d.kind);
  const { widthPx: w, heightPx: h } = frame;
  const s = frame.umPerPx / 1000;
  const m = frame.marginPx ?? 0;
  const out = new Uint8Array(w * h);
  const p = maps.pitchMm;
  const sub = [-1 / 3, 0, 1 / 3];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let cls = 0;
      for (const dy of sub) {
        for (const dx of sub) {
          const u = (x - m + 0.5 + dx) * s - frame.cardWidthMm / 2;
          const v = frame.cardHeightMm / 2 - (y - m + 0.5 + dy) * s;
          const mx = Math.round(u / p + maps.widthPx / 2 - 0.5);
          const my = Math.round(maps.heightPx / 2 - v / p - 0.5);
          if (mx < 0 || my < 0 || mx >= maps.widthPx || my >= maps.heightPx) continue;
          const c = classOfId[maps.label[my * maps.widthPx + mx]];
          // Relief classes win over albedo-only ones where defects overlap (the relief is what grades).
          if (c !== 0 && (cls === 0 || c < cls)) cls = c;
        }
      }
      out[y * w + x] = cls;
    }
  }
  return out;
}
