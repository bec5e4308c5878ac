// Manifest and held-out metrics for a trained surface-defect model (scripts/train-surface-model.sh).
//   node --import tsx scripts/train/surface-manifest.ts create   --dir MODEL_DIR --train-json FILE --version V --generator TEXT
//   node --import tsx scripts/train/surface-manifest.ts calibrate --dir MODEL_DIR --data TRAIN_DIR... [--val-every 7] [--calib DIR...] [--write]
//   node --import tsx scripts/train/surface-manifest.ts evaluate --dir MODEL_DIR --data HELD_OUT_DIR... [--write]
// `calibrate` picks the post-processing threshold on the validation cards of the training sets and the
// measured print lines' minimum contrast (src/grading/surface/print-lines.ts).
//   node --import tsx scripts/train/surface-manifest.ts card --dir MODEL_DIR    (MODEL_CARD.md from the manifest)
//   node --import tsx scripts/train/surface-manifest.ts derive --from MODEL_DIR --dir NEW_DIR --version V --by TEXT [--quantization FILE]
// `create` and `derive` take --quantization: the JSON scripts/train/quantize.py qdq --report writes, kept in
// the manifest. `derive` writes the manifest of a model made from another one's network without training
// (NEW_DIR/model.onnx already there: scripts/quantize-surface-model.sh): the source's manifest with this
// file's sha256, version and commit, `derivedFrom`, no metrics (evaluate measures them on this file).
// `evaluate` runs the runtime detector (src/grading/surface/) on every held-out side written by
// `gradebooth sim dataset --maps` and matches its defects to the simulator's truth.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { surfaceModelClasses } from '../../src/grading/surface/classes.ts';
import { surfaceFeatureSpec } from '../../src/grading/surface/features.ts';
import { foldMinAspect, foldMinCurvature, foldMinDepthUm, foldMinLengthMm, foldScaleMm } from '../../src/grading/surface/folds.ts';
import { foldDentMinDepthUm } from '../../src/grading/surface/fold-dents.ts';
import { blockMaxMisfit, blockScratchMinCurvature, blockScratchScaleMm } from '../../src/grading/surface/block-scratches.ts';
import { followMeanProbability, followMinValleyUm, followValleyRatioMax, followValleyShare } from '../../src/grading/surface/scratch-follow.ts';
import { loadSurfaceDetector } from '../../src/grading/surface/load.ts';
import { modelManifestFormat, type SurfaceModelManifest } from '../../src/grading/surface/manifest.ts';
import type { CardSideMaps, SurfaceDefect } from '../../src/grading/types.ts';
import { misfitPlane, surfaceFeaturesAsync } from '../../src/grading/surface/features.ts';
import { defectCandidates, finishCandidates, passesGates, type ProbabilityMap } from '../../src/grading/surface/postprocess.ts';
import { measurePrintLines, printLineDefects, type PrintLineCandidate } from '../../src/grading/surface/print-lines.ts';
import { resampleSideMaps } from '../../src/grading/surface/resample.ts';
import { readSideMaps } from '../../src/sim/export/surface-training-maps.ts';

/** A held-out defect counts as found when a reported defect's centre is within this, mm (issue 11's check). */
const matchRadiusMm = 2.5;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { dir: { type: 'string' }, from: { type: 'string' }, by: { type: 'string' }, quantization: { type: 'string' }, 'train-json': { type: 'string' }, version: { type: 'string' }, generator: { type: 'string' }, data: { type: 'string', multiple: true }, 'val-every': { type: 'string' }, calib: { type: 'string', multiple: true }, write: { type: 'boolean' } },
});

async function findSides(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = join(d, e.name);
      if (e.name === 'maps' && (await stat(join(p, 'maps.json')).catch(() => undefined))) out.push(p);
      else await walk(p);
    }
  };
  await walk(root);
  return out.sort();
}

