import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { boothCalibrationOf, calibratedLights, type FlatData, type LightsData, type ScaleData } from '../calibration/booth-calibration.ts';
import { fullScaleDn } from '../capture/exposure.ts';
import { createError } from '../core/errors.ts';
import { classOfSimDefectKind } from '../grading/surface/classes.ts';
import type { CardSideMaps } from '../grading/types.ts';
import { decodePng } from '../imaging/png.ts';
import { writeFolderAtomic } from '../storage/atomic-write.ts';
import { trainingMarginPx, writeSideMapsFiles } from '../sim/export/surface-training-maps.ts';
import { extensionOf } from './dataset-export.ts';
import type { DatasetDefectLabel, DatasetManifest } from '../sync/dataset-manifest.ts';
import { reconstructSide } from '../vision/side.ts';

// A field dataset (one folder `gradebooth fleet datasets --out` wrote) as training input: the side is
// reconstructed again from its frames and the booth's own calibration records (dark-subtracted planes,
// calibrated near-field lights at the card's height, the booth's scale), the way the scan's reconstruct stage
// does (src/scan/scan.ts), because the model's input includes the PS confidence (ps-misfit) that the stored
// maps do not carry. It is written as the same <card>/<side>/maps/ files `sim dataset --maps` writes.

/** The labels.json `fleet datasets --out` writes beside manifest.json. */
interface ExportedLabels {
  datasetId: string;
  boothId: string;
  barcode: string | null;
  side: 'front' | 'back';
  defects: DatasetDefectLabel[];
  overrides: Array<Record<string, unknown>>;
}

/** What happened to one exported dataset folder. */
export interface FieldConversion {
  dir: string;
  datasetId: string;
  /** Where the maps were written (absent when the side is excluded). */
  out?: string;
  /** Why the side is not training input (an operator reported a defect the machine missed). */
  excluded?: string;
  labelledDefects: number;
}

const bad = (dir: string, message: string): Error => createError('GB_DATASET_INVALID', `${dir}: ${message}`);

async function readJson<T>(dir: string, name: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(join(dir, name), 'utf8');
  } catch {
    throw bad(dir, `no ${name}: not a folder written by \`gradebooth fleet datasets --out\``);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw bad(dir, `${name} is not JSON (${(err as Error).message})`);
  }
}

/** A file of the dataset, checked against the sha256 its manifest lists (a damaged copy is refused). */
async function datasetFile(dir: string, m: DatasetManifest, name: string): Promise<Buffer> {
  const f = m.files.find((x) => x.name === name);
  if (!f) throw bad(dir, `the manifest lists no ${name}`);
  const ext = extensionOf[f.mediaType] ?? '';
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, `${name}${ext}`));
  } catch {
    throw bad(dir, `${name}${ext} is missing`);
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== f.sha256) throw bad(dir, `${name}${ext} is damaged: sha256 ${sha}, the manifest says ${f.sha256}; export the dataset again`);
  return bytes;
}

/**
 * Per-pixel classes from the side's defect labels (card mm: origin at the card centre, x right, y up) on the
 * canonical frame with `marginPx` of background. A label has a length and a width but no direction, so each
 * defect is a disc of its length as diameter (at least 3 px): it covers the defect whichever way it runs, and
 * over-covers thin ones — the honest extent of what the label says.
 */
export function rasteriseDefectLabels(defects: readonly DatasetDefectLabel[], widthPx: number, heightPx: number, umPerPx: number, marginPx: number): Uint8Array {
  const out = new Uint8Array(widthPx * heightPx);
  const s = umPerPx / 1000;
  const cardW = (widthPx - 2 * marginPx) * s;
  const cardH = (heightPx - 2 * marginPx) * s;
  for (const d of defects) {
    const cls = classOfSimDefectKind(d.kind);
    if (cls === 0) continue;
    const cx = (d.xMm + cardW / 2) / s + marginPx - 0.5;
    const cy = (cardH / 2 - d.yMm) / s + marginPx - 0.5;
    const r = Math.max(1.5, Math.max(d.lengthMm ?? 0, d.widthMm ?? 0) / s / 2);
    for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(heightPx - 1, Math.ceil(cy + r)); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(widthPx - 1, Math.ceil(cx + r)); x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) continue;
        const i = y * widthPx + x;
        // Relief classes win over albedo-only ones where labels overlap, as in the simulator's labels.
        if (out[i] === 0 || cls < out[i]) out[i] = cls;
      }
    }
  }
  return out;
}

