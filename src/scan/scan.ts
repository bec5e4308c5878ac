import { randomUUID } from 'node:crypto';
import type { Booth } from '../booth/booth.ts';
import { captureSide, type SideCapture } from '../capture/sequencer.ts';
import { relativeStorePath, storeSideCapture, type StoredFrame } from '../capture/frame-store.ts';
import { psPlanes, erode } from '../calibration/run/images.ts';
import { calibratedLights, loadBoothCalibration } from '../calibration/run/model.ts';
import { createError, isGradeboothError } from '../core/errors.ts';
import type { EventBus } from '../core/events.ts';
import { encodePfm } from '../imaging/pfm.ts';
import { encodeNormalsPng, encodeScaledPng } from '../io/photometric-folder.ts';
import type { CalibrationRepository } from '../storage/calibrations.ts';
import type { Db } from '../storage/database.ts';
import { sha256Hex, type FileStore } from '../storage/file-store.ts';
import { normalError } from '../vision/ps.ts';
import { warpToCanonicalAsync } from '../vision/rectify.ts';
import { reconstructSide } from '../vision/side.ts';
import { validateBarcode } from './barcode.ts';

export interface ScanOptions {
  booth: Booth;
  db: Db;
  store: FileStore;
  repo: CalibrationRepository;
  barcode: string;
  side?: 'front' | 'back';
  /** Card stock thickness, mm: the card's top surface is this far above the tray (default 0.32). */
  cardThicknessMm?: number;
  bus?: EventBus;
  /** Simulated booth: which simulated card to place (seed). */
  simSeed?: number;
  requestedBy?: string;
}

/** A stored map of the scan. */
export interface StoredMap {
  kind: 'normals' | 'albedo' | 'depth';
  sha256: string;
  /** Path inside the data directory's store. */
  path: string;
  mediaType: string;
}

export interface ScanResult {
  scanId: string;
  jobId: string;
  cardId: number;
  barcode: string;
  side: 'front' | 'back';
  files: StoredMap[];
  frames: StoredFrame[];
  widthPx: number;
  heightPx: number;
  umPerPx: number;
  /** Simulated booth only: mean angular error of the normals on the card against the simulator. */
  normalErrorDeg?: number;
  exposureWarnings: string[];
  timingsMs: Record<string, number>;
}

/** 99.9th percentile of the values inside the mask (albedo full scale that ignores a few hot pixels). */
function highPercentile(values: Float32Array, mask: Uint8Array): number {
  const picked: number[] = [];
  for (let i = 0; i < values.length; i += 3) if (mask[i]) picked.push(values[i]);
  picked.sort((a, b) => a - b);
  return picked[Math.min(picked.length - 1, Math.floor(0.999 * picked.length))] || 1;
}

/**
 * Scan one side of a card end to end: barcode checked, calibration checked (refuses with what to run),
 * job and card rows, capture, frames + scan row stored in one transaction, calibration applied (dark
 * subtraction, per-pixel near-field light vectors from the calibrated LED positions, intensities and
 * flat-field gains), segmentation + rectification + photometric stereo + integration, then normals,
 * albedo and relief stored and the scan row completed in one transaction. A failure marks the job failed
 * with its error code; files written for a step that did not commit are deleted.
 */
