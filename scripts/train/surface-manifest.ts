// Manifest and held-out metrics for a trained surface-defect model (scripts/train-surface-model.sh).
//   node --import tsx scripts/train/surface-manifest.ts create   --dir MODEL_DIR --train-json FILE --version V --generator TEXT
//   node --import tsx scripts/train/surface-manifest.ts evaluate --dir MODEL_DIR --data HELD_OUT_DIR [--write]
// `evaluate` runs the runtime detector (src/grading/surface/) on every held-out side written by
// `gradebooth sim dataset --maps` and matches its defects to the simulator's truth.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { surfaceModelClasses } from '../../src/grading/surface/classes.ts';
import { surfaceFeatureSpec } from '../../src/grading/surface/features.ts';
import { loadSurfaceDetector } from '../../src/grading/surface/load.ts';
import { modelManifestFormat, type SurfaceModelManifest } from '../../src/grading/surface/manifest.ts';
import type { SurfaceDefect } from '../../src/grading/types.ts';
import { readSideMaps } from '../../src/sim/export/surface-training-maps.ts';

/** A held-out defect counts as found when a reported defect's centre is within this, mm (issue 11's check). */
const matchRadiusMm = 2.5;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { dir: { type: 'string' }, 'train-json': { type: 'string' }, version: { type: 'string' }, generator: { type: 'string' }, data: { type: 'string' }, write: { type: 'boolean' } },
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
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src/grading/surface', 'src/sim', 'scripts/train'], { encoding: 'utf8' }).trim().length > 0;
  const manifest: SurfaceModelManifest = {
    format: modelManifestFormat,
    name: 'surface-defects',
    version: values.version!,
    task: 'surface-defect-segmentation',
    file: 'model.onnx',
    sha256: createHash('sha256').update(bytes).digest('hex'),
    sizeBytes: bytes.byteLength,
    opset: train.args.opset,
    input: { name: 'features', type: 'float32', layout: 'NCHW', channels: [...surfaceFeatureSpec.channels], umPerPx: 60, multipleOf: 16 },
    output: { name: 'probabilities', type: 'float32', layout: 'NCHW', classes: [...surfaceModelClasses], activation: 'softmax' },
    normalisation: { code: 'src/grading/surface/features.ts', scales: surfaceFeatureSpec.scales, windowsMm: surfaceFeatureSpec.windowsMm, offCard: 0 },
    postprocess: { threshold: 0.5, minAreaMm2: 0.05, minConfidence: 0.6, edgeMarginMm: 0.4, bridgeMm: 0.4, cornerZoneMm: 6 },
    trainingData: { id: train.trainingData.id, generator: values.generator ?? '', sides: train.trainingData.sides, cards: train.trainingData.cards },
    code: { commit: dirty ? `${commit}+uncommitted` : commit, recipe: 'scripts/train-surface-model.sh' },
  };
  (manifest as unknown as Record<string, unknown>).training = { parameters: train.parameters, finalLoss: train.finalLoss, trainSeconds: train.trainSeconds, args: train.args, torch: train.torch, classPixels: train.trainingData.classPixels };
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`wrote ${join(dir, 'manifest.json')}`);
}

interface TruthDefect { kind: string; class: number; centerMm: [number, number]; depthUm: number }