async function create(): Promise<void> {
  const dir = values.dir!;
  const train = JSON.parse(await readFile(values['train-json']!, 'utf8'));
  const bytes = await readFile(join(dir, 'model.onnx'));
  // How the graph's input and output are laid out (surface.py writes it; runs before 1.3 had none: plain).
  const io: { inputBlockPx: number; outputBlockPx: number; output: string; activation: 'softmax' | 'logits' } = train.io ?? { inputBlockPx: 1, outputBlockPx: 1, output: 'probabilities', activation: 'softmax' };
  if (io.inputBlockPx !== io.outputBlockPx) throw new Error(`${values['train-json']}: input block ${io.inputBlockPx} ≠ output block ${io.outputBlockPx}`);
  const block = io.inputBlockPx;
  const manifest: SurfaceModelManifest = {
    format: modelManifestFormat,
    name: 'surface-defects',
    version: values.version!,
    task: 'surface-defect-segmentation',
    file: 'model.onnx',
    sha256: createHash('sha256').update(bytes).digest('hex'),
    sizeBytes: bytes.byteLength,
    opset: train.args.opset,
    input: { name: 'features', type: 'float32', layout: 'NCHW', channels: [...surfaceFeatureSpec.channels], umPerPx: 60, multipleOf: 16, ...(block > 1 ? { blockPx: block } : {}) },
    output: { name: io.output, type: 'float32', layout: 'NCHW', classes: [...surfaceModelClasses], activation: io.activation, ...(block > 1 ? { blockPx: block } : {}) },
    normalisation: { code: 'src/grading/surface/features.ts', scales: surfaceFeatureSpec.scales, windowsMm: surfaceFeatureSpec.windowsMm, offCard: 0 },
    postprocess: { threshold: 0.5, minAreaMm2: 0.05, minConfidence: 0.6, edgeMarginMm: 0.4, bridgeMm: 0.4, cornerZoneMm: 6 },
    trainingData: { id: train.trainingData.id, generator: values.generator ?? '', sides: train.trainingData.sides, cards: train.trainingData.cards },
    code: { commit: codeCommit(), recipe: 'scripts/train-surface-model.sh' },
  };
  // The run's folders are this machine's: the manifest keeps their names only (the generator says what they hold).
  const args = { ...train.args, data: (train.args.data as string[]).map((d) => basename(d)) };
  delete args.out;
  (manifest as unknown as Record<string, unknown>).training = { parameters: train.parameters, stepsRun: train.stepsRun, finalLoss: train.finalLoss, trainSeconds: train.trainSeconds, args, torch: train.torch, classWeights: train.classWeights, classPixels: train.trainingData.classPixels, validationSides: train.trainingData.validationSides, validationPixels: train.validation };
  if (values.quantization) manifest.quantization = JSON.parse(await readFile(values.quantization, 'utf8'));
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`wrote ${join(dir, 'manifest.json')}`);
}

/** The commit the scripts run at, "+uncommitted" when the grading, simulator or recipe code has changes. */
function codeCommit(): string {
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src/grading/surface', 'src/sim', 'scripts/train'], { encoding: 'utf8' }).trim().length > 0;
  return dirty ? `${commit}+uncommitted` : commit;
}

async function derive(): Promise<void> {
  const from = values.from!, dir = values.dir!;
  if (!from || !dir || !values.version || !values.by) throw new Error('derive needs --from, --dir, --version and --by');
  const source = JSON.parse(await readFile(join(from, 'manifest.json'), 'utf8')) as SurfaceModelManifest & Record<string, unknown>;
  const bytes = await readFile(join(dir, 'model.onnx'));
  const manifest: SurfaceModelManifest & Record<string, unknown> = {
    ...source,
    version: values.version,
    file: 'model.onnx',
    sha256: createHash('sha256').update(bytes).digest('hex'),
    sizeBytes: bytes.byteLength,
    derivedFrom: { version: source.version, sha256: source.sha256, by: values.by, commit: codeCommit() },
  };
  delete manifest.metrics;
  if (values.quantization) manifest.quantization = JSON.parse(await readFile(values.quantization, 'utf8'));
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`wrote ${join(dir, 'manifest.json')} (from ${source.name} ${source.version})`);
}

interface TruthDefect { kind: string; class: number; centerMm: [number, number]; depthUm: number }

/** One side's data for scoring: its truth (from maps.json) and what it is (clean, foil, lights). */
interface SideCase { path: string; meta: { side: 'front' | 'back'; seed: number; clean: boolean; foil: boolean; distantLights?: boolean; defects: TruthDefect[] } }

interface TypeCounts { truths: number; found: number; foundTyped: number; reported: number; reportedTrue: number }

/** Counts of a set of sides' detections against their truth (issue 11's matching: centres within 2.5 mm). */
class Scorer {
  readonly per: Record<string, TypeCounts> = Object.fromEntries((surfaceModelClasses.slice(1) as readonly string[]).map((k) => [k, { truths: 0, found: 0, foundTyped: 0, reported: 0, reportedTrue: 0 }]));
  sides = 0; cleanSides = 0; cleanWithReports = 0; foilSides = 0; foilWithFalseReports = 0; falseReports = 0; distantSides = 0;
  readonly dentDepth: { truth: number; measured: number }[] = [];

