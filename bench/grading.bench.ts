// Grading benchmarks on two 12 MP sides, each reconstructed by the vision pipeline from a capture:
//   - `grade …`: a simulated booth card (the simulator's card, seed 11: printed art, a scratch, two dents,
//     worn corners, an edge chip), rendered at the full sensor (3000 × 4096) under the booth's LEDs and
//     reconstructed as a scan is. What the booth grades all day: a card with a few defects.
//   - `grade washboard …`: the vision bench's synthetic capture (3000 × 4200, 16 near-field LEDs): a card
//     corrugated ±50 µm every 6 mm, which the detector reads as ~28 dents over 40 % of the card. The
//     worst case for the post-processing, kept so it stays measured.
// Every stage of grading is timed on its own line, each in a process of its own (grading-stage.ts) so that
// its peak RSS is its own: the measurements (outline, corners, edges, centering), the surface detector's
// resampling to the model's scale and its features (neither needs the model), the ONNX runs alone and the
// post-processing (with a model: models/ or `--models DIR`), the report (pictures + PNG + HTML, with the
// side's defects as the model finds them: each is a crop and an outline) and its parts alone (drawing the
// pictures, encoding them as PNG, the HTML page and JSON). The line
// `grade` sums them: issue 11's budget is measurements + model inference + report ≤ 400 ms on 2 cores.
// Each stage is timed after warm-up calls, as the daemon runs it card after card; firstMs is a fresh
// process's first call (grading-stage.ts).
// `grade pipeline` (with a model) runs a side as `gradebooth grade` and the scan's grade stage do, the
// measurements beside the detector, then the grade and the report, in one process: what the stages cost
// when they overlap, with the network's own share of it (inferenceMs); not added to `grade`.
// Every line carries the 1-minute load average: the machine is shared, and wall times scale with it.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchResult, BenchSuite } from './bench.ts';
import { syntheticCapture } from './vision.bench.ts';
import { gradingStages, mapsFiles, pipelineStage, reportParts, type GradingStage } from './grading-stage.ts';
import { nearFieldLights } from '../src/vision/lights.ts';
import { reconstructSide } from '../src/vision/side.ts';
import { standardCard } from '../src/vision/segment.ts';
import { gradingMarginMm, sideMapsOf } from '../src/grading/capture-side.ts';
import { resolveSurfaceModelDir } from '../src/grading/surface/load.ts';
import { loadBoothGeometry, withCameraSize } from '../src/geometry/booth-geometry.ts';
import { loadSceneConfig } from '../src/geometry/targets.ts';
import { footprintUmAtCentre } from '../src/geometry/camera-model.ts';
import { SceneRenderer } from '../src/sim/render/scene-renderer.ts';
import { buildScene } from '../src/sim/scenes/build-scene.ts';
import { renderAndReconstructSide } from '../src/sim/export/surface-training-maps.ts';
import type { CardSideMaps } from '../src/grading/types.ts';

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

const stageScript = fileURLToPath(new URL('./grading-stage.ts', import.meta.url));

interface StageFigures { ms: number; cpuMs: number; minMs: number; minCpuMs: number; baseRssMb: number; peakRssMb: number; [k: string]: number | string }

/** Run one stage in a child process (same Node flags as this one, so tsx loads the TypeScript). */
async function runStage(stage: GradingStage, dir: string, runs: number, modelsDir: string | undefined): Promise<StageFigures> {
  const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, stageScript, stage, dir, String(runs), ...(modelsDir ? [modelsDir] : [])], { maxBuffer: 1 << 20 });
  const r = JSON.parse(stdout.trim().split('\n').pop() as string) as StageFigures & { failed?: string };
  if (typeof r.failed === 'string') throw new Error(r.failed);
  return r;
}

/** The simulated booth card's front (seed 11), rendered at the sensor's size and reconstructed as a scan is. */
async function simulatedCardSide(width: number, height: number): Promise<{ maps: CardSideMaps; cameraPx: string }> {
  const geometry = withCameraSize(await loadBoothGeometry(), width, height);
  const built = buildScene({ kind: 'card', seed: 11, side: 'front', geometry, config: await loadSceneConfig(), foil: false, defects: true });
  const renderer = new SceneRenderer({ geometry, threads: 2 });
  await renderer.start();
  try {
    const cameraUm = footprintUmAtCentre(renderer.camera);
    const maps = await renderAndReconstructSide(renderer, built.scene, geometry, geometry.sensor.defaultExposureUs, 11000, cameraUm, Math.round(cameraUm), 'front');
    return { maps, cameraPx: `${width}x${height}` };
  } finally {
    await renderer.stop();
  }
}

