import type { Booth } from '../../booth/booth.ts';
import { psPlanes } from '../../capture/ps-planes.ts';
import { captureSide, type SideCapture } from '../../capture/sequencer.ts';
import { createError } from '../../core/errors.ts';
import type { JobContext, JobKindDefinition, ProgressFigures, Stage } from '../../jobs/stage.ts';
import type { SimulatedBooth } from '../../booth/simulated-booth.ts';
import type { SceneKind } from '../../sim/scenes/scene.ts';
import type { FloatImage } from '../../imaging/image.ts';
import type { CalibrationRecord, CalibrationRepository } from '../../storage/calibrations.ts';
import type { SceneConfig } from '../../geometry/targets.ts';
import { integrateNormals } from '../../vision/integrate.ts';
import { normalError, solvePhotometricStereo } from '../../vision/ps.ts';
import { ledIntensitiesFromWhite } from '../led-intensity.ts';
import { summariseLedPositions, triangulateLeds } from '../led-positions.ts';
import { worldToCamera } from '../../geometry/camera-model.ts';
import type { Intrinsics, Vec3 } from '../mirror-sphere.ts';
import { allProcedures, defaultValidityMs, type ProcedureName } from '../procedures.ts';
import { measureSpherePlacement, type MeasuredPlacement } from '../sphere-placement.ts';
import { measureDotGrid } from './dot-grid.ts';
import { largestFilledComponent, linearImages, meanImage, sampledMedian } from './images.ts';
import { calibratedLights, gainMapsForRecord, type BoothCalibration, type FlatData, type LightsData, type ScaleData } from '../booth-calibration.ts';
import { offsetPlane, type CameraPlane } from './plane.ts';
import { verifyRelief } from './relief-verify.ts';
import { guidedSteps, SPHERE_PLACEMENTS } from './steps.ts';
import { withRadialDistortion } from './distortion.ts';
import { calibrationThresholds } from './thresholds.ts';
import { figuresPass } from './checks.ts';

export { calibrationThresholds } from './thresholds.ts';

export interface ProcedureOutcome {
  procedure: ProcedureName;
  passed: boolean;
  figures: Record<string, unknown>;
  record: CalibrationRecord;
}

/** What `calibrate run` reports (the calibration job's result). */
export interface CalibrationRunResult {
  pass: boolean;
  procedures: ProcedureOutcome[];
  /** Simulated booth only: mean LED position error against the simulator, mm. */
  lightPositionErrorMm?: number;
  verifyNormalErrorDeg: number;
  verifyHeightErrorMm: number;
  timingsMs: Record<string, number>;
}

/** What the calibration job uses: the booth and the record store. */
export interface CalibrationServices {
  booth: Booth;
  repo: CalibrationRepository;
  /** Target definitions (sphere radius, dot pitch, plate thicknesses, relief). */
  targets: () => Promise<SceneConfig>;
}

export interface CalibrationParams {
  /** Exposure of the first white-target capture, µs, before auto-exposure (default 10 000). */
  probeExposureUs: number;
  /** Aim of auto-exposure: 99th-percentile white signal under the brightest LED, fraction of full scale. */
  targetP99Fraction: number;
  /**
   * 'dark': only the dark frame (valid for a day, the others for a week or a month, and it needs no
   * other procedure); absent: every procedure (each of the others needs the ones before it).
   */
  only?: 'dark';
}

/** What the calibration stages measure, step by step, until the records are saved. */
export interface CalibrationState {
  targets: SceneConfig;
  /** Only these procedures run (CalibrationParams.only). */
  only?: 'dark';
  /** Who the records name as their creator (the job's requester). */
  createdBy?: string;
  exposureUs: number;
  /** Auto-exposure aim (CalibrationParams.targetP99Fraction). */
  aim: number;
  whiteIssues: number;
  readonly level: number;
  readonly leds: number[];
  timings: Record<string, number>;
  dark?: { figures: ReturnType<typeof darkFrameFigures>; widthPx: number; heightPx: number; exposureUs: number };
  white?: { images: FloatImage[]; widthPx: number; heightPx: number };
  grid?: ReturnType<typeof measureDotGrid>;
  placements: MeasuredPlacement[];
  relief?: { plate: Uint8Array; planes: Float32Array[]; saturation: number; widthPx: number; heightPx: number; truthNormal?: Float32Array };
  solved?: Solved;
  outcomes: ProcedureOutcome[];
}