  add(c: SideCase, found: SurfaceDefect[]): number {
    const { meta } = c;
    this.sides++;
    if (meta.distantLights) this.distantSides++;
    const truths = meta.defects.filter((d) => d.class > 0);
    const dist = (a: [number, number], b: [number, number]): number => Math.hypot(a[0] - b[0], a[1] - b[1]);
    for (const t of truths) {
      this.per[t.kind].truths++;
      const near = found.filter((f) => dist(f.centerMm, t.centerMm) <= matchRadiusMm).sort((a, b) => dist(a.centerMm, t.centerMm) - dist(b.centerMm, t.centerMm));
      if (near.length > 0) {
        this.per[t.kind].found++;
        if (near.some((f) => f.type === t.kind)) this.per[t.kind].foundTyped++;
        if (t.kind === 'dent') this.dentDepth.push({ truth: t.depthUm, measured: (near.find((f) => f.type === 'dent') ?? near[0]).depthUm });
      }
    }
    let falseHere = 0;
    for (const f of found) {
      this.per[f.type] ??= { truths: 0, found: 0, foundTyped: 0, reported: 0, reportedTrue: 0 };
      this.per[f.type].reported++;
      if (truths.some((t) => dist(f.centerMm, t.centerMm) <= matchRadiusMm)) this.per[f.type].reportedTrue++;
      else falseHere++;
    }
    this.falseReports += falseHere;
    if (meta.clean) { this.cleanSides++; if (found.length > 0) this.cleanWithReports++; }
    if (meta.foil) { this.foilSides++; if (falseHere > 0) this.foilWithFalseReports++; }
    return falseHere;
  }

  total(): TypeCounts {
    return Object.values(this.per).reduce((a, v) => ({ truths: a.truths + v.truths, found: a.found + v.found, foundTyped: a.foundTyped + v.foundTyped, reported: a.reported + v.reported, reportedTrue: a.reportedTrue + v.reportedTrue }), { truths: 0, found: 0, foundTyped: 0, reported: 0, reportedTrue: 0 });
  }
}

const ratio = (a: number, b: number): number | null => (b > 0 ? Math.round((1000 * a) / b) / 1000 : null);

async function sideCases(roots: string[], filter: (seed: number) => boolean): Promise<SideCase[]> {
  const out: SideCase[] = [];
  for (const root of roots) {
    for (const path of await findSides(root)) {
      const meta = JSON.parse(await readFile(join(path, 'maps.json'), 'utf8'));
      if (filter(meta.seed)) out.push({ path, meta });
    }
  }
  return out;
}

/**
 * Choose the post-processing threshold, minimum area, foil gates (maxPixelMisfit, maxReliefMisfit, maxReliefDepthUm), the
 * dents' minimum depth (minDentDepthUm) and whether a scratch's pieces are joined (joinLinearGapMm) on the validation cards
 * (training seeds that are multiples of --val-every, never trained on). Among the points whose F1 of
 * defect-level recall and precision is within 0.02 of the best, the fewest clean or foil sides with a false
 * report, then the better F1, then the higher threshold: a booth that reports a dent on every holo card is
 * worse than one that misses a rare defect, but not at any cost in recall (putting the clean/foil sides
 * strictly first chose threshold 0.95 at 1.6 % recall for model 1.1.0-r3). Every point is printed. The
 * held-out set is not looked at.
 */