/** Reconstruct the side of an exported dataset folder from its frames and calibration records. */
export async function reconstructExportedSide(dir: string, m: DatasetManifest): Promise<CardSideMaps> {
  const cal = async <T>(p: string): Promise<T> => {
    const doc = JSON.parse((await datasetFile(dir, m, `calibration/${p}`)).toString('utf8')) as { data?: T };
    if (!doc.data) throw bad(dir, `calibration/${p}.json has no data`);
    return doc.data;
  };
  const calibration = boothCalibrationOf(await cal<FlatData>('flat'), await cal<LightsData>('lights'), await cal<ScaleData>('scale'), Object.fromEntries(m.calibrations.map((c) => [c.procedure, c.id])));
  const frames = m.files.filter((f) => f.role === 'frame');
  const metaOf = (f: (typeof frames)[number]): { lightIndex: number; pixelFormat: string } => f.meta as { lightIndex: number; pixelFormat: string };
  const darkFile = frames.find((f) => metaOf(f).lightIndex < 0);
  if (!darkFile) throw bad(dir, 'no dark frame (frames/dark)');
  // One frame per light in light order (the capture's order; a repeated exposure of a light is not a PS input).
  const lit = frames.filter((f) => metaOf(f).lightIndex >= 0 && !/-\d+$/.test(f.name.replace(/^frames\/light-\d+/, ''))).sort((a, b) => metaOf(a).lightIndex - metaOf(b).lightIndex);
  if (lit.length < 3) throw bad(dir, `${lit.length} lit frame(s); photometric stereo needs at least 3`);
  const decode = async (name: string): Promise<Uint16Array | Uint8Array> => {
    const img = await decodePng(await datasetFile(dir, m, name), `${dir}/${name}`);
    if (img.channels !== 1) throw bad(dir, `${name} has ${img.channels} channels; frames are grey`);
    if (img.width !== calibration.widthPx || img.height !== calibration.heightPx) throw bad(dir, `${name} is ${img.width}×${img.height}, the calibration ${calibration.widthPx}×${calibration.heightPx}`);
    return img.data as Uint16Array | Uint8Array;
  };
  const dark = await decode(darkFile.name);
  const fs = fullScaleDn(metaOf(darkFile).pixelFormat as Parameters<typeof fullScaleDn>[0]);
  // As capture/ps-planes.ts: dark-subtracted, saturated readings set to full scale (PS drops them).
  const planes: Float32Array[] = [];
  for (const f of lit) {
    const d = await decode(f.name);
    const p = new Float32Array(d.length);
    for (let i = 0; i < p.length; i++) p[i] = d[i] >= fs ? fs : d[i] - dark[i];
    planes.push(p);
  }
  const summary = (m.scan.summary ?? {}) as { cardThicknessMm?: number };
  if (typeof summary.cardThicknessMm !== 'number') throw bad(dir, 'the scan summary has no cardThicknessMm (the booth\'s card height above the tray)');
  const W = calibration.widthPx, H = calibration.heightPx;
  const lights = calibratedLights(calibration, summary.cardThicknessMm, W, H);
  const canonicalUmPerPx = Math.max(1, Math.round(calibration.umPerPx));
  const r = await reconstructSide({ planes, width: W, height: H, lights, umPerPx: calibration.umPerPx, canonicalUmPerPx, marginPx: trainingMarginPx(canonicalUmPerPx), ps: { saturation: fs } });
  return { side: m.scan.side, widthPx: r.width, heightPx: r.height, umPerPx: r.umPerPx, mask: r.mask, normals: r.normals, albedo: r.albedo, reliefUm: r.reliefUm, confidence: r.confidence };
}

/**
 * Convert one exported dataset folder into `outRoot/<booth>-<datasetId8>/<side>/maps/`. Label policy (field
 * labels are the machine's detections as corrected by operators, not pixel truth):
 * - an override 'not-a-defect' on surface: the machine's surface defects were wrong, the side is labelled clean;
 * - an override 'missed-defect': the side has a defect nobody located, so any label would teach the model that
 *   a real defect is background — the side is excluded (reported, nothing written).
 */