/** The booth model solved from the measurements, and the verification on the relief target. */
interface Solved {
  cal: BoothCalibration;
  k: Intrinsics;
  trayPlane: CameraPlane;
  intensity: ReturnType<typeof ledIntensitiesFromWhite>;
  ledSummary: ReturnType<typeof summariseLedPositions>;
  lightPositionErrorMm?: number;
  lightPositionMaxErrorMm?: number;
  sphereHeights: number[];
  verify: ReturnType<typeof verifyRelief>;
  verifyTruthNormalErrorDeg?: number;
}

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

/** A capture's frames are the camera's stream buffers: each is turned into images, then given back. */
function consume<T>(cap: SideCapture, use: (c: SideCapture) => T): T {
  try {
    return use(cap);
  } finally {
    cap.release();
  }
}

/**
 * One guided step as a stage: the simulator places the target (a real booth waits until the technician
 * confirms it is there), then the booth captures and the step measures what it needs.
 */
function guidedStage(s: CalibrationServices, id: string, place: SceneKind, seed: number, measure: (state: CalibrationState, job: JobContext, shoot: Shoot) => Promise<ProgressFigures>): Stage<CalibrationState> {
  const step = guidedSteps.find((g) => g.id === id);
  if (!step) throw createError('GB_INTERNAL', `no guided calibration step ${id}`);
  return {
    name: id,
    async run(state, job) {
      const t0 = performance.now();
      job.progress(0, step.instruction);
      if (s.booth.sim) await s.booth.sim.place({ kind: place, seed });
      else await job.awaitContinue(step.instruction);
      job.throwIfCancelled();
      const shoot: Shoot = (exposureUs, extra = {}) => captureSide(s.booth, { exposureUs, level: state.level, leds: state.leds, signal: job.signal, ...extra });
      const figures = await measure(state, job, shoot);
      state.timings[id] = performance.now() - t0;
      job.progress(1, `${id}: done in ${(state.timings[id] / 1000).toFixed(1)} s`, figures);
    },
  };
}

type Shoot = (exposureUs: number, extra?: Partial<Parameters<typeof captureSide>[1]>) => Promise<SideCapture>;

/**
 * The full booth calibration as stages: dark frame; auto-exposure and flat-field per LED on the white
 * target; tray plane, scale and lens distortion from the dot grid; LED 3D positions from the mirror
 * sphere at several placements; the relief target; then the model is solved and verified, and each
 * procedure is saved as a versioned, expiring record with its figures and pass/fail. In the simulated
 * booth the targets are placed by the simulator and the figures include the error against its truth.
 */
/** 1. Dark frame on the empty tray (one LED step keeps the sequence shape; only its dark frame counts). */
function darkStage(s: CalibrationServices): Stage<CalibrationState> {
  return guidedStage(s, 'dark', 'tray', 1, async (state, _job, shoot) => {
    const cap = await shoot(state.exposureUs, { leds: [0], failOnExposureError: false });
    state.dark = { figures: consume(cap, darkFrameFigures), widthPx: cap.width, heightPx: cap.height, exposureUs: cap.exposureUs };
    return { ...state.dark.figures };
  });
}

/** The dark frame alone: its capture, then its record. */
export function darkOnlyStages(s: CalibrationServices): Array<Stage<CalibrationState>> {
  return [
    darkStage(s),
    {
      name: 'publish',
      run: async (state, job) => {
        job.releaseHardware();
        const dark = required(state.dark, 'dark frame');
        const figures = { ...dark.figures, maxMeanFraction: calibrationThresholds.darkMaxMeanFraction };
        const passed = figuresPass('dark', dark.figures);
        const record = await s.repo.save({ procedure: 'dark', passed, figures, data: { widthPx: dark.widthPx, heightPx: dark.heightPx, exposureUs: dark.exposureUs }, validForMs: defaultValidityMs.dark, createdBy: state.createdBy, now: new Date() }, (b) => job.putFile(b));
        state.outcomes.push({ procedure: 'dark', passed, figures, record });
        const numbers = Object.fromEntries(Object.entries(figures).filter(([, v]) => typeof v === 'number' && Number.isFinite(v))) as Record<string, number>;
        job.progress(1, `saved dark v${record.version}: ${passed ? 'pass' : 'FAIL'}`, { procedure: 'dark', passed, ...numbers });
      },
    },
  ];
}

