import type { Booth } from '../../booth/booth.ts';
import { captureSide, type SideCapture } from '../../capture/sequencer.ts';
import { createError } from '../../core/errors.ts';
import type { EventBus } from '../../core/events.ts';
import type { FloatImage } from '../../imaging/image.ts';
import type { CalibrationRecord, CalibrationRepository } from '../../storage/calibrations.ts';
import type { SceneConfig } from '../../sim/scenes/scene-config.ts';
import { integrateNormals } from '../../vision/integrate.ts';
import { normalError, solvePhotometricStereo } from '../../vision/ps.ts';
import { ledIntensitiesFromWhite } from '../led-intensity.ts';
import { summariseLedPositions, triangulateLeds, worldToCamera } from '../led-positions.ts';
import type { Vec3 } from '../mirror-sphere.ts';
import { defaultValidityMs, type ProcedureName } from '../procedures.ts';
import { measureSpherePlacement, type MeasuredPlacement } from '../sphere-placement.ts';
import { measureDotGrid } from './dot-grid.ts';
import { largestFilledComponent, linearImages, meanImage, psPlanes, sampledMedian } from './images.ts';
import { calibratedLights, gainMapsForRecord, type BoothCalibration, type FlatData, type LightsData, type ScaleData } from './model.ts';
import { offsetPlane, type CameraPlane } from './plane.ts';
import { verifyRelief } from './relief-verify.ts';
import { guidedSteps, SPHERE_PLACEMENTS, type GuidedStep } from './steps.ts';
import { withRadialDistortion } from './distortion.ts';

/** Pass/fail thresholds of the procedures. */
export const calibrationThresholds = {
  /** Dark frame: mean above the black level, as a fraction of full scale. */
  darkMaxMeanFraction: 0.02,
  /** Flat: every LED's relative intensity within this factor of the mean (rings differ by design; a dead LED does not). */
  flatIntensityFactor: 10,
  /** Flat: robust spread of one LED's intensity estimate over the target, percent (dust, a tilted target). */
  flatMaxSpreadPercent: 25,
  /** Lights: rays of one LED must meet within this, mm. */
  lightsMaxResidualMm: 0.5,
  /** Lights: largest reported 1σ position uncertainty, mm. */
  lightsMaxUncertaintyMm: 2,
  /** Scale: homography fit RMS after the radial distortion is removed, px (more: a lens model is missing). */
  scaleMaxRmsResidualPx: 0.3,
  /** Verify: mean normal error on the relief target, degrees. */
  verifyMaxNormalErrorDeg: 1,
  /** Verify: sphere-cap height error, mm. */
  verifyMaxHeightErrorMm: 0.05,
} as const;

/** Progress of the run: step index/total, and a line for the technician. */
export type CalibrationProgress = (event: { step: GuidedStep; index: number; total: number; fraction: number; message: string }) => void;

export interface CalibrationRunOptions {
  booth: Booth;
  repo: CalibrationRepository;
  /** Target definitions (calibration/sim-targets.json: sphere radius, dot pitch, plate thicknesses, relief). */
  targets: SceneConfig;
  progress?: CalibrationProgress;
  /** Also publish progress as 'job.progress' events (stage = the guided step's id) with this job id. */
  bus?: EventBus;
  jobId?: string;
  /** Waits for the technician to do a step (real booth); the simulated booth places targets itself. */
  awaitTechnician?: (step: GuidedStep) => Promise<void>;
  createdBy?: string;
  /** Exposure of the first white-target capture, µs, before auto-exposure (default 10 000). */
  probeExposureUs?: number;
  /** Aim of auto-exposure: 99th-percentile white signal under the brightest LED, fraction of full scale. */
  targetP99Fraction?: number;
}

export interface ProcedureOutcome {
  procedure: ProcedureName;
  passed: boolean;
  figures: Record<string, unknown>;
  record: CalibrationRecord;
}

export interface CalibrationRunResult {
  pass: boolean;
  procedures: ProcedureOutcome[];
  /** Simulated booth only: mean LED position error against the simulator, mm. */
  lightPositionErrorMm?: number;
  verifyNormalErrorDeg: number;
  verifyHeightErrorMm: number;
  timingsMs: Record<string, number>;
}

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