async function evaluate(): Promise<void> {
  const dir = values.dir!;
  const detector = await loadSurfaceDetector(dir);
  const sides = await findSides(values.data!);
  const kinds = surfaceModelClasses.slice(1) as readonly string[];
  const per = Object.fromEntries(kinds.map((k) => [k, { truths: 0, found: 0, foundTyped: 0, reported: 0, reportedTrue: 0 }]));
  let cleanSides = 0, cleanWithReports = 0, foilSides = 0, foilWithFalseReports = 0, falseReports = 0;
  const dentDepth: { truth: number; measured: number }[] = [];
  let inferenceMs = 0;
  for (const s of sides) {
    const meta = JSON.parse(await readFile(join(s, 'maps.json'), 'utf8'));
    const maps = await readSideMaps(s, meta.side);
    const found: SurfaceDefect[] = await detector.detect(maps);
    inferenceMs += detector.lastTimingsMs?.inference ?? 0;
    const truths: TruthDefect[] = meta.defects.filter((d: TruthDefect) => d.class > 0);
    const dist = (a: [number, number], b: [number, number]): number => Math.hypot(a[0] - b[0], a[1] - b[1]);
    for (const t of truths) {
      per[t.kind].truths++;
      const near = found.filter((f) => dist(f.centerMm, t.centerMm) <= matchRadiusMm).sort((a, b) => dist(a.centerMm, t.centerMm) - dist(b.centerMm, t.centerMm));
      if (near.length > 0) {
        per[t.kind].found++;
        if (near.some((f) => f.type === t.kind)) per[t.kind].foundTyped++;
        if (t.kind === 'dent') dentDepth.push({ truth: t.depthUm, measured: (near.find((f) => f.type === 'dent') ?? near[0]).depthUm });
      }
    }
    let falseHere = 0;
    for (const f of found) {
      per[f.type] ??= { truths: 0, found: 0, foundTyped: 0, reported: 0, reportedTrue: 0 };
      per[f.type].reported++;
      if (truths.some((t) => dist(f.centerMm, t.centerMm) <= matchRadiusMm)) per[f.type].reportedTrue++;
      else falseHere++;
    }
    falseReports += falseHere;
    if (meta.clean) { cleanSides++; if (found.length > 0) cleanWithReports++; }
    if (meta.foil) { foilSides++; if (falseHere > 0) foilWithFalseReports++; }
    console.log(`${s}: ${truths.length} true, ${found.length} reported, ${falseHere} false${meta.clean ? ' (clean)' : ''}${meta.foil ? ' (foil)' : ''}`);
  }
  await detector.close();
  const ratio = (a: number, b: number): number | null => (b > 0 ? Math.round((1000 * a) / b) / 1000 : null);
  const perType = Object.fromEntries(Object.entries(per).map(([k, v]) => [k, { ...v, recall: ratio(v.found, v.truths), recallTyped: ratio(v.foundTyped, v.truths), precision: ratio(v.reportedTrue, v.reported) }]));
  const tot = Object.values(per).reduce((a, v) => ({ truths: a.truths + v.truths, found: a.found + v.found, foundTyped: a.foundTyped + v.foundTyped, reported: a.reported + v.reported, reportedTrue: a.reportedTrue + v.reportedTrue }), { truths: 0, found: 0, foundTyped: 0, reported: 0, reportedTrue: 0 });
  const depthOk = dentDepth.filter((d) => Math.abs(d.measured - d.truth) <= Math.max(8, 0.2 * d.truth)).length;
  const metrics = {
    heldOut: { data: values.data, sides: sides.length, cleanSides, foilSides, note: 'seeds disjoint from training; same simulator and reconstruction' },
    matching: `a true defect is found when a reported defect's centre is within ${matchRadiusMm} mm of its centre; a report is true when it is within ${matchRadiusMm} mm of a true defect's centre; recallTyped also needs the right type`,
    overall: { ...tot, recall: ratio(tot.found, tot.truths), recallTyped: ratio(tot.foundTyped, tot.truths), precision: ratio(tot.reportedTrue, tot.reported) },
    perType,
    falseReports,
    cleanSidesWithReports: cleanWithReports,
    foilSidesWithFalseReports: foilWithFalseReports,
    dentDepth: { dents: dentDepth.length, within20PctOr8Um: depthOk, meanAbsErrorUm: dentDepth.length ? Math.round((10 * dentDepth.reduce((a, d) => a + Math.abs(d.measured - d.truth), 0)) / dentDepth.length) / 10 : null },
    meanInferenceMsPerSide: Math.round(inferenceMs / Math.max(1, sides.length)),
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

if (positionals[0] === 'create') await create();
else if (positionals[0] === 'evaluate') await evaluate();
else {
  console.error('usage: surface-manifest.ts create|evaluate (see the header)');
  process.exit(2);
}