export function calibrationStages(s: CalibrationServices): Array<Stage<CalibrationState>> {
  const sim = (): SimulatedBooth | undefined => s.booth.sim;
  return [
    darkStage(s),
    // 2. White target: auto-exposure (probe, then scale to the aim), then the flat-field capture.
    guidedStage(s, 'white', 'white', 1, async (state, job, shoot) => {
      const e = state.exposureUs;
      const probe = await shoot(e, { failOnExposureError: false });
      probe.release(); // only its exposure figures are used
      const brightest = Math.max(...probe.frames.map((f) => f.exposure?.p99Fraction ?? 0));
      if (!(brightest > 0.005)) throw createError('GB_CAPTURE_EXPOSURE', `white target: no light seen at ${e} µs (99th percentile ${(100 * brightest).toFixed(2)}% of full scale); is the white target on the tray and the rig connected?`);
      state.exposureUs = Math.max(100, Math.min(1_000_000, Math.round((e * state.aim) / brightest)));
      job.progress(0.5, `auto-exposure: brightest LED at ${(100 * brightest).toFixed(1)}% with ${e} µs → ${state.exposureUs} µs`);
      const white = await shoot(state.exposureUs);
      state.whiteIssues = white.issues.length;
      state.white = { images: consume(white, linearImages), widthPx: white.width, heightPx: white.height };
      return { probeExposureUs: e, brightestP99Fraction: brightest, exposureUs: state.exposureUs, exposureWarnings: state.whiteIssues };
    }),
    // 3. Dot grid → radial distortion, grid plane, tray plane (grid thickness below), scale.
    guidedStage(s, 'dot-grid', 'dot-grid', 1, async (state, _job, shoot) => {
      const cap = await shoot(state.exposureUs);
      const grid = measureDotGrid(s.booth.intrinsics, meanImage(consume(cap, linearImages).slice(16)), state.targets.dotGrid.pitchMm);
      state.grid = grid;
      return { dots: grid.dots, rmsResidualPx: grid.rmsResidualPx, umPerPxAtGrid: grid.umPerPx, radialK1: grid.radialK1, tiltDeg: grid.tiltDeg };
    }),
    // 4. Mirror sphere at several placements → LED positions (with the distortion-aware camera model).
    ...Array.from({ length: SPHERE_PLACEMENTS }, (_, p) =>
      guidedStage(s, `sphere-${p + 1}`, 'chrome-sphere', p + 1, async (state, _job, shoot) => {
        // The sphere's highlights are saturated by design (a point LED in a mirror); only they saturate.
        const cap = await shoot(state.exposureUs, { exposureLimits: { maxSaturatedFraction: 0.05 } });
        const images = consume(cap, linearImages);
        const k = withRadialDistortion(s.booth.intrinsics, required(state.grid, 'dot grid').radialK1);
        const placed = measureSpherePlacement(k, sphereMask(images), images, state.targets.chromeSphere.radiusMm);
        state.placements.push(placed);
        return { highlightsFound: placed.highlights.filter((h) => h !== null).length, leds: placed.highlights.length, outlineRmsResidualPx: placed.circle.rmsResidualPx, sphereDistanceMm: placed.location.centreMm[2] };
      }),
    ),
    // 5. The relief target, for the verification.
    guidedStage(s, 'relief', 'relief', 1, async (state, _job, shoot) => {
      const cap = await shoot(state.exposureUs);
      const W = cap.width, H = cap.height;
      const { plate, planes, saturation } = consume(cap, (c) => ({ plate: plateMask(linearImages(c), W, H), ...psPlanes(c) }));
      const truthNormal = sim() ? Float32Array.from((await required(sim(), 'sim').renderer.groundTruth()).normal) : undefined;
      state.relief = { plate, planes, saturation, widthPx: W, heightPx: H, truthNormal };
      return { platePixels: plate.reduce((n, v) => n + v, 0) };
    }),
    { name: 'solve', run: async (state, job) => solveAndVerify(s, state, job) },
    { name: 'publish', run: async (state, job) => saveRecords(s, state, job) },
  ];
}