export async function convertExportedDataset(dir: string, outRoot: string): Promise<FieldConversion> {
  const m = await readJson<DatasetManifest>(dir, 'manifest.json');
  if (m.schema !== 'gradebooth.dataset.v1' || !Array.isArray(m.files) || !m.scan) throw bad(dir, `manifest.json is not a gradebooth.dataset.v1 manifest (schema ${JSON.stringify(m.schema)})`);
  const labels = await readJson<ExportedLabels>(dir, 'labels.json');
  if (!Array.isArray(labels.defects) || !Array.isArray(labels.overrides)) throw bad(dir, 'labels.json has no defects/overrides lists');
  const datasetId = labels.datasetId;
  const overrides = labels.overrides.map((o) => ({ subgrade: String(o.subgrade), reason: String(o.reason) }));
  const missed = overrides.find((o) => o.reason === 'missed-defect');
  if (missed) return { dir, datasetId, excluded: `an operator reported a missed defect (${missed.subgrade}): its place is unknown, so the side has no trustworthy labels`, labelledDefects: 0 };
  const surfaceCleared = overrides.some((o) => o.subgrade === 'surface' && o.reason === 'not-a-defect');
  const surfaceDefects = labels.defects.filter((d) => d.category === 'surface' && classOfSimDefectKind(d.kind) > 0);
  const kept = surfaceCleared ? [] : surfaceDefects;

  const maps = await reconstructExportedSide(dir, m);
  const { widthPx: w, heightPx: h } = maps;
  const marginPx = trainingMarginPx(maps.umPerPx);
  const lab = rasteriseDefectLabels(kept, w, h, maps.umPerPx, marginPx);
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80) || '_';
  const card = join(outRoot, `${safe(m.boothId)}-${safe(m.scan.barcode ?? m.scan.id)}-${datasetId.slice(0, 8)}`);
  const out = join(card, m.scan.side, 'maps');
  // Not durable: a converted side is made again from its export by running the conversion again.
  await writeFolderAtomic(
    out,
    join(card, `.${m.scan.side}.partial`),
    async (tmp) => {
      await writeSideMapsFiles(tmp, maps, lab, marginPx, {
        // surface.py splits validation by seed % --val-every: a field side's seed comes from its dataset id.
        seed: parseInt(datasetId.slice(0, 7), 16),
        clean: kept.length === 0,
        source: 'field',
        labelQuality: {
          kind: 'field-machine-corrected',
          note: 'the machine\'s surface detections as corrected by operators, rasterised as discs of each defect\'s length: not pixel truth',
          surfaceClearedByOperator: surfaceCleared,
          machineSurfaceDefects: surfaceDefects.length,
        },
        datasetId,
        boothId: m.boothId,
        barcode: m.scan.barcode,
        scanId: m.scan.id,
        grade: (m.labels?.grade ?? null),
        overrides,
        defects: kept.map((d) => ({ kind: d.kind, class: classOfSimDefectKind(d.kind), centerMm: [d.xMm, d.yMm], lengthMm: d.lengthMm, widthMm: d.widthMm, depthUm: d.depthUm })),
      });
    },
    { durable: false, replace: true },
  );
  return { dir, datasetId, out, labelledDefects: kept.length };
}

/** The dataset folders under an export root (`<booth>/<card>-<side>-<id8>/manifest.json`). */
export async function findExportedDatasets(root: string): Promise<string[]> {
  if (!(await stat(root).then((s) => s.isDirectory(), () => false))) throw createError('GB_DATASET_INVALID', `${root}: not a folder`);
  if (await stat(join(root, 'manifest.json')).then(() => true, () => false)) return [root];
  const found: string[] = [];
  for (const booth of (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.'))) {
    for (const ds of (await readdir(join(root, booth.name), { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.'))) {
      if (await stat(join(root, booth.name, ds.name, 'manifest.json')).then(() => true, () => false)) found.push(join(root, booth.name, ds.name));
    }
  }
  if (found.length === 0) throw createError('GB_DATASET_INVALID', `${root}: no dataset folders (<booth>/<dataset>/manifest.json); run \`gradebooth fleet datasets --out ${root}\` first`);
  return found.sort();
}