async function calibrate(): Promise<void> {
  const dir = values.dir!;
  const every = Number(values['val-every'] ?? 7);
  // The validation split of the training sets and, with --calib, whole sets made for calibration alone.
  const cases = [...(await sideCases(values.data ?? [], (seed) => seed % every === 0)), ...(await sideCases(values.calib ?? [], () => true))];
  if (cases.length === 0) throw new Error('calibrate: no validation sides (seed % --val-every == 0) in --data and no --calib sides');
  const detector = await loadSurfaceDetector(dir);
  const prepared: { c: SideCase; maps: CardSideMaps; small: CardSideMaps; probs: ProbabilityMap; mask: Uint8Array; misfit: Float32Array }[] = [];
  for (const c of cases) {
    const maps = await readSideMaps(c.path, c.meta.side);
    const small = resampleSideMaps(maps, detector.manifest.input.umPerPx);
    const features = await surfaceFeaturesAsync(small);
    const probs = await detector.probabilities(features, small.widthPx, small.heightPx);
    prepared.push({ c, maps, small, probs, mask: small.mask, misfit: misfitPlane(features, small.widthPx, small.heightPx) });
  }
  await detector.close();
  const { maxPixelMisfit: _previousPixelGate, maxReliefMisfit: _previousGate, maxReliefDepthUm: _previousDepth, minDentDepthUm: _previousMinDepth, joinLinearGapMm: _previousJoin, printLineMinContrast: _previousLines, ...base } = detector.manifest.postprocess;
  type Point = { threshold: number; maxPixelMisfit: number | null; minAreaMm2: number; maxReliefMisfit: number | null; maxReliefDepthUm: number | null; minDentDepthUm: number | null; joinLinearGapMm: number | null; recall: number; precision: number; f1: number; cleanWithReports: number; foilWithFalseReports: number };
  const results: Point[] = [];
  const areas = [0.15, 0.3, 0.6, 1.0];
  const gates = [null, 0.6, 0.5, 0.45, 0.4, 0.35, 0.3];
  // Card thicknesses (GRADING.md: TCG ~300 µm, sports ~500 µm), not fitted values.
  const depthGates = [null, 300, 500];
  // Dents shallower than the relief's few-µm noise, or not gated.
  const minDepthGates = [null, 5, 10];
  // A scratch's pieces joined across gaps up to 10 mm (fragments.ts), or not joined.
  const joins = [null, 10];
  // Relief-kind pixels of a higher misfit than this taken out before the components are formed, or none.
  const pixelGates = [null, 0.8, 0.6];
  for (const [threshold, maxPixelMisfit] of [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95].flatMap((th) => pixelGates.map((g) => [th, g] as const))) {
    // Components measured once per threshold and pixel gate (at the smallest area), joined or not, then every area and gate tried on them.
    const measured = prepared.map((p) => defectCandidates(p.probs, p.maps, p.mask, { ...base, threshold, minConfidence: threshold, minAreaMm2: areas[0], ...(maxPixelMisfit === null ? {} : { maxPixelMisfit }) }, p.misfit));
    for (const joinLinearGapMm of joins) {
      const candidates = measured.map((c, i) => finishCandidates(c, prepared[i].maps, prepared[i].probs.umPerPx, base.cornerZoneMm, joinLinearGapMm ?? undefined));
      for (const minAreaMm2 of areas) {
        for (const [maxReliefMisfit, maxReliefDepthUm, minDentDepthUm] of gates.flatMap((g) => depthGates.flatMap((d) => minDepthGates.map((m) => [g, d, m] as const)))) {
          const pp = { ...base, threshold, minConfidence: threshold, minAreaMm2, ...(maxReliefMisfit === null ? {} : { maxReliefMisfit }), ...(maxReliefDepthUm === null ? {} : { maxReliefDepthUm }), ...(minDentDepthUm === null ? {} : { minDentDepthUm }) };
          const sc = new Scorer();
          prepared.forEach((p, i) => sc.add(p.c, candidates[i].filter((c) => passesGates(c, pp)).map((c) => c.defect)));
          const tot = sc.total();
          const recall = tot.truths ? tot.found / tot.truths : 0, precision = tot.reported ? tot.reportedTrue / tot.reported : 0;
          const f1 = recall + precision > 0 ? (2 * recall * precision) / (recall + precision) : 0;
          results.push({ threshold, maxPixelMisfit, minAreaMm2, maxReliefMisfit, maxReliefDepthUm, minDentDepthUm, joinLinearGapMm, recall: +recall.toFixed(3), precision: +precision.toFixed(3), f1: +f1.toFixed(4), cleanWithReports: sc.cleanWithReports, foilWithFalseReports: sc.foilWithFalseReports });
          console.log(JSON.stringify(results[results.length - 1]));
        }
      }
    }
  }
  const bestF1 = Math.max(...results.map((r) => r.f1));
  const bad = (r: Point): number => r.cleanWithReports + r.foilWithFalseReports;
  const better = (r: Point, a: Point): boolean =>
    bad(r) < bad(a) || (bad(r) === bad(a) && (r.f1 > a.f1 + 1e-9 || (Math.abs(r.f1 - a.f1) <= 1e-9 && r.threshold > a.threshold)));
  const best = results.filter((r) => r.f1 >= bestF1 - 0.02).reduce((a, r) => (better(r, a) ? r : a));
  console.log(`chosen on ${cases.length} validation sides: ${JSON.stringify(best)}`);
  const lines = calibratePrintLines(prepared, base);
  console.log(`print lines chosen on ${cases.length} validation sides: ${JSON.stringify(lines.chosen)}`);
  if (values.write) {
    const path = join(dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(path, 'utf8'));
    manifest.postprocess = { ...base, threshold: best.threshold, minConfidence: best.threshold, minAreaMm2: best.minAreaMm2, ...(best.maxPixelMisfit === null ? {} : { maxPixelMisfit: best.maxPixelMisfit }), ...(best.maxReliefMisfit === null ? {} : { maxReliefMisfit: best.maxReliefMisfit }), ...(best.maxReliefDepthUm === null ? {} : { maxReliefDepthUm: best.maxReliefDepthUm }), ...(best.minDentDepthUm === null ? {} : { minDentDepthUm: best.minDentDepthUm }), ...(best.joinLinearGapMm === null ? {} : { joinLinearGapMm: best.joinLinearGapMm }), printLineMinContrast: lines.chosen.minContrast };
    const calibSets = (values.calib ?? []).map((d) => basename(d));
    manifest.calibration = { data: `validation split: training-set cards whose seed is a multiple of ${every} (not trained on)${calibSets.length ? `; calibration sets (never trained on, disjoint from the held-out cards): ${calibSets.join(', ')}` : ''}`, sides: cases.length, criterion: 'among points with an F1 of defect-level recall and precision (centres within 2.5 mm) within 0.02 of the best: fewest clean or foil sides with a false report, then best F1, then higher threshold', chosen: best, printLines: lines };
    // The manifest changed, not the model: sha256 is of model.onnx only.
    await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(`postprocess written to ${path}`);
  }
}