/** Solve the booth model (LED positions, intensities, flat field, tray plane, scale) and verify it on the relief target. */
async function solveAndVerify(s: CalibrationServices, state: CalibrationState, job: JobContext): Promise<void> {
  // Every capture is done: the booth is free for the next job.
  job.releaseHardware();
  const sim = s.booth.sim;
  const k0 = s.booth.intrinsics;
  const grid = required(state.grid, 'dot grid');
  const white = required(state.white, 'white target');
  const relief = required(state.relief, 'relief target');
  const targets = state.targets;
  const k = withRadialDistortion(k0, grid.radialK1);
  const trayPlane: CameraPlane = offsetPlane(grid.plane, -targets.dotGrid.thicknessMm);
  const trayUmPerPx = (grid.umPerPx * trayPlane.pointMm[2]) / grid.plane.pointMm[2];

  const tLights = performance.now();
  const ledResults = triangulateLeds(k, state.placements.map((m) => m.placement));
  const ledPositions = ledResults.map((l) => l.positionMm);
  const ledSummary = summariseLedPositions(ledResults);
  state.timings.triangulate = performance.now() - tLights;
  let lightPositionErrorMm: number | undefined;
  let lightPositionMaxErrorMm: number | undefined;
  if (sim) {
    const cam = sim.camera;
    const errs = ledPositions.map((p, i) => {
      const want = worldToCamera(sim.geometry.leds[i].positionMm as Vec3, cam.rotation, cam.positionMm as Vec3);
      return Math.hypot(p[0] - want[0], p[1] - want[1], p[2] - want[2]);
    });
    lightPositionErrorMm = mean(errs);
    lightPositionMaxErrorMm = Math.max(...errs);
  }
  const sphereHeights = state.placements.map((m) => {
    const c = m.location.centreMm;
    const n = trayPlane.normal;
    return (c[0] - trayPlane.pointMm[0]) * n[0] + (c[1] - trayPlane.pointMm[1]) * n[1] + (c[2] - trayPlane.pointMm[2]) * n[2];
  });
  job.progress(0.3, 'flat field');

  // Flat-field and intensities from the white capture, now that LED positions and the plane are known.
  const whitePlane = offsetPlane(trayPlane, targets.white.thicknessMm);
  const intensity = ledIntensitiesFromWhite(k, whitePlane, ledPositions, white.images, { gainMaps: true, stepPx: 16 });
  const cal: BoothCalibration = {
    intrinsics: k,
    radialK1: grid.radialK1,
    widthPx: white.widthPx,
    heightPx: white.heightPx,
    exposureUs: state.exposureUs,
    level: state.level,
    leds: state.leds,
    trayPlane,
    umPerPx: trayUmPerPx,
    ledPositionsMm: ledPositions,
    ledIntensities: intensity.relative,
    gainMaps: intensity.gainMaps ?? [],
    recordIds: {},
  };
  job.progress(0.6, 'verification on the relief target');

  const tVerify = performance.now();
  const spec = targets.relief;
  const W = relief.widthPx, H = relief.heightPx;
  const ps = await solvePhotometricStereo(relief.planes, calibratedLights(cal, spec.thicknessMm), { mask: relief.plate, saturation: relief.saturation });
  const depth = await integrateNormals(ps.normals, W, H, { mask: relief.plate });
  const plateUmPerPx = (trayUmPerPx * offsetPlane(trayPlane, spec.thicknessMm).pointMm[2]) / trayPlane.pointMm[2];
  const verify = verifyRelief(k, trayPlane, spec, ps.normals, depth.heightPx, relief.plate, W, H, plateUmPerPx);
  const verifyTruthNormalErrorDeg = relief.truthNormal ? normalError(ps.normals, relief.truthNormal, verify.mask).meanDeg : undefined;
  state.timings.verify = performance.now() - tVerify;
  state.relief = undefined;
  state.white = undefined;
  state.solved = { cal, k, trayPlane, intensity, ledSummary, lightPositionErrorMm, lightPositionMaxErrorMm, sphereHeights, verify, verifyTruthNormalErrorDeg };
  job.progress(1, 'model solved and verified', {
    leds: ledSummary.leds, maxResidualMm: ledSummary.maxResidualMm, maxUncertaintyMm: ledSummary.maxUncertaintyMm,
    relativeIntensityMin: Math.min(...intensity.relative), relativeIntensityMax: Math.max(...intensity.relative), maxSpreadPercent: Math.max(...intensity.spreadPercent),
    normalErrorMeanDeg: verify.normalErrorMeanDeg, capHeightErrorMm: verify.capHeightErrorMm,
  });
}

