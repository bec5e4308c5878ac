import { randomUUID } from 'node:crypto';
import type { Booth } from '../booth/booth.ts';
import { captureSide, type SideCapture } from '../capture/sequencer.ts';
import { relativeStorePath, storeSideCapture, type StoredFrame } from '../capture/frame-store.ts';
import { psPlanes } from '../capture/ps-planes.ts';
import { calibratedLights, loadBoothCalibration, type BoothCalibration } from '../calibration/booth-calibration.ts';
import { scanProcedures } from '../calibration/procedures.ts';
import { createError } from '../core/errors.ts';
import { erode } from '../imaging/masks.ts';
import { encodePfm } from '../imaging/pfm.ts';
import { encodeNormalsPng, encodeScaledPng } from '../io/photometric-folder.ts';
import type { JobContext, JobKindDefinition, Stage } from '../jobs/stage.ts';
import type { BlobRepository } from '../storage/blobs.ts';
import type { CalibrationRepository } from '../storage/calibrations.ts';
import type { CardRepository } from '../storage/cards.ts';
import type { Db } from '../storage/database.ts';
import type { FileStore } from '../storage/file-store.ts';
import type { ScanRepository } from '../storage/scans.ts';
import { normalError } from '../vision/ps.ts';
import { warpToCanonicalAsync } from '../vision/rectify.ts';
import { outlineWithMargin, reconstructSide, type SideResult } from '../vision/side.ts';
import { validateBarcode } from '../core/barcode.ts';
import type { ResultAnnouncer } from './result-messages.ts';

/** What scan jobs use: the booth the daemon (or the CLI) built, storage and the card's settings. */
export interface ScanServices {
  booth: Booth;
  db: Db;
  store: FileStore;
  calibrations: CalibrationRepository;
  cards: CardRepository;
  scans: ScanRepository;
  blobs: BlobRepository;
  /** Card stock thickness, mm (settings booth.card.thickness_mm): the card's top surface above the tray. */
  cardThicknessMm: number;
  /**
   * Stages run on each side after reconstruction and before publishing (grading plugs in here); each
   * gets the side's state with its maps.
   */
  sideStages?: (side: SideState) => ReadonlyArray<Stage<ScanState>>;
  /** Background kept around the card in the maps, mm (graders see the outline against the tray; default 0). */
  mapMarginMm?: number;
  /** Simulated booth: how long a confirmFlip job waits for the operator before the simulator turns the card, ms (0/absent = until confirmed). */
  simFlipWaitMs?: number;
  /** The fleet outbox: told (queued()) once the last side's commit queued the card's results. */
  results?: ResultAnnouncer;
}

export type CardSide = 'front' | 'back';

/** A stored map of a scan. */
export interface StoredMap {
  kind: 'normals' | 'albedo' | 'depth';
  sha256: string;
  /** Path inside the data directory's store. */
  path: string;
  mediaType: string;
}

/** What one side of a scan job produced (the job's result lists one per side). */
export interface SideResultSummary {
  scanId: string;
  side: CardSide;
  files: StoredMap[];
  frames: number;
  canonical: { widthPx: number; heightPx: number; umPerPx: number };
  /** Simulated booth only: mean angular error of the normals on the card against the simulator. */
  normalErrorDeg: number | null;
  exposureWarnings: string[];
  timingsMs: Record<string, number>;
}

/** The scan of one side, as it moves through the stages. */
export interface SideState {
  side: CardSide;
  scanId: string;
  capture?: SideCapture;
  /** Simulated booth: the true normals of what was on the tray, copied before the tray changes. */
  truthNormal?: Float32Array;
  frames?: StoredFrame[];
  reconstruction?: SideResult;
  normalErrorDeg?: number;
  maps?: Array<{ kind: StoredMap['kind']; bytes: Buffer; mediaType: string }>;
  summary?: Record<string, unknown>;
  result?: SideResultSummary;
  timings: Record<string, number>;
}