/** The print-line thresholds tried (relative albedo contrast; log-spaced, the measured lines' 0.02–0.14 and noise's ~0 between). */
const printLineGrid = [0.0005, 0.001, 0.002, 0.003, 0.005, 0.007, 0.01, 0.015, 0.02, 0.03];

/**
 * Choose postprocess.printLineMinContrast on the validation sides: the lines are measured once at the
 * grid's lowest contrast, then every threshold is scored on the print lines alone (the network's other
 * defects do not change with it). Among the thresholds with the best print-line F1 and, among those, the
 * fewest clean or foil sides with a false line, the geometric middle of the lowest and highest of them
 * (snapped to the grid): the widest margin on both sides, where 'higher threshold' would sit next to the
 * faintest true line. Every point is printed.
 */
function calibratePrintLines(prepared: { c: SideCase; maps: CardSideMaps; small: CardSideMaps }[], base: SurfaceModelManifest['postprocess']) {
  const measured = prepared.map((p) => {
    const found = measurePrintLines(p.small, { minContrast: printLineGrid[0], edgeMarginMm: base.edgeMarginMm });
    return { p, found, defects: printLineDefects(found, p.small, p.maps, base.cornerZoneMm) };
  });
  type Point = { minContrast: number; truths: number; found: number; reported: number; reportedTrue: number; recall: number; precision: number; f1: number; cleanOrFoilWithFalseLines: number };
  const points: Point[] = [];
  for (const minContrast of printLineGrid) {
    const sc = new Scorer();
    let bad = 0;
    for (const m of measured) {
      const keep = m.defects.filter((_, k) => Math.abs((m.found[k] as PrintLineCandidate).score) >= minContrast);
      // Scored on the print-line truths only: the other kinds are the network's.
      const falseHere = sc.add({ ...m.p.c, meta: { ...m.p.c.meta, defects: m.p.c.meta.defects.filter((d) => d.kind === 'print-line') } }, keep);
      if ((m.p.c.meta.clean || m.p.c.meta.foil) && falseHere > 0) bad++;
    }
    const t = sc.per['print-line'];
    const recall = t.truths ? t.found / t.truths : 0, precision = t.reported ? t.reportedTrue / t.reported : 0;
    const f1 = recall + precision > 0 ? (2 * recall * precision) / (recall + precision) : 0;
    points.push({ minContrast, truths: t.truths, found: t.found, reported: t.reported, reportedTrue: t.reportedTrue, recall: +recall.toFixed(3), precision: +precision.toFixed(3), f1: +f1.toFixed(4), cleanOrFoilWithFalseLines: bad });
    console.log(JSON.stringify(points[points.length - 1]));
  }
  const bestF1 = Math.max(...points.map((p) => p.f1));
  const top = points.filter((p) => p.f1 >= bestF1 - 1e-9);
  const fewest = Math.min(...top.map((p) => p.cleanOrFoilWithFalseLines));
  const tied = top.filter((p) => p.cleanOrFoilWithFalseLines === fewest);
  const middle = Math.sqrt(tied[0].minContrast * tied[tied.length - 1].minContrast);
  const chosen = tied.reduce((a, p) => (Math.abs(Math.log(p.minContrast / middle)) < Math.abs(Math.log(a.minContrast / middle)) ? p : a));
  // The faintest true line and the strongest false one on the validation sides: the margin the choice sits in.
  const dist = (a: [number, number], b: [number, number]): number => Math.hypot(a[0] - b[0], a[1] - b[1]);
  let faintestTrue = Infinity, strongestFalse = 0;
  for (const m of measured) {
    m.defects.forEach((d, k) => {
      const score = Math.abs(m.found[k].score);
      if (m.p.c.meta.defects.some((t) => t.kind === 'print-line' && dist(d.centerMm, t.centerMm) <= matchRadiusMm)) faintestTrue = Math.min(faintestTrue, score);
      else strongestFalse = Math.max(strongestFalse, score);
    });
  }
  return {
    criterion: 'best print-line F1 (centres within 2.5 mm), then fewest clean or foil sides with a false line, then the geometric middle of the thresholds left',
    grid: printLineGrid,
    faintestTrueScore: Number.isFinite(faintestTrue) ? +faintestTrue.toFixed(4) : null,
    strongestFalseScore: +strongestFalse.toFixed(4),
    chosen,
  };
}