/** Records: one per procedure, each with its figures, thresholds and pass/fail. */
async function saveRecords(s: CalibrationServices, state: CalibrationState, job: JobContext): Promise<void> {
  const { repo, booth } = s;
  const sim = booth.sim;
  const k0 = booth.intrinsics;
  const T = calibrationThresholds;
  const grid = required(state.grid, 'dot grid');
  const dark = required(state.dark, 'dark frame');
  const { cal, trayPlane, intensity, ledSummary, lightPositionErrorMm, lightPositionMaxErrorMm, sphereHeights, verify: ver, verifyTruthNormalErrorDeg } = required(state.solved, 'solved model');
  const targets = state.targets;
  const now = new Date();
  const save = async (procedure: ProcedureName, passed: boolean, figures: Record<string, unknown>, data: unknown): Promise<void> => {
    job.throwIfCancelled();
    const record = await repo.save({ procedure, passed, figures, data, validForMs: defaultValidityMs[procedure], createdBy: state.createdBy, now }, (b) => job.putFile(b));
    state.outcomes.push({ procedure, passed, figures, record });
    const numbers = Object.fromEntries(Object.entries(figures).filter(([, v]) => typeof v === 'number' && Number.isFinite(v))) as Record<string, number>;
    job.progress(state.outcomes.length / 5, `saved ${procedure} v${record.version}: ${passed ? 'pass' : 'FAIL'}`, { procedure, passed, ...numbers });
  };
  await save('dark', figuresPass('dark', dark.figures), { ...dark.figures, maxMeanFraction: T.darkMaxMeanFraction }, { widthPx: dark.widthPx, heightPx: dark.heightPx, exposureUs: dark.exposureUs });
  const relMin = Math.min(...intensity.relative), relMax = Math.max(...intensity.relative);
  const flatFigures: Record<string, unknown> = {
    exposureUs: state.exposureUs, level: state.level, relativeIntensityMin: relMin, relativeIntensityMax: relMax,
    maxSpreadPercent: Math.max(...intensity.spreadPercent), minSamples: Math.min(...intensity.samples),
    exposureWarnings: state.whiteIssues, intensityFactorLimit: T.flatIntensityFactor, maxSpreadLimitPercent: T.flatMaxSpreadPercent,
  };
  if (sim) {
    const truth = sim.geometry.leds.map((l) => l.radiantIntensityWSr);
    const tm = mean(truth);
    flatFigures.truthIntensityErrorPercent = mean(intensity.relative.map((r, i) => Math.abs(r / (truth[i] / tm) - 1) * 100));
  }
  const flatData: FlatData = { exposureUs: state.exposureUs, level: state.level, leds: state.leds, relative: intensity.relative, gainMaps: gainMapsForRecord(cal.gainMaps) };
  await save('flat', figuresPass('flat', flatFigures), flatFigures, flatData);
  const lightsFigures: Record<string, unknown> = { ...ledSummary, placements: state.placements.length, maxResidualLimitMm: T.lightsMaxResidualMm, maxUncertaintyLimitMm: T.lightsMaxUncertaintyMm };
  if (lightPositionErrorMm !== undefined) Object.assign(lightsFigures, { truthMeanErrorMm: lightPositionErrorMm, truthMaxErrorMm: lightPositionMaxErrorMm });
  const lightsData: LightsData = { intrinsics: { fxPx: k0.fxPx, fyPx: k0.fyPx, cxPx: k0.cxPx, cyPx: k0.cyPx }, radialK1: grid.radialK1, widthPx: cal.widthPx, heightPx: cal.heightPx, ledPositionsMm: cal.ledPositionsMm };
  await save('lights', figuresPass('lights', lightsFigures), lightsFigures, lightsData);
  const trayUmPerPx = cal.umPerPx;
  const scaleFigures: Record<string, unknown> = {
    umPerPxAtTray: trayUmPerPx, umPerPxAtGrid: grid.umPerPx, dots: grid.dots, radialK1: grid.radialK1,
    rmsPinholeResidualPx: grid.rmsBeforeDistortionPx, rmsResidualPx: grid.rmsResidualPx, maxResidualPx: grid.maxResidualPx,
    tiltDeg: grid.tiltDeg, trayDistanceMm: trayPlane.pointMm[2], sphereHeightErrorMm: mean(sphereHeights.map((h) => Math.abs(h - targets.chromeSphere.radiusMm))),
    rmsResidualLimitPx: T.scaleMaxRmsResidualPx,
  };
  if (sim) {
    const cam = sim.camera;
    const trayOrigin = worldToCamera([0, 0, 0], cam.rotation, cam.positionMm as Vec3);
    const n = trayPlane.normal;
    scaleFigures.truthTrayDistanceErrorMm = (trayOrigin[0] - trayPlane.pointMm[0]) * n[0] + (trayOrigin[1] - trayPlane.pointMm[1]) * n[1] + (trayOrigin[2] - trayPlane.pointMm[2]) * n[2];
    scaleFigures.truthUmPerPxAtTray = (cam.positionMm[2] / cam.fxPx) * 1000;
    scaleFigures.truthRadialK1 = cam.k1;
  }
  const scaleData: ScaleData = { trayPlane, umPerPx: trayUmPerPx, radialK1: grid.radialK1 };
  await save('scale', figuresPass('scale', scaleFigures), scaleFigures, scaleData);
  const verifyFigures: Record<string, unknown> = {
    normalErrorMeanDeg: ver.normalErrorMeanDeg, normalErrorMedianDeg: ver.normalErrorMedianDeg, pixels: ver.pixels,
    capHeightMm: ver.capHeightMm, capHeightErrorMm: ver.capHeightErrorMm, plateRotationDeg: ver.pose.rotationDeg,
    maxNormalErrorDeg: T.verifyMaxNormalErrorDeg, maxHeightErrorMm: T.verifyMaxHeightErrorMm,
  };
  if (verifyTruthNormalErrorDeg !== undefined) verifyFigures.truthNormalErrorMeanDeg = verifyTruthNormalErrorDeg;
  await save('verify', figuresPass('verify', verifyFigures), verifyFigures, { pose: ver.pose });
}

