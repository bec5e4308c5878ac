// One stage of the grading bench in a process of its own (spawned by grading.bench.ts), so that its peak
// RSS is the stage's own (on top of the side's maps, which every stage holds) and not the capture's or
// the reconstruction's, which ran in the parent. Reads the maps the parent wrote, times `runs` calls after
// five warm-up calls, prints one JSON line: {ms, cpuMs, minMs, minCpuMs, firstMs, baseRssMb, peakRssMb,
// ...stage figures}: the median and the fastest wall and CPU time (all threads: sharp's and onnxruntime's
// too; on a shared machine the fastest run is the one least disturbed), the first (cold) call's wall time,
// RSS before the stage (the maps and what the stage is given) and the peak while it ran.
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { join } from 'node:path';
import { measureSide, measureSideAsync } from '../src/grading/measure.ts';
import { gradeCard, gradeSide } from '../src/grading/grade.ts';
import { buildReport } from '../src/grading/report.ts';
import { renderReportHtml } from '../src/grading/report-html.ts';
import { drawSidePictures, encodeSidePictures } from '../src/grading/report-images.ts';
import { gradeJson } from '../src/grading/report-json.ts';
import { resampleSideMapsAsync } from '../src/grading/surface/resample.ts';
import { surfaceFeaturesAsync } from '../src/grading/surface/features.ts';
import { defaultTiling, surfaceDefectsOf } from '../src/grading/surface/detector.ts';
import { loadSurfaceDetector } from '../src/grading/surface/load.ts';
import { standardCard } from '../src/vision/segment.ts';
import type { CardSideMaps } from '../src/grading/types.ts';

/** Stages this script runs (the grading bench's lines). */
export const gradingStages = ['measure', 'resample', 'features', 'onnx', 'postprocess', 'report', 'report-pixels', 'report-png', 'report-html', 'pipeline'] as const;
/** Parts of `report`, timed on their own too (not added to the total). */
export const reportParts: readonly GradingStage[] = ['report-pixels', 'report-png', 'report-html'];
/**
 * The whole side graded as `gradebooth grade` and the scan's grade stage do it: the measurements beside
 * the surface detector (they yield between their steps), the grade, the report. Not added to the total:
 * it is what the stages add up to when they overlap.
 */
export const pipelineStage: GradingStage = 'pipeline';
export type GradingStage = (typeof gradingStages)[number];

/** Calls before the timed runs (the first one timed apart as firstMs). */
const warmUps = 5;

/** The scale the surface model recipe trains at (scripts/train/surface-manifest.ts), when no model is installed. */
export const recipeUmPerPx = 60;

/** Write a side's maps as raw files for the stage processes. */
export function mapsFiles(maps: CardSideMaps): Record<string, Uint8Array | string> {
  const bytes = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return {
    'maps.json': JSON.stringify({ side: maps.side, widthPx: maps.widthPx, heightPx: maps.heightPx, umPerPx: maps.umPerPx }),
    'mask.bin': maps.mask, 'normals.bin': bytes(maps.normals), 'albedo.bin': bytes(maps.albedo), 'relief.bin': bytes(maps.reliefUm),
    ...(maps.confidence ? { 'confidence.bin': bytes(maps.confidence) } : {}),
  };
}

async function readMaps(dir: string): Promise<CardSideMaps> {
  const meta = JSON.parse(await readFile(join(dir, 'maps.json'), 'utf8')) as Pick<CardSideMaps, 'side' | 'widthPx' | 'heightPx' | 'umPerPx'>;
  const f32 = async (name: string): Promise<Float32Array> => { const b = await readFile(join(dir, name)); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
  const confidence = await f32('confidence.bin').catch(() => undefined);
  return { ...meta, mask: new Uint8Array(await readFile(join(dir, 'mask.bin'))), normals: await f32('normals.bin'), albedo: await f32('albedo.bin'), reliefUm: await f32('relief.bin'), confidence };
}

const mb = (bytes: number): number => Math.round(bytes / 1048576);

/**
 * Peak RSS of this process since the last {@link resetPeakRss}, bytes: Linux's VmHWM (getrusage's maxrss
 * is no use here, it keeps the parent's peak across fork + exec). Elsewhere the peak since start.
 */
function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** Start the peak RSS again from the current RSS (Linux: "5" to /proc/self/clear_refs), so the stage's own peak is seen. */
function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not Linux, or not permitted: the peak then includes the setup
  }
}