async function evaluate(): Promise<void> {
  const dir = values.dir!;
  const detector = await loadSurfaceDetector(dir);
  const cases = await sideCases(values.data ?? [], () => true);
  const sc = new Scorer();
  let inferenceMs = 0;
  for (const c of cases) {
    const maps = await readSideMaps(c.path, c.meta.side);
    const found: SurfaceDefect[] = await detector.detect(maps);
    inferenceMs += detector.lastTimingsMs?.inference ?? 0;
    const falseHere = sc.add(c, found);
    const truths = c.meta.defects.filter((d) => d.class > 0).length;
    console.log(`${c.path}: ${truths} true, ${found.length} reported, ${falseHere} false${c.meta.clean ? ' (clean)' : ''}${c.meta.foil ? ' (foil)' : ''}${c.meta.distantLights ? ' (distant lights)' : ''}`);
  }
  await detector.close();
  const perType = Object.fromEntries(Object.entries(sc.per).map(([k, v]) => [k, { ...v, recall: ratio(v.found, v.truths), recallTyped: ratio(v.foundTyped, v.truths), precision: ratio(v.reportedTrue, v.reported) }]));
  const tot = sc.total();
  const depthOk = sc.dentDepth.filter((d) => Math.abs(d.measured - d.truth) <= Math.max(8, 0.2 * d.truth)).length;
  const metrics = {
    heldOut: { data: (values.data ?? []).map((d) => basename(d)), sides: sc.sides, distantLightSides: sc.distantSides, cleanSides: sc.cleanSides, foilSides: sc.foilSides, note: 'seeds disjoint from training and validation; same simulator and reconstruction' },
    matching: `a true defect is found when a reported defect's centre is within ${matchRadiusMm} mm of its centre; a report is true when it is within ${matchRadiusMm} mm of a true defect's centre; recallTyped also needs the right type`,
    overall: { ...tot, recall: ratio(tot.found, tot.truths), recallTyped: ratio(tot.foundTyped, tot.truths), precision: ratio(tot.reportedTrue, tot.reported) },
    perType,
    falseReports: sc.falseReports,
    cleanSidesWithReports: sc.cleanWithReports,
    foilSidesWithFalseReports: sc.foilWithFalseReports,
    dentDepth: { dents: sc.dentDepth.length, within20PctOr8Um: depthOk, meanAbsErrorUm: sc.dentDepth.length ? Math.round((10 * sc.dentDepth.reduce((a, d) => a + Math.abs(d.measured - d.truth), 0)) / sc.dentDepth.length) / 10 : null },
    meanInferenceMsPerSide: Math.round(inferenceMs / Math.max(1, sc.sides)),
  };
  console.log(JSON.stringify(metrics, null, 2));
  if (values.write) {
    const path = join(dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(path, 'utf8'));
    manifest.metrics = metrics;
    await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(`metrics written to ${path}`);
  }
}

