import type { CardSpec } from '../vision/segment.ts';
import { cardFrameOf, type CardFrame } from './card-frame.ts';
import { measureCentering, type CenteringMeasurement } from './centering.ts';
import { measureOutline, type OutlineMeasurement } from './outline.ts';
import type { CardSideMaps } from './types.ts';

/** The measured parts of one side (everything but the learned surface detector). */
export interface SideMeasurements {
  frame: CardFrame;
  outline: OutlineMeasurement;
  centering: CenteringMeasurement;
  /** Wall-clock time of the measurements, ms. */
  ms: number;
}

/** Measure a side's outline (edges, corners) and centering on its rectified maps. */
export function measureSide(maps: CardSideMaps, card: CardSpec): SideMeasurements {
  const t0 = performance.now();
  const frame = cardFrameOf(maps, card);
  const outline = measureOutline(maps, frame);
  const centering = measureCentering(maps, frame, outline);
  return { frame, outline, centering, ms: performance.now() - t0 };
}
