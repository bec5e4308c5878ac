// Grading benchmarks on a 12 MP side: the measurements (outline, corners, edges, centering) and the report
// (overlay images, crops, HTML) on maps reconstructed by the vision pipeline from the vision bench's
// synthetic 3000 × 4200 capture (a bordered card under 16 near-field LEDs). The learned surface detector is
// timed on its own (inferenceMs: the whole detect(); surface.onnxMs: the ONNX runs alone) once its model is
// installed; until then the line says so.
import type { BenchSuite } from './bench.ts';
import { medianMs } from './bench.ts';
import { syntheticCapture } from './vision.bench.ts';
import { nearFieldLights } from '../src/vision/lights.ts';
import { reconstructSide } from '../src/vision/side.ts';
import { standardCard } from '../src/vision/segment.ts';
import { gradingMarginMm, sideMapsOf } from '../src/grading/capture-side.ts';
import { measureSide } from '../src/grading/measure.ts';
import { gradeCard, gradeSide } from '../src/grading/grade.ts';
import { buildReport } from '../src/grading/report.ts';
import { openSurfaceDetector } from '../src/grading/surface-model.ts';
import { OnnxSurfaceDetector } from '../src/grading/surface/detector.ts';

/** LED ring as in the vision bench (two rings of 8 at 200 mm). */
function ringLeds(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const upper = i >= n / 2;
    const el = ((upper ? 55 : 25) * Math.PI) / 180;
    const az = (2 * Math.PI * (i % (n / 2))) / (n / 2) + (upper ? Math.PI / (n / 2) : 0);
    out.push(200 * Math.cos(el) * Math.cos(az), 200 * Math.cos(el) * Math.sin(az), 200 * Math.sin(el));
  }
  return out;
}

/** Median per detector stage, ms ({} when the detector did not report stages). */
function stageMedians(stages: Record<string, number[]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(stages)) if (v.length > 0) out[`surface.${k}Ms`] = Math.round([...v].sort((a, b) => a - b)[v.length >> 1]);
  return out;
}

export const gradingBench: BenchSuite = {
  name: 'grading',
  async *run({ quick }) {
    const width = quick ? 1000 : 3000, height = quick ? 1400 : 4200, lights = 16;
    const runs = quick ? 3 : 5;
    const umPerPx = (standardCard.heightMm * 1000) / (height * 0.85);
    const planes = syntheticCapture(width, height, lights, umPerPx);
    const near = nearFieldLights(width, height, { ledPositionsMm: ringLeds(lights), pointMm: (x, y) => [((x - width / 2) * umPerPx) / 1000, (-(y - height / 2) * umPerPx) / 1000, 0] }, 8);
    const canonicalUmPerPx = Math.round(umPerPx);
    const r = await reconstructSide({ planes, width, height, lights: near, umPerPx, canonicalUmPerPx, marginPx: Math.round((gradingMarginMm * 1000) / canonicalUmPerPx) });
    const maps = sideMapsOf(r, 'front');
    const card = { widthMm: standardCard.widthMm, heightMm: standardCard.heightMm, cornerRadiusMm: standardCard.cornerRadiusMm };
    let m = measureSide(maps, card);
    const measureMs = await medianMs(runs, () => { m = measureSide(maps, card); });
    const g = gradeCard([gradeSide('front', m.frame, m.centering, m.outline, [])]);
    const reportMs = await medianMs(runs, () => buildReport(g, [{ maps, frame: m.frame }], { title: 'bench' }));
    let model = 'not installed';
    let inferenceMs = NaN;
    // The detector's own stages (resampling to 60 µm/px, features, ONNX runs, components): the ONNX part
    // is what a faster model or runtime would change.
    const stages: Record<string, number[]> = { resample: [], features: [], onnx: [], postprocess: [] };
    try {
      const detector = await openSurfaceDetector();
      try {
        inferenceMs = await medianMs(runs, async () => {
          await detector.detect(maps);
          const tm = detector instanceof OnnxSurfaceDetector ? detector.lastTimingsMs : undefined;
          if (tm) { stages.resample.push(tm.resample); stages.features.push(tm.features); stages.onnx.push(tm.inference); stages.postprocess.push(tm.postprocess); }
        });
        model = `${detector.model.name} ${detector.model.version}`;
      } finally {
        await detector.close();
      }
    } catch (err) {
      model = `not installed (${(err as { code?: string }).code ?? (err as Error).message})`;
    }
    const total = measureMs + reportMs + (Number.isFinite(inferenceMs) ? inferenceMs : 0);
    yield { name: 'grade', width: maps.widthPx, height: maps.heightPx, ms: total, extra: { measureMs: Math.round(measureMs), reportMs: Math.round(reportMs), inferenceMs: Number.isFinite(inferenceMs) ? Math.round(inferenceMs) : 'n/a', ...stageMedians(stages), model, cameraPx: `${width}x${height}`, umPerPx: canonicalUmPerPx, centering: m.centering.measurable ? `${m.centering.leftRight?.[0].toFixed(1)}/${m.centering.topBottom?.[0].toFixed(1)}` : 'n/m' } };
  },
};