/** MODEL_CARD.md from the manifest (what, input/output, data, recipe, calibration, held-out metrics, limits). */
async function modelCard(): Promise<void> {
  const dir = values.dir!;
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  const tr = m.training ?? {};
  const met = m.metrics;
  const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `${(100 * v).toFixed(1)} %`);
  const rows = met ? Object.entries(met.perType as Record<string, { truths: number; found: number; foundTyped: number; reported: number; reportedTrue: number; recall: number | null; recallTyped: number | null; precision: number | null }>)
    .map(([k, v]) => `| ${k} | ${v.truths} | ${v.found} | ${pct(v.recall)} | ${pct(v.recallTyped)} | ${v.reported} | ${pct(v.precision)} |`).join('\n') : '';
  const block: number = m.input.blockPx ?? 1;
  const text = `# ${m.name} ${m.version}

- **What**: a compact U-Net${block > 1 ? ` on ${block}×${block} pixel blocks` : ''} (${tr.parameters ?? '?'} parameters, width ${tr.args?.width ?? '?'}, ONNX opset ${m.opset}, ${(m.sizeBytes / 1024).toFixed(0)} KB) that
  labels every pixel of a reconstructed card side as ${m.output.classes.join(', ')}.
- **Input**: \`${m.input.name}\` [N, ${m.input.channels.length * block * block}, H${block > 1 ? `/${block}` : ''}, W${block > 1 ? `/${block}` : ''}] float32 at ${m.input.umPerPx} µm/px on the canonical card frame (H, W multiples of ${m.input.multipleOf}):
  ${m.input.channels.join(', ')} — deviations from their local means, asinh-compressed, computed by \`${m.normalisation.code}\`
  (the manifest's \`normalisation\` must match it or the model is refused)${block > 1 ? `, packed space-to-depth (channel c of pixel (${block}y + dy, ${block}x + dx) at c·${block * block} + dy·${block} + dx)` : ''}.
  **Output**: \`${m.output.name}\` [N, ${m.output.classes.length * block * block}, H${block > 1 ? `/${block}` : ''}, W${block > 1 ? `/${block}` : ''}], ${m.output.activation === 'logits' ? `logits${block > 1 ? ' packed the same way' : ''}; the detector applies the softmax` : 'softmax'}.
- **Training data** (id \`${m.trainingData.id.slice(0, 16)}…\`, ${m.trainingData.sides} sides of ${m.trainingData.cards} cards): \`${m.trainingData.generator}\`.
  Near-field booth LEDs and distant lights (as \`gradebooth grade --input\` folders have), photometric stereo by the booth's own code,
  every 2nd training card holo foil (every 3rd held out), every 5th clean, exposure 0.45–1.25× and gloss α 0.03–0.13 varied; on the tiles: flips/transposes
  with the slopes turned along, slope/relief gain and noise.
${m.derivedFrom ? `- **Derived from** ${m.derivedFrom.version} (sha256 \`${String(m.derivedFrom.sha256).slice(0, 16)}…\`): ${m.derivedFrom.by}. Training, calibration and data are ${m.derivedFrom.version}'s; the held-out metrics below were measured again on this file.\n` : ''}${m.quantization ? `- **Quantized** (\`${m.quantization.tool}\`): ${m.quantization.scheme}; ${m.quantization.quantizedConvolutions} convolutions in 8 bits, ${m.quantization.floatConvolutions} in float. Activation ranges from ${m.quantization.calibration?.tiles ?? '?'} tiles of ${m.quantization.calibration?.sides ?? '?'} training sides (${(m.quantization.calibration?.cards ?? []).join(', ')}; ${m.quantization.calibration?.rule ?? '—'}). The float network: sha256 \`${String(m.quantization.floatSha256).slice(0, 16)}…\`. Input and output stay float32.\n` : ''}- **Recipe**: \`bash ${m.code.recipe} ${m.derivedFrom ? m.derivedFrom.version : m.version}\` at commit \`${m.code.commit}\`: ${tr.stepsRun ?? '?'} steps of ${tr.args?.batch ?? '?'} tiles of ${tr.args?.tile ?? '?'} px,
  AdamW, warm-up + cosine, class weights ${JSON.stringify(tr.classWeights ?? [])}, seed ${tr.args?.seed ?? '?'}, CPU, ${Math.round((tr.trainSeconds ?? 0) / 60)} min.
- **Calibration**: threshold ${m.postprocess.threshold}, minimum area ${m.postprocess.minAreaMm2} mm² and ${m.postprocess.maxReliefMisfit === undefined ? 'no misfit gate' : `misfit gate ${m.postprocess.maxReliefMisfit} (relief defects of a higher mean photometric-stereo misfit dropped)`} and ${m.postprocess.maxReliefDepthUm === undefined ? 'no depth gate' : `depth gate ${m.postprocess.maxReliefDepthUm} µm (relief defects measured deeper than a card is thick dropped)`},
  ${m.postprocess.maxPixelMisfit === undefined ? 'no pixel misfit gate' : `pixel misfit gate ${m.postprocess.maxPixelMisfit} (relief-kind pixels the photometric fit does not explain taken out before the components)`},
  ${m.postprocess.minDentDepthUm === undefined ? 'no minimum dent depth' : `minimum dent depth ${m.postprocess.minDentDepthUm} µm (dents and creases the relief does not show dropped)`} and ${m.postprocess.joinLinearGapMm === undefined ? 'pieces of a scratch not joined' : `pieces of one scratch or crease joined across gaps up to ${m.postprocess.joinLinearGapMm} mm`} chosen on ${m.calibration?.sides ?? '?'} validation sides
  (${m.calibration?.data ?? '—'}) ${m.calibration?.override ? 'on the grid of' : 'by'} the rule "${m.calibration?.criterion ?? '—'}"; there recall ${pct(m.calibration?.chosen?.recall)}, precision ${pct(m.calibration?.chosen?.precision)}.
${m.calibration?.override ? `  **Not the rule's pick** (threshold ${m.calibration.override.rulePick?.threshold}, area ${m.calibration.override.rulePick?.minAreaMm2} mm², recall ${pct(m.calibration.override.rulePick?.recall)}, precision ${pct(m.calibration.override.rulePick?.precision)}): ${m.calibration.override.why}\n` : ''}${m.postprocess.printLineMinContrast === undefined ? '' : `- **Print lines** are measured beside the network, not learned (\`src/grading/surface/print-lines.ts\`: a narrow albedo ridge along a whole
  column or row of the card, or up to 0.5° off it, both ends included): minimum contrast ${m.postprocess.printLineMinContrast} chosen on the same validation sides by the rule
  "${m.calibration?.printLines?.criterion ?? '—'}" (faintest true line there ${m.calibration?.printLines?.faintestTrueScore ?? '—'}, strongest false one ${m.calibration?.printLines?.strongestFalseScore ?? '—'};
  recall ${pct(m.calibration?.printLines?.chosen?.recall)}, precision ${pct(m.calibration?.printLines?.chosen?.precision)} on ${m.calibration?.printLines?.chosen?.truths ?? '?'} lines); the network's own print-line reports on a measured line are dropped.