/** The vision bench's synthetic capture (a corrugated card), reconstructed under its near-field LEDs. */
async function washboardSide(width: number, height: number): Promise<{ maps: CardSideMaps; cameraPx: string }> {
  const lights = 16;
  const umPerPx = (standardCard.heightMm * 1000) / (height * 0.85);
  const planes = syntheticCapture(width, height, lights, umPerPx);
  const near = nearFieldLights(width, height, { ledPositionsMm: ringLeds(lights), pointMm: (x, y) => [((x - width / 2) * umPerPx) / 1000, (-(y - height / 2) * umPerPx) / 1000, 0] }, 8);
  const canonicalUmPerPx = Math.round(umPerPx);
  const r = await reconstructSide({ planes, width, height, lights: near, umPerPx, canonicalUmPerPx, marginPx: Math.round((gradingMarginMm * 1000) / canonicalUmPerPx) });
  return { maps: sideMapsOf(r, 'front'), cameraPx: `${width}x${height}` };
}

export const gradingBench: BenchSuite = {
  name: 'grading',
  async *run({ quick, modelsDir }): AsyncGenerator<BenchResult> {
    const runs = quick ? 3 : 5;
    let model: string | undefined;
    let modelError = '';
    try {
      model = await resolveSurfaceModelDir(modelsDir);
    } catch (err) {
      modelError = (err as { code?: string }).code ?? (err as Error).message;
    }
    const sides = [
      { prefix: 'grade', make: () => (quick ? simulatedCardSide(1500, 2048) : simulatedCardSide(3000, 4096)) },
      { prefix: 'grade washboard', make: () => (quick ? washboardSide(1000, 1400) : washboardSide(3000, 4200)) },
    ];
    for (const { prefix, make } of sides) {
      const { maps, cameraPx } = await make();
      const dir = await mkdtemp(join(tmpdir(), 'gradebooth-bench-grading-'));
      try {
        for (const [name, bytes] of Object.entries(mapsFiles(maps))) await writeFile(join(dir, name), bytes);
        const total = { ms: 0, cpuMs: 0, minMs: 0, firstMs: 0, peakRssMb: 0 };
        const parts: string[] = [];
        for (const stage of gradingStages) {
          const needsModel = stage === 'onnx' || stage === 'postprocess' || stage === pipelineStage;
          if (needsModel && !model) {
            yield { name: `${prefix} ${stage}`, ms: NaN, extra: { skipped: `no surface model (${modelError}); --models DIR to time it` } };
            continue;
          }
          const load = loadavg()[0];
          let f: StageFigures;
          try {
            f = await runStage(stage, dir, runs, model);
          } catch (err) {
            // A model that does not load (GB_MODEL_INVALID: e.g. trained for other input channels) or a stage
            // that fails: say so on its line; the other stages still run.
            const why = (err as Error).message.split('\n')[0];
            yield { name: `${prefix} ${stage}`, ms: NaN, extra: { failed: why.slice(0, 300), loadAverage: load.toFixed(2) } };
            if (needsModel) { model = undefined; modelError = why.split(':')[0]; }
            continue;
          }
          const { ms, cpuMs, minMs, minCpuMs, baseRssMb, peakRssMb, ...rest } = f;
          // The report's parts are inside `report`, the pipeline is the stages overlapped; the other stages add up.
          if (!reportParts.includes(stage) && stage !== pipelineStage) { total.ms += ms; total.cpuMs += cpuMs; total.minMs += minMs; total.firstMs += Number(rest.firstMs); total.peakRssMb = Math.max(total.peakRssMb, peakRssMb); parts.push(stage); }
          yield { name: `${prefix} ${stage}`, width: maps.widthPx, height: maps.heightPx, ms, extra: { cpuMs: Math.round(cpuMs), minMs: Math.round(minMs), minCpuMs: Math.round(minCpuMs), baseRssMb, peakRssMb, loadAverage: load.toFixed(2), ...rest } };
        }
        yield {
          name: prefix, width: maps.widthPx, height: maps.heightPx, ms: total.ms,
          extra: { cpuMs: Math.round(total.cpuMs), minMs: Math.round(total.minMs), firstMs: Math.round(total.firstMs), peakRssMb: total.peakRssMb, budgetMs: 400, stages: parts.join('+'), inference: model ? 'included' : `not timed (${modelError})`, loadAverage: loadavg()[0].toFixed(2), cameraPx, umPerPx: maps.umPerPx },
        };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  },
};