export async function runScan(options: ScanOptions): Promise<ScanResult> {
  const barcode = validateBarcode(options.barcode);
  const { booth, db, store, repo } = options;
  const cal = await loadBoothCalibration(repo);
  if (booth.widthPx !== cal.widthPx || booth.heightPx !== cal.heightPx) {
    throw createError('GB_NOT_CALIBRATED', `the booth was calibrated at ${cal.widthPx}×${cal.heightPx} px but its camera delivers ${booth.widthPx}×${booth.heightPx}; run \`gradebooth calibrate run\` at this size`);
  }
  const side = options.side ?? 'front';
  const timings: Record<string, number> = {};
  const jobId = `job-${randomUUID()}`;
  const scanId = `scan-${randomUUID()}`;
  const now = (): string => new Date().toISOString();
  const progress = (stage: string, fraction: number, message: string): void => {
    options.bus?.emit('job.progress', { jobId, stage, fraction, message });
  };
  const cardId = db.transaction(() => {
    const t = now();
    db.prepare('INSERT INTO cards (barcode, created_at) VALUES (?, ?) ON CONFLICT(barcode) DO NOTHING').run(barcode, t);
    const id = db.prepare('SELECT id FROM cards WHERE barcode = ?').pluck().get(barcode) as number;
    db.prepare("INSERT INTO jobs (id, kind, card_id, state, requested_by, created_at, updated_at) VALUES (?, 'scan', ?, 'capturing', ?, ?, ?)").run(jobId, id, options.requestedBy ?? null, t, t);
    return id;
  }).immediate();
  const setState = (state: string, error?: { code: string; message: string }): void => {
    db.prepare('UPDATE jobs SET state = ?, error_code = ?, error_message = ?, updated_at = ? WHERE id = ?').run(state, error?.code ?? null, error?.message ?? null, now(), jobId);
    options.bus?.emit('job.state', { jobId, state, ...(error ? { error: `${error.code}: ${error.message}` } : {}) });
  };
  const created: string[] = [];
  let capture: SideCapture | undefined;
  try {
    let t0 = performance.now();
    if (booth.sim) await booth.sim.place({ kind: 'card', seed: options.simSeed ?? 1, side });
    timings.place = performance.now() - t0;
    t0 = performance.now();
    capture = await captureSide(booth, { exposureUs: cal.exposureUs, level: cal.level, leds: cal.leds, bus: options.bus, jobId, stage: 'capture' });
    timings.capture = performance.now() - t0;
    t0 = performance.now();
    const frames = await storeSideCapture(db, store, capture, { scanId }, (d) => {
      d.prepare('INSERT INTO scans (id, job_id, card_id, side, calibration_id, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(scanId, jobId, cardId, side, cal.recordIds.lights, now());
      d.prepare("UPDATE jobs SET state = 'processing', updated_at = ? WHERE id = ?").run(now(), jobId);
    });
    timings.storeFrames = performance.now() - t0;
    progress('reconstruct', 0, 'photometric stereo');
    t0 = performance.now();
    const W = capture.width, H = capture.height;
    const { planes, saturation } = psPlanes(capture);
    // Stored and copied into planes: the camera can have its buffers back.
    capture.release();
    const lights = calibratedLights(cal, options.cardThicknessMm ?? 0.32, W, H);
    const result = await reconstructSide({ planes, width: W, height: H, lights, umPerPx: cal.umPerPx, ps: { saturation } });
    timings.reconstruct = performance.now() - t0;
    let normalErrorDeg: number | undefined;
    if (booth.sim) {
      const gt = await booth.sim.renderer.groundTruth();
      const truth = await warpToCanonicalAsync(gt.normal, W, H, 3, result.outline, true);
      // Away from the outline (3 px): the edge wall is not part of the face.
      normalErrorDeg = normalError(result.normals, truth, erode(result.mask, result.width, result.height, 3)).meanDeg;
    }
    progress('reconstruct', 0.8, 'storing maps');
    t0 = performance.now();
    const cw = result.width, ch = result.height;
    const albedoFullScale = highPercentile(result.albedo, result.mask);
    const outputs: Array<{ kind: StoredMap['kind']; bytes: Buffer; mediaType: string }> = [
      { kind: 'normals', bytes: await encodeNormalsPng(result.normals, cw, ch), mediaType: 'image/png' },
      { kind: 'albedo', bytes: await encodeScaledPng(result.albedo, cw, ch, albedoFullScale), mediaType: 'image/png' },
      { kind: 'depth', bytes: encodePfm({ width: cw, height: ch, data: result.reliefUm }), mediaType: 'image/x-portable-floatmap' },
    ];
    const files: StoredMap[] = [];
    for (const o of outputs) {
      const existed = await store.has(sha256Hex(o.bytes));
      const put = await store.put(o.bytes);
      if (!existed) created.push(put.sha256);
      files.push({ kind: o.kind, sha256: put.sha256, path: relativeStorePath(put.sha256), mediaType: o.mediaType });
    }
    const summary = {
      canonical: { widthPx: cw, heightPx: ch, umPerPx: result.umPerPx },
      camera: { widthPx: W, heightPx: H, umPerPx: cal.umPerPx },
      albedoFullScale,
      depthUnits: 'µm (relief, warp removed)',
      warpResidualRmsUm: result.warp?.residualRms ?? null,
      corners: result.outline.corners,
      backend: result.backend,
      calibration: cal.recordIds,
      exposureUs: capture.exposureUs,
      exposureWarnings: capture.issues.map((i) => i.message),
      normalErrorDeg: normalErrorDeg ?? null,
      timingsMs: { ...timings, ...result.timingsMs },
    };
    db.transaction(() => {
      const ins = db.prepare('INSERT OR IGNORE INTO blobs (sha256, size_bytes, media_type, created_at) VALUES (?, ?, ?, ?)');
      outputs.forEach((o, i) => ins.run(files[i].sha256, o.bytes.byteLength, o.mediaType, now()));
      db.prepare('UPDATE scans SET normals_sha256 = ?, albedo_sha256 = ?, depth_sha256 = ?, summary_json = ? WHERE id = ?').run(files[0].sha256, files[1].sha256, files[2].sha256, JSON.stringify(summary), scanId);
      db.prepare("UPDATE jobs SET state = 'done', updated_at = ? WHERE id = ?").run(now(), jobId);
    }).immediate();
    created.length = 0;
    timings.storeMaps = performance.now() - t0;
    options.bus?.emit('job.state', { jobId, state: 'done' });
    progress('reconstruct', 1, 'done');
    return {
      scanId, jobId, cardId, barcode, side, files, frames, widthPx: cw, heightPx: ch, umPerPx: result.umPerPx,
      normalErrorDeg, exposureWarnings: capture.issues.map((i) => i.message), timingsMs: timings,
    };
  } catch (err) {
    capture?.release();
    for (const sha of created) await store.delete(sha).catch(() => undefined);
    const code = isGradeboothError(err) ? err.code : 'GB_INTERNAL';
    setState('failed', { code, message: (err as Error).message ?? String(err) });
    throw err;
  }
}