/**
 * The full booth calibration: dark frame; auto-exposure and flat-field per LED on the white target; LED 3D
 * positions from the mirror sphere at several placements; tray plane and scale from the dot grid; then a
 * verification on the relief target against its known geometry. Each procedure is saved as a versioned,
 * expiring record with its figures and pass/fail. In the simulated booth the targets are placed by the
 * simulator and the figures include the error against its truth.
 */
export async function runCalibration(options: CalibrationRunOptions): Promise<CalibrationRunResult> {
  const { booth, repo, targets } = options;
  const k0 = booth.intrinsics;
  const sim = booth.sim;
  const timings: Record<string, number> = {};
  const total = guidedSteps.length;
  let stepIndex = 0;
  const say = (fraction: number, message: string): void => {
    options.progress?.({ step: guidedSteps[stepIndex], index: stepIndex, total, fraction, message });
    if (options.bus && options.jobId) options.bus.emit('job.progress', { jobId: options.jobId, stage: guidedSteps[stepIndex].id, fraction: (stepIndex + fraction) / total, message });
  };
  const leds = Array.from({ length: 24 }, (_, i) => i);
  let exposureUs = options.probeExposureUs ?? 10_000;
  const level = 4095;

  const doStep = async (id: string, place: () => Promise<void>, capture: (exposure: number) => Promise<SideCapture>): Promise<SideCapture> => {
    stepIndex = guidedSteps.findIndex((s) => s.id === id);
    const step = guidedSteps[stepIndex];
    const t0 = performance.now();
    say(0, step.instruction);
    if (sim) await place();
    else if (options.awaitTechnician) await options.awaitTechnician(step);
    else throw createError('GB_USAGE', `calibration step "${id}" needs a technician: ${step.instruction}`);
    const cap = await capture(exposureUs);
    timings[id] = performance.now() - t0;
    say(1, `${id}: captured ${cap.frames.length} LED frames in ${(timings[id] / 1000).toFixed(1)} s`);
    return cap;
  };
  // A capture's frames are the camera's stream buffers: each is turned into images, then given back.
  const consume = <T>(cap: SideCapture, use: (c: SideCapture) => T): T => {
    try {
      return use(cap);
    } finally {
      cap.release();
    }
  };
  const shoot = (exposure: number, extra: Partial<Parameters<typeof captureSide>[1]> = {}): Promise<SideCapture> => captureSide(booth, { exposureUs: exposure, level, leds, ...extra });

  // 1. Dark frame on the empty tray (one LED step keeps the sequence shape; only its dark frame counts).
  const darkCap = await doStep('dark', async () => void (await sim?.place({ kind: 'tray', seed: 1 })), (e) => shoot(e, { leds: [0], failOnExposureError: false }));
  const darkFigures = consume(darkCap, darkFrameFigures);

  // 2. White target: auto-exposure (probe, then scale to the aim), then the flat-field capture.
  const aim = options.targetP99Fraction ?? 0.6;
  const white = await doStep('white', async () => void (await sim?.place({ kind: 'white', seed: 1 })), async (e) => {
    const probe = await shoot(e, { failOnExposureError: false });
    probe.release(); // only its exposure figures are used
    const brightest = Math.max(...probe.frames.map((f) => f.exposure?.p99Fraction ?? 0));
    if (!(brightest > 0.005)) throw createError('GB_CAPTURE_EXPOSURE', `white target: no light seen at ${e} µs (99th percentile ${(100 * brightest).toFixed(2)}% of full scale); is the white target on the tray and the rig connected?`);
    exposureUs = Math.max(100, Math.min(1_000_000, Math.round((e * aim) / brightest)));
    say(0.5, `auto-exposure: brightest LED at ${(100 * brightest).toFixed(1)}% with ${e} µs → ${exposureUs} µs`);
    return shoot(exposureUs);
  });
  const whiteImages = consume(white, linearImages);

  // 3. Dot grid → radial distortion, grid plane, tray plane (grid thickness below), scale. Everything after
  // uses the distortion-aware camera model.
  const gridCap = await doStep('dot-grid', async () => void (await sim?.place({ kind: 'dot-grid', seed: 1 })), (e) => shoot(e));
  const grid = measureDotGrid(k0, meanImage(consume(gridCap, linearImages).slice(16)), targets.dotGrid.pitchMm);
  const k = withRadialDistortion(k0, grid.radialK1);
  const trayPlane: CameraPlane = offsetPlane(grid.plane, -targets.dotGrid.thicknessMm);
  const trayUmPerPx = (grid.umPerPx * trayPlane.pointMm[2]) / grid.plane.pointMm[2];

  // 4. Mirror sphere at several placements → LED positions.
  const placements: MeasuredPlacement[] = [];
  for (let p = 0; p < SPHERE_PLACEMENTS; p++) {
    const cap = await doStep(`sphere-${p + 1}`, async () => void (await sim?.place({ kind: 'chrome-sphere', seed: p + 1 })), (e) =>
      // The sphere's highlights are saturated by design (a point LED in a mirror); only they saturate.
      shoot(e, { exposureLimits: { maxSaturatedFraction: 0.05 } }));
    const images = consume(cap, linearImages);
    placements.push(measureSpherePlacement(k, sphereMask(images), images, targets.chromeSphere.radiusMm));
  }
  const tLights = performance.now();
  const ledResults = triangulateLeds(k, placements.map((m) => m.placement));
  const ledPositions = ledResults.map((l) => l.positionMm);
  const ledSummary = summariseLedPositions(ledResults);
  timings.triangulate = performance.now() - tLights;
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

  const sphereHeights = placements.map((m) => {
    const c = m.location.centreMm;
    const n = trayPlane.normal;
    return (c[0] - trayPlane.pointMm[0]) * n[0] + (c[1] - trayPlane.pointMm[1]) * n[1] + (c[2] - trayPlane.pointMm[2]) * n[2];
  });

  // 5. Flat-field and intensities from the white capture, now that LED positions and the plane are known.
  const whitePlane = offsetPlane(trayPlane, targets.white.thicknessMm);
  const intensity = ledIntensitiesFromWhite(k, whitePlane, ledPositions, whiteImages, { gainMaps: true, stepPx: 16 });

  const cal: BoothCalibration = {
    intrinsics: k,
    radialK1: grid.radialK1,
    widthPx: white.width,
    heightPx: white.height,
    exposureUs,
    level,
    leds,
    trayPlane,
    umPerPx: trayUmPerPx,
    ledPositionsMm: ledPositions,
    ledIntensities: intensity.relative,
    gainMaps: intensity.gainMaps ?? [],
    recordIds: {},
  };

  // 6. Verification on the relief target.
  const reliefCap = await doStep('relief', async () => void (await sim?.place({ kind: 'relief', seed: 1 })), (e) => shoot(e));
  const tVerify = performance.now();
  const spec = targets.relief;
  const W = reliefCap.width, H = reliefCap.height;
  const { plate, planes, saturation } = consume(reliefCap, (c) => ({ plate: plateMask(linearImages(c), W, H), ...psPlanes(c) }));
  const ps = await solvePhotometricStereo(planes, calibratedLights(cal, spec.thicknessMm), { mask: plate, saturation });
  const depth = await integrateNormals(ps.normals, W, H, { mask: plate });
  const plateUmPerPx = (trayUmPerPx * offsetPlane(trayPlane, spec.thicknessMm).pointMm[2]) / trayPlane.pointMm[2];
  const ver = verifyRelief(k, trayPlane, spec, ps.normals, depth.heightPx, plate, W, H, plateUmPerPx);
  let verifyTruthNormalErrorDeg: number | undefined;
  if (sim) {
    const gt = await sim.renderer.groundTruth();
    verifyTruthNormalErrorDeg = normalError(ps.normals, gt.normal, ver.mask).meanDeg;
  }
  timings.verify = performance.now() - tVerify;

  // Records: one per procedure, each with its figures, thresholds and pass/fail.
  const T = calibrationThresholds;
  const now = new Date();
  const outcomes: ProcedureOutcome[] = [];
  const save = async (procedure: ProcedureName, passed: boolean, figures: Record<string, unknown>, data: unknown): Promise<void> => {
    const record = await repo.save({ procedure, passed, figures, data, validForMs: defaultValidityMs[procedure], createdBy: options.createdBy, now });
    outcomes.push({ procedure, passed, figures, record });
  };
  await save('dark', darkFigures.meanAboveBlackFraction <= T.darkMaxMeanFraction, { ...darkFigures, maxMeanFraction: T.darkMaxMeanFraction }, { widthPx: darkCap.width, heightPx: darkCap.height, exposureUs: darkCap.exposureUs });
  const relMin = Math.min(...intensity.relative), relMax = Math.max(...intensity.relative);
  const flatFigures: Record<string, unknown> = {
    exposureUs, level, relativeIntensityMin: relMin, relativeIntensityMax: relMax,
    maxSpreadPercent: Math.max(...intensity.spreadPercent), minSamples: Math.min(...intensity.samples),
    exposureWarnings: white.issues.length, intensityFactorLimit: T.flatIntensityFactor, maxSpreadLimitPercent: T.flatMaxSpreadPercent,
  };
  if (sim) {
    const truth = sim.geometry.leds.map((l) => l.radiantIntensityWSr);
    const tm = mean(truth);
    flatFigures.truthIntensityErrorPercent = mean(intensity.relative.map((r, i) => Math.abs(r / (truth[i] / tm) - 1) * 100));
  }
  const flatData: FlatData = { exposureUs, level, leds, relative: intensity.relative, gainMaps: gainMapsForRecord(cal.gainMaps) };
  const flatPass = relMin >= 1 / T.flatIntensityFactor && relMax <= T.flatIntensityFactor && Math.max(...intensity.spreadPercent) <= T.flatMaxSpreadPercent;
  await save('flat', flatPass, flatFigures, flatData);
  const lightsFigures: Record<string, unknown> = { ...ledSummary, placements: placements.length, maxResidualLimitMm: T.lightsMaxResidualMm, maxUncertaintyLimitMm: T.lightsMaxUncertaintyMm };
  if (lightPositionErrorMm !== undefined) Object.assign(lightsFigures, { truthMeanErrorMm: lightPositionErrorMm, truthMaxErrorMm: lightPositionMaxErrorMm });
  const lightsData: LightsData = { intrinsics: { fxPx: k0.fxPx, fyPx: k0.fyPx, cxPx: k0.cxPx, cyPx: k0.cyPx }, radialK1: grid.radialK1, widthPx: cal.widthPx, heightPx: cal.heightPx, ledPositionsMm: ledPositions };
  await save('lights', ledSummary.leds === 24 && ledSummary.maxResidualMm <= T.lightsMaxResidualMm && ledSummary.maxUncertaintyMm <= T.lightsMaxUncertaintyMm, lightsFigures, lightsData);
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
  await save('scale', grid.dots >= 100 && grid.rmsResidualPx <= T.scaleMaxRmsResidualPx, scaleFigures, scaleData);
  const verifyFigures: Record<string, unknown> = {
    normalErrorMeanDeg: ver.normalErrorMeanDeg, normalErrorMedianDeg: ver.normalErrorMedianDeg, pixels: ver.pixels,
    capHeightMm: ver.capHeightMm, capHeightErrorMm: ver.capHeightErrorMm, plateRotationDeg: ver.pose.rotationDeg,
    maxNormalErrorDeg: T.verifyMaxNormalErrorDeg, maxHeightErrorMm: T.verifyMaxHeightErrorMm,
  };
  if (verifyTruthNormalErrorDeg !== undefined) verifyFigures.truthNormalErrorMeanDeg = verifyTruthNormalErrorDeg;
  await save('verify', ver.normalErrorMeanDeg <= T.verifyMaxNormalErrorDeg && Math.abs(ver.capHeightErrorMm) <= T.verifyMaxHeightErrorMm, verifyFigures, { pose: ver.pose });
  return {
    pass: outcomes.every((o) => o.passed),
    procedures: outcomes,
    lightPositionErrorMm,
    verifyNormalErrorDeg: ver.normalErrorMeanDeg,
    verifyHeightErrorMm: ver.capHeightErrorMm,
    timingsMs: timings,
  };
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