`}- **Folds** are measured beside the network too (\`src/grading/surface/folds.ts\`, fixed in the code, not calibrated): straight valleys of the relief
  smoothed at ${foldScaleMm} mm (curvature across ≥ ${foldMinCurvature} µm/mm², straight along), at least ${foldMinLengthMm} mm long, ${foldMinAspect} × as long as wide and
  ${foldMinDepthUm} µm deep; a measured fold replaces the network's dents and creases on its line, and a network scratch on it stays a scratch.
  A dent beside a fold is measured in the relief less the fold's cross-section (\`fold-dents.ts\`, ≥ ${foldDentMinDepthUm} µm, round).
- **Also fixed in the code, not calibrated**: a network component of another type at least 10 mm long that holds a scratch is split
  by class (\`hidden-scratches.ts\`); where the relief was solved on blocks over a holo foil (\`CardSideMaps.blockSolved\`), scratches are
  measured as valleys at ${blockScratchScaleMm} mm (curvature ≥ ${blockScratchMinCurvature} µm/mm², \`block-scratches.ts\`) in regions whose blocks fit (median misfit ≤ ${blockMaxMisfit}),
  and a network scratch inside such a region is exempt from the misfit gate. The held-out maps below have no block-solved region.
  Each network scratch is followed beyond its ends along its line (\`scratch-follow.ts\`) while the defect probability over the last
  millimetre stays ≥ ${followMeanProbability}, to the last point at the threshold where the scratch is the likeliest class (across a crease only to where it is a scratch again),
  then on along its straight line while its groove in the relief (the relief 0.5–0.7 mm to either side less the line's) stays, as a median over the last millimetre,
  ${followValleyShare}–${followValleyRatioMax} × the piece's own (pieces whose groove is ≥ ${followMinValleyUm} µm), also where the photometric stereo fits poorly.
${met ? `- **Held-out metrics** (${met.heldOut.sides} sides, ${met.heldOut.distantLightSides} with distant lights, ${met.heldOut.cleanSides} clean, ${met.heldOut.foilSides} foil; ${met.heldOut.data.join(', ')}; ${met.matching}):
  overall recall ${pct(met.overall.recall)} (right type ${pct(met.overall.recallTyped)}), precision ${pct(met.overall.precision)};
  clean sides with any report: ${met.cleanSidesWithReports} of ${met.heldOut.cleanSides}; foil sides with a false report: ${met.foilSidesWithFalseReports} of ${met.heldOut.foilSides};
  dents with depth within 20 % or 8 µm: ${met.dentDepth.within20PctOr8Um} of ${met.dentDepth.dents}.

| type | true | found | recall | recall (right type) | reported | precision |
|---|---|---|---|---|---|---|
${rows}
` : '- **Held-out metrics**: not measured.\n'}
- **Limits**: trained and tested only on this project's simulator and reconstruction; indentation, roller mark and print spot
  have no training data; issue 11's target is ≥ 95 % recall at ≥ 95 % precision per type — compare the table above.
`;
  await writeFile(join(dir, 'MODEL_CARD.md'), text);
  console.log(`wrote ${join(dir, 'MODEL_CARD.md')}`);
}

if (positionals[0] === 'create') await create();
else if (positionals[0] === 'calibrate') await calibrate();
else if (positionals[0] === 'evaluate') await evaluate();
else if (positionals[0] === 'card') await modelCard();
else if (positionals[0] === 'derive') await derive();
else {
  console.error('usage: surface-manifest.ts create|calibrate|evaluate|card|derive (see the header)');
  process.exit(2);
}
