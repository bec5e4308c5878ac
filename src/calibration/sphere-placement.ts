import { createError } from '../core/errors.ts';
import type { FloatImage } from '../imaging/image.ts';
import type { CircleFit } from './circle-fit.ts';
import { fitCircleRobust } from './circle-fit.ts';
import type { SpherePlacement } from './led-positions.ts';
import { normalSpaceCentroid, sphereFromOutline, type Intrinsics, type SphereLocation } from './mirror-sphere.ts';
import { findHighlight, maskBoundaryPoints, type Highlight } from './sphere-image.ts';

/** One measured sphere placement: what triangulateLeds() needs, plus the figures behind it. */
export interface MeasuredPlacement {
  placement: SpherePlacement;
  location: SphereLocation;
  circle: CircleFit;
  /** Per LED: the highlight found, or null when the image was too dark inside the sphere. */
  highlights: Array<Highlight | null>;
}

export interface PlacementOptions {
  /** Highlight threshold as a fraction of the peak inside the sphere (default 0.5). */
  highlightFraction?: number;
  /**
   * A highlight whose peak is below this fraction of the median peak over the LEDs counts as not seen
   * (default 0.5): the direct reflection of an LED is its brightest thing on the sphere, so a dim "peak"
   * is the reflected lit tray or a grazing, smeared highlight near the rim.
   */
  minRelativePeak?: number;
  /**
   * A highlight with fewer pixels than this fraction of the median highlight area is not used (default
   * 0.3): it is cut by the sphere's rim or the image border, and its centroid is pulled off the true point.
   */
  minRelativeArea?: number;
}

/**
 * Measure one mirror-sphere placement: the sphere's outline from its mask (sub-pixel, outliers dropped)
 * located in 3D under perspective with the known radius (mm), and the highlight centre in each LED's image.
 * Images are linear 0..1 (dark-subtracted); `null` entries (LED not captured) give a null highlight.
 */
export function measureSpherePlacement(
  k: Intrinsics,
  mask: FloatImage,
  ledImages: ReadonlyArray<FloatImage | null>,
  radiusMm: number,
  options: PlacementOptions = {},
): MeasuredPlacement {
  const { xs, ys } = maskBoundaryPoints(mask);
  if (xs.length < 12) throw createError('GB_VISION_FAILED', `sphere mask has only ${xs.length} boundary points; expected a filled disc`);
  const circle = fitCircleRobust(xs, ys);
  // Only the outline points the circle fit kept go into the 3D location: stray mask pixels stay out.
  const keptX: number[] = [];
  const keptY: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    if (circle.inlierMask[i]) {
      keptX.push(xs[i]);
      keptY.push(ys[i]);
    }
  }
  const location = sphereFromOutline(k, keptX, keptY, radiusMm);
  const search = { ...circle, radiusPx: circle.radiusPx + 1 };
  const highlights: Array<Highlight | null> = ledImages.map((img, i) => {
    if (!img) return null;
    if (img.width !== mask.width || img.height !== mask.height) {
      throw createError('GB_DATASET_INVALID', `LED ${i}: image is ${img.width}×${img.height} but the mask is ${mask.width}×${mask.height}`);
    }
    let h: Highlight;
    try {
      h = findHighlight(img, search, options.highlightFraction ?? 0.5, true);
    } catch (err) {
      if ((err as { code?: string }).code === 'GB_VISION_FAILED') return null; // black inside the sphere
      throw err;
    }
    return h;
  });
  const peaks = highlights.filter((h): h is Highlight => h !== null).map((h) => h.peak).sort((a, b) => a - b);
  const areas = highlights.filter((h): h is Highlight => h !== null).map((h) => h.areaPx).sort((a, b) => a - b);
  const minPeak = peaks.length > 0 ? (options.minRelativePeak ?? 0.5) * peaks[peaks.length >> 1] : Infinity;
  const minArea = areas.length > 0 ? (options.minRelativeArea ?? 0.3) * areas[areas.length >> 1] : Infinity;
  for (let i = 0; i < highlights.length; i++) {
    const h = highlights[i];
    if (h && (h.peak < minPeak || h.areaPx < minArea)) highlights[i] = null;
  }
  const highlightsPx = highlights.map((h) => {
    if (!h) return null;
    const px = h.pixels;
    const refined = px ? normalSpaceCentroid(k, location.centreMm, radiusMm, px.xs, px.ys, px.weights) : undefined;
    delete h.pixels; // large; not needed by callers
    return refined ?? ([h.xPx, h.yPx] as const);
  });
  return {
    placement: { centreMm: location.centreMm, radiusMm, highlightsPx },
    location,
    circle,
    highlights,
  };
}