export interface ScanState {
  barcode: string;
  cardId: number;
  simSeed: number;
  cal: BoothCalibration;
  sides: SideState[];
  /** The card's grade (or why there is none), set by the grading stage after the last side. */
  grade?: Record<string, unknown>;
  /**
   * What the grading stage leaves to commit with the last side (the grade's rows, the fleet results): run
   * inside the last side's publish transaction, with the scan's completion and the job's end. Returns the
   * message ids of the results it queued.
   */
  commitWithLastSide?: () => string[] | undefined;
  /** Message ids of the fleet results this job queued. */
  announced?: string[];
}

export interface ScanParams {
  barcode: string;
  side: CardSide;
  simSeed: number;
  /**
   * scan-card: wait for the operator to confirm the flip even on the simulated booth (whose simulator then
   * turns the card). Jobs an operator started at the booth (barcode) set it; CLI and API scans default to no.
   */
  confirmFlip: boolean;
}

/** 99.9th percentile of the values inside the mask (albedo full scale that ignores a few hot pixels). */
function highPercentile(values: Float32Array, mask: Uint8Array): number {
  const picked: number[] = [];
  for (let i = 0; i < values.length; i += 3) if (mask[i]) picked.push(values[i]);
  picked.sort((a, b) => a - b);
  return picked[Math.min(picked.length - 1, Math.floor(0.999 * picked.length))] || 1;
}

/** Check a scan's parameters; every refusal is GB_VALIDATION. */
function scanParams(params: Record<string, unknown>, sides: 'one' | 'both'): ScanParams {
  const barcode = validateBarcode(typeof params.barcode === 'string' ? params.barcode : undefined);
  const side = params.side ?? 'front';
  if (sides === 'both' && params.side !== undefined) throw createError('GB_VALIDATION', 'side: a scan-card job scans both sides (front, then back); leave side out');
  if (side !== 'front' && side !== 'back') throw createError('GB_VALIDATION', `side: expected "front" or "back", got ${JSON.stringify(side)}`);
  const simSeed = params.simSeed ?? 1;
  if (typeof simSeed !== 'number' || !Number.isInteger(simSeed) || simSeed < 0 || simSeed >= 2 ** 31) throw createError('GB_VALIDATION', `simSeed: expected an integer 0..2^31-1, got ${JSON.stringify(simSeed)}`);
  const confirmFlip = params.confirmFlip ?? false;
  if (typeof confirmFlip !== 'boolean') throw createError('GB_VALIDATION', `confirmFlip: expected true or false, got ${JSON.stringify(confirmFlip)}`);
  if (confirmFlip && sides === 'one') throw createError('GB_VALIDATION', 'confirmFlip: only a scan-card job (both sides) has a flip to confirm');
  return { barcode, side, simSeed, confirmFlip };
}

/**
 * The calibration a scan needs, for this booth: every scan procedure valid and made at the camera's
 * size. GB_NOT_CALIBRATED says what to run.
 */
async function boothCalibration(s: ScanServices): Promise<BoothCalibration> {
  const check = s.calibrations.validFor(scanProcedures);
  if (!check.ok) throw createError('GB_NOT_CALIBRATED', `cannot scan: ${check.message}`, { missing: check.missing, expired: check.expired, failed: check.failed });
  const cal = await loadBoothCalibration(s.calibrations);
  if (s.booth.widthPx !== cal.widthPx || s.booth.heightPx !== cal.heightPx) {
    throw createError('GB_NOT_CALIBRATED', `the booth was calibrated at ${cal.widthPx}×${cal.heightPx} px but its camera delivers ${s.booth.widthPx}×${s.booth.heightPx}; run \`gradebooth calibrate run\` at this size`);
  }
  return cal;
}

/**
 * Bytes one scanned side may need on disk at `widthPx`×`heightPx` with `leds` lit frames: a 16-bit frame
 * per LED plus the dark frame (PNG, never much above the raw size), the normals (16-bit RGB), albedo
 * (16-bit) and depth (float) maps, the grade report's images (about 12 bytes a pixel: overlay, relief,
 * normal map, crops), 2% for PNG overhead, and 4 MiB for database rows and the WAL.
 */