/** The result of a finished run. */
export function calibrationResult(state: CalibrationState): CalibrationRunResult {
  const solved = required(state.solved, 'solved model');
  return {
    pass: state.outcomes.length === allProcedures.length && state.outcomes.every((o) => o.passed),
    procedures: state.outcomes,
    lightPositionErrorMm: solved.lightPositionErrorMm,
    verifyNormalErrorDeg: solved.verify.normalErrorMeanDeg,
    verifyHeightErrorMm: solved.verify.capHeightErrorMm,
    timingsMs: state.timings,
  };
}

/** The `calibration` job: every procedure, in the guided order, saved as records. */
export function calibrationJobKind(s: CalibrationServices): JobKindDefinition<CalibrationParams, CalibrationState> {
  return {
    kind: 'calibration',
    prepare(params) {
      const probe = params.probeExposureUs ?? 10_000;
      const aim = params.targetP99Fraction ?? 0.6;
      const only = params.only;
      if (only !== undefined && only !== 'dark') throw createError('GB_VALIDATION', `only: expected "dark" (the one procedure that needs no other) or nothing, got ${JSON.stringify(only)}`);
      if (typeof probe !== 'number' || !(probe >= 100 && probe <= 1_000_000)) throw createError('GB_VALIDATION', `probeExposureUs: expected 100..1000000 µs, got ${JSON.stringify(probe)}`);
      if (typeof aim !== 'number' || !(aim > 0.05 && aim < 0.95)) throw createError('GB_VALIDATION', `targetP99Fraction: expected a fraction between 0.05 and 0.95, got ${JSON.stringify(aim)}`);
      return { params: { probeExposureUs: probe, targetP99Fraction: aim, ...(only ? { only } : {}) } };
    },
    async plan(params, job) {
      const state: CalibrationState = {
        targets: await s.targets(),
        ...(params.only ? { only: params.only } : {}),
        createdBy: job.requestedBy,
        exposureUs: params.probeExposureUs,
        aim: params.targetP99Fraction,
        level: 4095,
        leds: Array.from({ length: 24 }, (_, i) => i),
        timings: {},
        whiteIssues: 0,
        placements: [],
        outcomes: [],
      };
      return { state, stages: params.only === 'dark' ? darkOnlyStages(s) : calibrationStages(s) };
    },
    result: (state) => {
      const view = (p: ProcedureOutcome) => ({ procedure: p.procedure, passed: p.passed, id: p.record.id, version: p.record.version, expiresAt: p.record.expiresAt, figures: p.figures });
      if (state.only === 'dark') return { pass: state.outcomes.length === 1 && state.outcomes[0].passed, only: 'dark', procedures: state.outcomes.map(view), timingsMs: state.timings };
      const r = calibrationResult(state);
      return { ...r, procedures: r.procedures.map((p) => ({ procedure: p.procedure, passed: p.passed, id: p.record.id, version: p.record.version, expiresAt: p.record.expiresAt, figures: p.figures })) };
    },
  };
}