async function main(): Promise<void> {
  const [stage, dir, runsArg, modelsDir] = process.argv.slice(2) as [GradingStage, string, string, string | undefined];
  const runs = Number(runsArg);
  const maps = await readMaps(dir);
  const card = { widthMm: standardCard.widthMm, heightMm: standardCard.heightMm, cornerRadiusMm: standardCard.cornerRadiusMm };
  const extra: Record<string, number | string> = {};
  // What the stage needs from the stages before it (not timed).
  // The report stages draw the side's defects as the model finds them, when there is a model.
  const reportStage = stage === 'report' || reportParts.includes(stage);
  const detector = stage === 'onnx' || stage === 'postprocess' || stage === 'pipeline' || (reportStage && modelsDir) ? await loadSurfaceDetector(modelsDir) : undefined;
  const modelUm = detector?.manifest.input.umPerPx ?? recipeUmPerPx;
  let fn: () => unknown;
  if (stage === 'measure') {
    fn = () => measureSide(maps, card);
  } else if (stage === 'resample') {
    fn = () => resampleSideMapsAsync(maps, modelUm);
    const s = await resampleSideMapsAsync(maps, modelUm);
    Object.assign(extra, { toUmPerPx: modelUm, toPx: `${s.widthPx}x${s.heightPx}` });
  } else if (stage === 'features') {
    const small = await resampleSideMapsAsync(maps, modelUm);
    fn = () => surfaceFeaturesAsync(small);
  } else if (stage === 'onnx' || stage === 'postprocess') {
    if (!detector) throw new Error('no detector');
    const small = await resampleSideMapsAsync(maps, modelUm);
    const features = await surfaceFeaturesAsync(small);
    const probs = await detector.probabilities(features, small.widthPx, small.heightPx);
    // Post-processing as detect() does it: the network's components, the measured folds and print lines.
    // Each post-processing run on its own copies of the masks, as each side has: what the detector computes
    // once per mask (erodedCardMask, cardBoxOfMask) is computed in every run, not once for the bench.
    fn = stage === 'onnx' ? () => detector.probabilities(features, small.widthPx, small.heightPx) : () => surfaceDefectsOf(probs, features, { ...small, mask: small.mask.slice() }, { ...maps, mask: maps.mask.slice() }, detector.manifest.postprocess);
    Object.assign(extra, { model: `${detector.model.name} ${detector.model.version}`, tilePx: defaultTiling.tilePx });
  } else if (stage === 'pipeline') {
    if (!detector) throw new Error('no detector');
    const inference: number[] = [];
    fn = async () => {
      // A fresh mask per run, as each side has (the card box is found once per mask).
      const side = { ...maps, mask: maps.mask.slice() };
      const [m, surface] = await Promise.all([measureSideAsync(side, card), detector.detect(side)]);
      inference.push(detector.lastTimingsMs?.inference ?? NaN);
      const g = gradeCard([gradeSide('front', m.frame, m.centering, m.outline, surface)], detector.model);
      return buildReport(g, [{ maps: side, frame: m.frame }], { title: 'bench' });
    };
    // The network's own time inside each run (the rest is what the grading adds around it).
    Object.defineProperty(extra, 'inferenceMs', { enumerable: true, get: () => Math.round([...inference.slice(1)].sort((a, b) => a - b)[(inference.length - 1) >> 1]) });
    Object.assign(extra, { model: `${detector.model.name} ${detector.model.version}` });
  } else {
    // The report of the side as graded: its defects (each a crop and an outline) from the model when there is
    // one (the washboard's ~28 dents cost the report more than its pictures), none without.
    const m = measureSide(maps, card);
    const defects = detector ? await detector.detect(maps) : [];
    // Closed before the timed runs: the stage's RSS is the report's own.
    await detector?.close();
    const g = gradeCard([gradeSide('front', m.frame, m.centering, m.outline, defects)]);
    extra.defects = defects.length;
    const report = await buildReport(g, [{ maps, frame: m.frame }], { title: 'bench' });
    if (stage === 'report') {
      fn = () => buildReport(g, [{ maps, frame: m.frame }], { title: 'bench' });
      const im = report.images[0];
      const meta = await sharp(im.albedoOverlay).metadata();
      Object.assign(extra, { overviewPx: `${meta.width}x${meta.height}`, overviewUmPerPx: im.overviewUmPerPx, pngKb: Math.round((im.albedoOverlay.length + im.shadedRelief.length + im.normalMap.length) / 1024), htmlKb: Math.round(report.html.length / 1024) });
    } else if (stage === 'report-pixels') {
      fn = () => drawSidePictures(maps, m.frame, g.sides[0]);
    } else if (stage === 'report-png') {
      const pictures = await drawSidePictures(maps, m.frame, g.sides[0]);
      fn = () => encodeSidePictures(pictures);
    } else {
      fn = () => ({ json: JSON.stringify(gradeJson(g)), html: renderReportHtml(g, report.images, { title: 'bench', createdAt: new Date().toISOString() }) });
    }
  }
  const baseRss = process.memoryUsage.rss();
  resetPeakRss();
  // The first call in a fresh process (firstMs) pays V8's compilation of the stage's code and lazy set-up;
  // the post-processing's loops reach optimised code only after 3–4 calls (5 runs after one warm-up gave a
  // median of 103 ms, 20 runs 45 ms). The daemon grades card after card in one process, so the figures are
  // taken after `warmUps` calls: the steady state a booth in service sees, with the cold call beside it.
  const t00 = performance.now();
  await fn();
  const firstMs = performance.now() - t00;
  for (let i = 1; i < warmUps; i++) await fn();
  const times: number[] = [], cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
  }
  await detector?.close();
  const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1];
  process.stdout.write(`${JSON.stringify({ ms: med(times), cpuMs: med(cpus), minMs: Math.min(...times), minCpuMs: Math.min(...cpus), firstMs: Math.round(firstMs), baseRssMb: mb(baseRss), peakRssMb: mb(peakRssBytes()), ...extra })}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() as string)) {
  try {
    await main();
  } catch (err) {
    // The parent prints why the stage did not run (e.g. GB_MODEL_INVALID for a model of other inputs).
    const e = err as { code?: string; message?: string };
    process.stdout.write(`${JSON.stringify({ failed: `${e.code ?? 'error'}: ${e.message ?? String(err)}` })}\n`);
  }
}