export function sideBytesNeeded(widthPx: number, heightPx: number, leds: number): number {
  const px = widthPx * heightPx;
  return Math.ceil(((leds + 1) * px * 2 + px * (6 + 2 + 4) + px * 12) * 1.02) + 4 * 1048576;
}

/** Refuse (GB_DISK_FULL) to capture `sides` sides when the data disk has less free space than they need. */
async function assertSpaceForSides(s: ScanServices, cal: BoothCalibration, sides: number): Promise<void> {
  await s.store.assertSpaceFor(sides * sideBytesNeeded(s.booth.widthPx, s.booth.heightPx, cal.leds.length), sides === 1 ? 'one side of a scan' : `a scan of ${sides} sides`);
}

const timed = async <T>(timings: Record<string, number>, name: string, f: () => Promise<T>): Promise<T> => {
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    timings[name] = performance.now() - t0;
  }
};

/**
 * The stages of one side. `place` puts the side on the tray first (the simulator, or a person asked to
 * flip the card); `lastHardwareUse` lets the next job capture once this side's frames are copied out.
 */
function sideStages(s: ScanServices, side: SideState, options: { suffix: string; place: (state: ScanState, job: JobContext) => Promise<void>; lastHardwareUse: boolean }): Array<Stage<ScanState>> {
  const name = (n: string): string => `${n}${options.suffix}`;
  const capture: Stage<ScanState> = {
    name: name('capture'),
    async run(state, job) {
      // Checked again here, not only at submission: other scans may have used the space meanwhile.
      await assertSpaceForSides(s, state.cal, 1);
      await timed(side.timings, 'place', () => options.place(state, job));
      job.throwIfCancelled();
      side.capture = await timed(side.timings, 'capture', () =>
        captureSide(s.booth, {
          exposureUs: state.cal.exposureUs,
          level: state.cal.level,
          leds: state.cal.leds,
          signal: job.signal,
          onProgress: (fraction, message) => job.progress(fraction, message),
        }),
      );
      if (s.booth.sim) side.truthNormal = Float32Array.from((await s.booth.sim.renderer.groundTruth()).normal);
    },
  };
  const store: Stage<ScanState> = {
    name: name('store'),
    async run(state, job) {
      const cap = required(side.capture, 'capture');
      side.frames = await timed(side.timings, 'storeFrames', () =>
        storeSideCapture(s.db, s.store, cap, { scanId: side.scanId }, () => {
          s.scans.create({ id: side.scanId, jobId: job.jobId, cardId: state.cardId, side: side.side, calibrations: state.cal.recordIds });
        }, (bytes) => job.putFile(bytes)),
      );
    },
  };
  const reconstruct: Stage<ScanState> = {
    name: name('reconstruct'),
    async run(state, job) {
      const cap = required(side.capture, 'capture');
      const t0 = performance.now();
      const W = cap.width, H = cap.height;
      const { planes, saturation } = psPlanes(cap);
      // Stored and copied into planes: the camera can have its buffers back, and the next job the booth.
      cap.release();
      side.capture = undefined;
      if (options.lastHardwareUse) job.releaseHardware();
      job.progress(0.1, 'photometric stereo');
      const lights = calibratedLights(state.cal, s.cardThicknessMm, W, H);
      const canonicalUmPerPx = Math.max(1, Math.round(state.cal.umPerPx));
      const marginPx = Math.round(((s.mapMarginMm ?? 0) * 1000) / canonicalUmPerPx);
      const result = await reconstructSide({ planes, width: W, height: H, lights, umPerPx: state.cal.umPerPx, canonicalUmPerPx, marginPx, ps: { saturation } });
      side.reconstruction = result;
      if (side.truthNormal) {
        const truth = await warpToCanonicalAsync(side.truthNormal, W, H, 3, outlineWithMargin(result.outline, result.marginPx), true);
        // Away from the outline (3 px): the edge wall is not part of the face.
        side.normalErrorDeg = normalError(result.normals, truth, erode(result.mask, result.width, result.height, 3)).meanDeg;
      }
      job.progress(0.8, 'encoding maps');
      const cw = result.width, ch = result.height;
      const albedoFullScale = highPercentile(result.albedo, result.mask);
      side.maps = [
        { kind: 'normals', bytes: await encodeNormalsPng(result.normals, cw, ch), mediaType: 'image/png' },
        { kind: 'albedo', bytes: await encodeScaledPng(result.albedo, cw, ch, albedoFullScale), mediaType: 'image/png' },
        { kind: 'depth', bytes: encodePfm({ width: cw, height: ch, data: result.reliefUm }), mediaType: 'image/x-portable-floatmap' },
      ];
      side.timings.reconstruct = performance.now() - t0;
      side.summary = {
        canonical: { widthPx: cw, heightPx: ch, umPerPx: result.umPerPx, marginPx: result.marginPx },
        camera: { widthPx: W, heightPx: H, umPerPx: state.cal.umPerPx },
        cardThicknessMm: s.cardThicknessMm,
        albedoFullScale,
        depthUnits: 'µm (relief, warp removed)',
        warpResidualRmsUm: result.warp?.residualRms ?? null,
        corners: result.outline.corners,
        backend: result.backend,
        calibration: state.cal.recordIds,
        exposureUs: cap.exposureUs,
        exposureWarnings: cap.issues.map((i) => i.message),
        normalErrorDeg: side.normalErrorDeg ?? null,
      };
    },
  };
  const publish: Stage<ScanState> = {
    name: name('publish'),
    async run(state, job) {
      const t0 = performance.now();
      const maps = required(side.maps, 'maps');
      const stored: StoredMap[] = [];
      for (const m of maps) {
        const put = await job.putFile(m.bytes);
        stored.push({ kind: m.kind, sha256: put.sha256, path: relativeStorePath(put.sha256), mediaType: m.mediaType });
      }
      job.throwIfCancelled();
      const summary = required(side.summary, 'summary');
      const r = required(side.reconstruction, 'reconstruction');
      side.timings.storeMaps = performance.now() - t0;
      const timingsMs = { ...side.timings, ...r.timingsMs };
      side.result = {
        scanId: side.scanId,
        side: side.side,
        files: stored,
        frames: side.frames?.length ?? 0,
        canonical: { widthPx: r.width, heightPx: r.height, umPerPx: r.umPerPx },
        normalErrorDeg: side.normalErrorDeg ?? null,
        exposureWarnings: summary.exposureWarnings as string[],
        timingsMs,
      };
      // The maps' blobs and the scan's completion in one transaction: the scan is whole or not there. The last
      // side's transaction also holds the card's grade rows, the fleet results announcing them and the job's
      // end: a crash leaves all of them or none (never a grade, or results a collector was told about, beside
      // a job that reads `interrupted` and a scan left incomplete).
      const last = side === state.sides.at(-1);
      s.db.transaction(() => {
        maps.forEach((m, i) => s.blobs.register(stored[i].sha256, m.bytes.byteLength, m.mediaType));
        s.scans.complete(side.scanId, { normals: stored[0].sha256, albedo: stored[1].sha256, depth: stored[2].sha256 }, { ...summary, timingsMs });
        if (!last) return;
        const announced = state.commitWithLastSide?.();
        if (announced) state.announced = announced;
        job.commitDone();
      }).immediate();
      side.maps = undefined;
      if (last && state.announced) s.results?.queued();
    },
  };
  return [capture, store, reconstruct, ...(s.sideStages?.(side) ?? []), publish];
}