function required<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw createError('GB_INTERNAL', `calibration stage order: ${what} is not measured yet`);
  return v;
}

/** Dark-frame figures: mean above the black level and spread, DN and fraction of full scale. */
function darkFrameFigures(cap: SideCapture): Record<string, number> & { meanAboveBlackFraction: number } {
  const d = cap.dark.data;
  let s = 0, s2 = 0;
  for (let i = 0; i < d.length; i++) { s += d[i]; s2 += d[i] * d[i]; }
  const m = s / d.length;
  const sd = Math.sqrt(Math.max(0, s2 / d.length - m * m));
  const sorted = Float64Array.from(d.filter((_, i) => i % 5 === 0)).sort();
  const median = sorted[sorted.length >> 1];
  // The black level is the median (an offset, not light); light leaking in raises the mean above it.
  let hot = 0;
  for (let i = 0; i < d.length; i++) if (d[i] > median + 10 * sd + 16) hot++;
  return { meanDn: m, medianDn: median, stdDn: sd, hotPixelFraction: hot / d.length, meanAboveBlackFraction: (m - median) / cap.fullScaleDn };
}

/**
 * Sphere mask: pixels that are dark in most LED frames (a mirror shows only small point highlights) where
 * the tray is lit in each. Counting frames against per-frame thresholds is a cheap per-pixel median test.
 */
function sphereMask(images: readonly FloatImage[]): FloatImage {
  const { width, height } = images[0];
  const count = new Uint8Array(width * height);
  for (const img of images) {
    const threshold = 0.25 * sampledMedian(img.data);
    for (let i = 0; i < count.length; i++) if (img.data[i] >= threshold) count[i]++;
  }
  const m = new Uint8Array(width * height);
  for (let i = 0; i < m.length; i++) m[i] = count[i] < images.length / 2 ? 1 : 0;
  const disc = largestFilledComponent(m, width, height);
  return { width, height, data: Float32Array.from(disc) };
}

/** The relief plate: bright in the mean over LEDs against the darker tray. */
function plateMask(images: readonly FloatImage[], width: number, height: number): Uint8Array {
  const m = meanImage(images);
  const sorted = Float32Array.from(m.data.filter((_, i) => i % 7 === 0)).sort();
  const bright = sorted[Math.floor(sorted.length * 0.9)];
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = m.data[i] > 0.5 * bright ? 1 : 0;
  return largestFilledComponent(mask, width, height);
}
