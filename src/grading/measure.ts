import type { CardSpec } from '../vision/segment.ts';
import { cardFrameOf, type CardFrame } from './card-frame.ts';
import { centeringSteps, type CenteringMeasurement } from './centering.ts';
import { outlineSteps, runSteps, type MeasurementSteps, type OutlineMeasurement } from './outline.ts';
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
  const r = runSteps(sideSteps(maps, card));
  return { ...r, ms: performance.now() - t0 };
}

/**
 * {@link measureSide} with a turn of the event loop between its steps (the levels, each edge, corner and
 * border: a few ms each on a 12 MP side), so that it can run beside the surface detector: the detector's
 * native resampling and features on libuv's pool and its network on onnxruntime's threads are started
 * and collected between the steps instead of after the whole ~50 ms. The same computations, the same
 * result. `ms` is the wall-clock time from start to end, the other work in between included.
 */
export async function measureSideAsync(maps: CardSideMaps, card: CardSpec): Promise<SideMeasurements> {
  const t0 = performance.now();
  const steps = sideSteps(maps, card);
  for (;;) {
    const r = steps.next();
    if (r.done) return { ...r.value, ms: performance.now() - t0 };
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function* sideSteps(maps: CardSideMaps, card: CardSpec): MeasurementSteps<Omit<SideMeasurements, 'ms'>> {
  const frame = cardFrameOf(maps, card);
  const outline = yield* outlineSteps(maps, frame);
  const centering = yield* centeringSteps(maps, frame, outline);
  return { frame, outline, centering };
}