function required<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw createError('GB_INTERNAL', `scan stage order: ${what} is not there yet`);
  return v;
}

const newSide = (side: CardSide): SideState => ({ side, scanId: `scan-${randomUUID()}`, timings: {} });

/** Put one side of the card on the tray: the simulator does it; on a real booth it is already there. */
const placeSimulated = (s: ScanServices, side: CardSide) => async (state: ScanState): Promise<void> => {
  await s.booth.sim?.place({ kind: 'card', seed: state.simSeed, side });
};

/**
 * Both sides: on a real booth a person turns the card and confirms it. The simulator turns it by itself,
 * after the operator's confirmation when the job asks for it (confirmFlip: an operator at the booth) or
 * once `simFlipWaitMs` has passed without one (so that a simulated booth nobody watches still finishes).
 */
const flipCard = (s: ScanServices, confirm: boolean) => async (state: ScanState, job: JobContext): Promise<void> => {
  const prompt = `turn card ${state.barcode} over (back side up) and confirm`;
  if (!s.booth.sim) {
    await job.awaitContinue(prompt);
    return;
  }
  if (confirm) await job.awaitContinue(prompt, s.simFlipWaitMs ? { timeoutMs: s.simFlipWaitMs } : {});
  await s.booth.sim.place({ kind: 'card', seed: state.simSeed, side: 'back' });
};

function prepareScan(s: ScanServices, params: Record<string, unknown>, sides: 'one' | 'both'): { params: ScanParams; cardId: number } {
  const p = scanParams(params, sides);
  const check = s.calibrations.validFor(scanProcedures);
  if (!check.ok) throw createError('GB_NOT_CALIBRATED', `cannot scan: ${check.message}`, { missing: check.missing, expired: check.expired, failed: check.failed });
  return { params: p, cardId: s.cards.ensure(p.barcode) };
}

/** `scan`: one side of one card, filed under its barcode. */
export function scanJobKind(s: ScanServices): JobKindDefinition<ScanParams, ScanState> {
  return {
    kind: 'scan',
    check: async (params) => {
      const cal = await boothCalibration(s);
      scanParams(params, 'one');
      await assertSpaceForSides(s, cal, 1);
    },
    prepare: (params) => prepareScan(s, params, 'one'),
    async plan(params) {
      const side = newSide(params.side);
      const state: ScanState = { barcode: params.barcode, cardId: s.cards.ensure(params.barcode), simSeed: params.simSeed, cal: await boothCalibration(s), sides: [side] };
      return { state, stages: sideStages(s, side, { suffix: '', place: placeSimulated(s, params.side), lastHardwareUse: true }) };
    },
    result: (state) => scanResult(state),
  };
}

/** `scan-card`: the front, then the back of one card (the simulator turns it; a person confirms the flip). */
export function scanCardJobKind(s: ScanServices): JobKindDefinition<ScanParams, ScanState> {
  return {
    kind: 'scan-card',
    check: async (params) => {
      const cal = await boothCalibration(s);
      scanParams(params, 'both');
      await assertSpaceForSides(s, cal, 2);
    },
    prepare: (params) => prepareScan(s, params, 'both'),
    async plan(params) {
      const front = newSide('front');
      const back = newSide('back');
      const state: ScanState = { barcode: params.barcode, cardId: s.cards.ensure(params.barcode), simSeed: params.simSeed, cal: await boothCalibration(s), sides: [front, back] };
      return {
        state,
        stages: [
          ...sideStages(s, front, { suffix: '-front', place: placeSimulated(s, 'front'), lastHardwareUse: false }),
          ...sideStages(s, back, { suffix: '-back', place: flipCard(s, params.confirmFlip), lastHardwareUse: true }),
        ],
      };
    },
    result: (state) => scanResult(state),
  };
}

function scanResult(state: ScanState): Record<string, unknown> {
  const sides = state.sides.map((side) => required(side.result, `${side.side} result`));
  return { barcode: state.barcode, cardId: state.cardId, sides, ...(state.grade ? { grade: state.grade } : {}), ...(state.announced ? { fleetMessages: state.announced } : {}) };
}
