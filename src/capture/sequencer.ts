import { createError, GradeboothError, isGradeboothError } from '../core/errors.ts';
import type { EventBus } from '../core/events.ts';
import type { Camera, CameraFrame, PixelFormat } from '../hardware/camera/camera.ts';
import type { Rig } from '../hardware/rig/rig.ts';
import type { SequenceStep, StepDoneEvent } from '../hardware/rig/codecs.ts';
import { Fault, faultNames } from '../hardware/rig/messages.ts';
import { checkExposure, defaultExposureLimits, exposureStats, fullScaleDn, type ExposureIssue, type ExposureLimits, type ExposureStats } from './exposure.ts';

/**
 * How a booth starts its exposures. 'line': the rig's trigger output is wired to the camera's trigger
 * input, and the firmware times LED, trigger and switch-off to the microsecond (the booth as designed).
 * 'software': the camera has no trigger wire (or it is broken, or it is Aravis' fake camera): the host
 * latches each step's LEDs, sends the camera a software trigger and keeps the LEDs on until the frame is
 * in. Slower (round trips per frame), but every frame is still exposed under exactly its step's LEDs.
 */
export type CaptureTrigger = 'line' | 'software';

/** What the sequencer drives: the rig and the camera wired to its trigger output, and how they are wired. */
export interface CaptureHardware {
  rig: Rig;
  camera: Camera;
  /** Default 'line'. */
  cameraTrigger?: CaptureTrigger;
  /** This booth's longest wait for any one frame, ms (a capture's own frameTimeoutMs wins; default 15 000). */
  frameTimeoutMs?: number;
  /** This booth's capture pixel format (a capture's own pixelFormat wins; default Mono16). */
  pixelFormat?: PixelFormat;
}

export interface CaptureOptions {
  /** LED channels, one frame each, in this order (default 0..23). */
  leds?: readonly number[];
  /** 12-bit level of each lit LED (default 4095). */
  level?: number;
  /** Camera exposure, µs; the LED stays on this long after the trigger edge. */
  exposureUs: number;
  /** LED latch to trigger edge, µs (default 1000: the driver's output settles). */
  settleUs?: number;
  /** Trigger pulse width, µs (default 100). */
  triggerUs?: number;
  pixelFormat?: PixelFormat;
  /** Longest wait for any one frame after the previous one, ms (default 15 000). */
  frameTimeoutMs?: number;
  /** Allowed disagreement between camera and firmware trigger spacing, µs (default 200 + 0.5%). */
  spacingToleranceUs?: number;
  exposureLimits?: Partial<ExposureLimits>;
  /** Exposure problems at 'error' severity fail the capture (default true). */
  failOnExposureError?: boolean;
  /** Progress of the capture, 0..1, with a line for people. */
  onProgress?: (fraction: number, message: string) => void;
  /** Progress as 'job.progress' events with this job id and stage name. */
  bus?: EventBus;
  jobId?: string;
  stage?: string;
  signal?: AbortSignal;
}

/** One frame, matched to its rig step. lightIndex −1 is the dark frame. */
export interface CapturedFrame {
  lightIndex: number;
  /** LED channel lit (null for the dark frame). */
  ledChannel: number | null;
  level: number;
  width: number;
  height: number;
  pixelFormat: PixelFormat;
  /** The camera frame's samples: valid until the SideCapture is released (then reading throws GB_CONFLICT). */
  readonly data: Uint16Array;
  exposureUs: number;
  gain: number;
  /** Camera clock at the trigger edge, µs. */
  timestampUs: number;
  /** Firmware clock at the trigger edge, µs (STEP_DONE). */
  firmwareTriggerUs: number;
  latenessUs: number;
  onUs: number;
  frameId: number;
  /** Exposure figures versus the dark frame (absent on the dark frame). */
  exposure?: ExposureStats;
}

/**
 * A whole side: the dark frame and one frame per LED, plus the exposure findings. The frames' samples are
 * the camera's stream buffers, lent until release(): call it as soon as the data is no longer needed
 * (stored and reconstructed), on every path, or the camera runs out of buffers.
 */
export interface SideCapture {
  width: number;
  height: number;
  pixelFormat: PixelFormat;
  fullScaleDn: number;
  exposureUs: number;
  level: number;
  dark: CapturedFrame;
  frames: CapturedFrame[];
  issues: ExposureIssue[];
  timingsMs: { total: number };
  /** Give every frame's buffer back to the camera (idempotent); the frames' data must not be read afterwards. */
  release(): void;
}

/** The sequence for one side: a dark step (mask 0) first, then one step per LED. */
export function sideSequence(leds: readonly number[], level: number, timing: { settleUs: number; triggerUs: number; exposureUs: number }): SequenceStep[] {
  return [{ channels: [], level: 0, ...timing }, ...leds.map((ch) => ({ channels: [ch], level, ...timing }))];
}

/** Difference of two firmware u32 µs timestamps, wrap-safe. */
function firmwareDeltaUs(later: number, earlier: number): number {
  return (later - earlier + 2 ** 32) % 2 ** 32;
}

/**
 * Capture one side: upload a dark step and one step per LED, arm the camera in hardware-trigger mode, run
 * the sequence on the rig and collect one frame per step. Frames are matched to STEP_DONE events by order;
 * the spacing of camera timestamps must agree with the firmware's trigger times (a lost trigger or a stray
 * frame shifts everything, which this catches). Any failure — rig fault or reset, camera timeout, lost or
 * mismatched frame, exposure error — aborts the sequence, turns the LEDs off, disarms the camera and
 * throws a coded error; nothing is stored here.
 */
export async function captureSide(hw: CaptureHardware, options: CaptureOptions): Promise<SideCapture> {
  const t0 = performance.now();
  const plan = capturePlan(options, hw);
  const { total } = plan;
  const progress = (done: number, message: string): void => {
    options.onProgress?.(done / total, message);
    if (options.bus && options.jobId) options.bus.emit('job.progress', { jobId: options.jobId, stage: options.stage ?? 'capture', fraction: done / total, message });
  };
  const config = await armCapture(hw, plan).catch(async (err: unknown) => {
    throw await cameraLostOr(hw.camera, err);
  });
  progress(0, `capturing ${total} frames (dark + ${plan.leds.length} LEDs) at ${plan.exposureUs} µs${plan.trigger === 'software' ? ' (software trigger)' : ''}`);
  const onFrame = (n: number): void => progress(n, n === 1 ? 'dark frame' : `LED ${plan.leds[n - 2]}`);
  const { frames, events, release } = await (plan.trigger === 'software' ? runSoftwareTriggered(hw, plan, options.signal, onFrame) : runAndCollect(hw, plan, options.signal, onFrame)).catch(async (err: unknown) => {
    throw await cameraLostOr(hw.camera, err);
  });
  await hw.camera.stopAcquisition();
  const side = assembleSide(plan, frames, events, release, config.exposureUs, options);
  progress(total, `captured ${total} frames`);
  return { ...side, timingsMs: { total: performance.now() - t0 } };
}

/** The checked settings of one capture. */
interface CapturePlan {
  leds: readonly number[];
  level: number;
  exposureUs: number;
  pixelFormat: PixelFormat;
  frameTimeoutMs: number;
  steps: SequenceStep[];
  total: number;
  spacingToleranceUs: number | undefined;
  trigger: CaptureTrigger;
  settleUs: number;
}

function capturePlan(options: CaptureOptions, hw: CaptureHardware): CapturePlan {
  const leds = options.leds ?? Array.from({ length: 24 }, (_, i) => i);
  const level = options.level ?? 4095;
  const settleUs = options.settleUs ?? 1000;
  const triggerUs = options.triggerUs ?? 100;
  const exposureUs = Math.round(options.exposureUs);
  if (leds.length < 1) throw createError('GB_VALIDATION', 'capture: expected at least one LED');
  if (!(exposureUs >= 1 && settleUs + exposureUs >= 500)) throw createError('GB_VALIDATION', `capture: exposure ${exposureUs} µs + settle ${settleUs} µs must be ≥ 500 µs`);
  const steps = sideSequence(leds, level, { settleUs, triggerUs, exposureUs });
  return {
    leds, level, exposureUs, settleUs, steps, total: steps.length,
    pixelFormat: options.pixelFormat ?? hw.pixelFormat ?? 'Mono16',
    frameTimeoutMs: options.frameTimeoutMs ?? hw.frameTimeoutMs ?? 15_000,
    spacingToleranceUs: options.spacingToleranceUs,
    trigger: hw.cameraTrigger ?? 'line',
  };
}

/**
 * A camera that dropped off the network fails a capture in many ways (an unacknowledged trigger, a frame
 * that never came, acquisition stopped under the reader); once the camera says it is gone (GB_CAMERA_LOST,
 * or closed by its disconnect), the capture says so in one way: GB_CAMERA_LOST, with what it saw.
 */
async function cameraLostOr(camera: Camera, err: unknown): Promise<unknown> {
  if (!isGradeboothError(err) || err.code === 'GB_JOB_CANCELLED') return err;
  if (err.code !== 'GB_CAMERA_LOST' && camera.state !== 'closed') return err;
  if (err.details?.capture === true) return err;
  return createError('GB_CAMERA_LOST', `capture: the camera dropped off during the capture (unplugged, powered off or unreachable): ${err.message}. The LEDs are off and nothing was stored; the camera is reopened when it answers again, then capture again`, { capture: true, cause: err.code });
}

/** How long a capture waits for a rig that is (re)connecting, ms. */
const RIG_READY_WAIT_MS = 5000;

/** Camera in hardware-trigger mode with a buffer per frame, the sequence on the rig, acquisition started. */
async function armCapture(hw: CaptureHardware, plan: CapturePlan): Promise<{ exposureUs: number }> {
  const { rig, camera } = hw;
  if (camera.state === 'closed') throw createError('GB_CAMERA_LOST', 'capture: the camera is not connected (it dropped off, or is still reconnecting); capture again once it is back', { capture: true });
  if (camera.state === 'acquiring') await camera.stopAcquisition();
  // A rig that is re-applying its state after a firmware reset, or reconnecting, is waited for briefly:
  // right after a reset the operator's next scan should work, not fail at once (GB_RIG_DISCONNECTED if
  // it does not come back within the wait).
  await rig.ready(RIG_READY_WAIT_MS, { failFast: true });
  await clearLeftoverFaults(rig);
  let config = await camera.configure({ triggerMode: plan.trigger === 'software' ? 'software' : 'hardware', exposureUs: plan.exposureUs, pixelFormat: plan.pixelFormat, timeoutMs: plan.frameTimeoutMs });
  // Every frame is kept until the caller releases the capture: the stream needs a buffer for each.
  if (config.bufferCount < plan.total) config = await camera.configure({ bufferCount: plan.total });
  // The software-triggered capture latches each step itself; the line-triggered one runs the firmware's sequence.
  if (plan.trigger === 'line') await rig.loadSequence(plan.steps);
  await camera.startAcquisition();
  return config;
}

const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The software-triggered capture, step by step: latch the step's LEDs (SET_LEVELS), read the firmware
 * clock (PING), let the driver settle, send the software trigger and wait for the frame; the next latch
 * switches the LED off (all off after the last). The LEDs stay on until the frame is in, so each frame is
 * exposed under exactly its step's LEDs whatever the round-trip times. Each frame gets a step record like
 * the firmware's STEP_DONE: triggerUs is the firmware clock just after the latch, latenessUs the host's
 * delay from the latch's acknowledgement to the trigger beyond settleUs, onUs the firmware time from this
 * latch to the next (an upper bound of the LED's on-time). A rig fault or reset, a camera fault, a lost or
 * out-of-order frame fails the capture; the firmware's own limit (maxOnMs) bounds an LED left on.
 */
async function runSoftwareTriggered(hw: CaptureHardware, plan: CapturePlan, signal: AbortSignal | undefined, onFrame: (count: number) => void): Promise<{ frames: CameraFrame[]; events: StepDoneEvent[]; release: () => void }> {
  const { rig, camera } = hw;
  const frames: CameraFrame[] = [];
  const events: StepDoneEvent[] = [];
  const releaseFrames = (): void => {
    for (const f of frames) f.release();
  };
  let failure: GradeboothError | undefined;
  const cameraFaults: string[] = [];
  const faultNote = (): string => (cameraFaults.length > 0 ? `; the camera reported: ${cameraFaults.join('; ')}` : '');
  const offCameraError = camera.on('error', (err) => {
    if (err.details?.reason === 'buffer-underrun') failure ??= createError('GB_CAPTURE_FRAME_LOST', `capture: ${err.message}`, { ...err.details, frames: frames.length, steps: plan.total });
    else if (cameraFaults.length < 3) cameraFaults.push(err.message);
  });
  const offRigEvent = rig.onEvent((e) => {
    if (e.kind === 'fault') failure ??= createError('GB_RIG_FAULT', `capture: the LED rig raised fault ${faultNames(e.raised).join(', ')} during the capture (LEDs off)`, { raised: e.raised, latched: e.latched });
    else if (e.kind === 'boot') failure ??= createError('GB_RIG_RESET', 'capture: the LED rig firmware reset during the capture', { bootId: e.bootId, resetCause: e.resetCause });
  });
  const abortListener = (): void => {
    failure ??= createError('GB_JOB_CANCELLED', 'capture cancelled');
    // Wake the frame reader now rather than after its timeout.
    void camera.stopAcquisition().catch(() => undefined);
  };
  if (signal?.aborted) abortListener();
  signal?.addEventListener('abort', abortListener);
  const check = (): void => {
    if (failure) throw failure;
  };
  try {
    let previousLatchUs: number | undefined;
    for (let i = 0; i < plan.total; i++) {
      check();
      const step = plan.steps[i];
      const levels = new Array<number>(24).fill(0);
      for (const ch of step.channels) levels[ch] = step.level;
      await rig.setLevels(levels);
      const latchedAt = performance.now();
      const latchUs = await rig.ping();
      if (previousLatchUs !== undefined) events[i - 1].onUs = firmwareDeltaUs(latchUs, previousLatchUs);
      previousLatchUs = latchUs;
      const waitMs = plan.settleUs / 1000 - (performance.now() - latchedAt);
      if (waitMs > 0) await sleepMs(Math.ceil(waitMs));
      check();
      const triggeredAt = performance.now();
      await camera.softwareTrigger();
      let frame: CameraFrame;
      try {
        frame = await camera.nextFrame(plan.frameTimeoutMs);
      } catch (err) {
        check();
        if (isGradeboothError(err) && err.code === 'GB_CAMERA_TIMEOUT') {
          throw createError('GB_CAPTURE_FRAME_LOST', `capture: no frame for step ${i} of ${plan.total} within ${plan.frameTimeoutMs} ms of its software trigger${faultNote()}`, { frames: frames.length, steps: plan.total });
        }
        throw err;
      }
      frames.push(frame);
      const prev = frames[frames.length - 2];
      if (prev && frame.frameId !== prev.frameId + 1) {
        throw createError('GB_CAPTURE_FRAME_LOST', `capture: camera frame ${prev.frameId + 1} is missing (got ${frame.frameId} after ${prev.frameId})${faultNote()}`, { after: prev.frameId, got: frame.frameId });
      }
      events.push({ kind: 'stepDone', step: i, triggerUs: latchUs, latenessUs: Math.round((triggeredAt - latchedAt) * 1000 - plan.settleUs), onUs: 0 });
      onFrame(frames.length);
    }
    await rig.allOff();
    const offUs = await rig.ping();
    if (previousLatchUs !== undefined) events[events.length - 1].onUs = firmwareDeltaUs(offUs, previousLatchUs);
    check();
  } catch (err) {
    await shutDown(hw);
    releaseFrames();
    throw failure ?? err;
  } finally {
    signal?.removeEventListener('abort', abortListener);
    offCameraError();
    offRigEvent();
  }
  return { frames, events, release: releaseFrames };
}

/**
 * Run the sequence on the rig while collecting one camera frame per step, then check the two agree (by
 * order and by the spacing of their clocks). Any failure aborts the rig, turns the LEDs off, disarms the
 * camera, gives the frames back and throws one coded error (the first).
 */
async function runAndCollect(hw: CaptureHardware, plan: CapturePlan, signal: AbortSignal | undefined, onFrame: (count: number) => void): Promise<{ frames: CameraFrame[]; events: StepDoneEvent[]; release: () => void }> {
  const { rig, camera } = hw;
  const { total, frameTimeoutMs } = plan;
  let failure: GradeboothError | undefined;
  const fail = (err: unknown): GradeboothError => {
    // The cause is kept: the job runner recognises a full disk (SQLITE_FULL from a progress write) by it.
    const e = isGradeboothError(err) ? err : new GradeboothError('GB_INTERNAL', `capture: ${(err as Error).message ?? String(err)}`, { cause: err });
    failure ??= e;
    return e;
  };
  const events: StepDoneEvent[] = [];
  const frames: CameraFrame[] = [];
  const releaseFrames = (): void => {
    for (const f of frames) f.release();
  };
  // Camera faults during the capture: a buffer underrun loses a frame for sure, so it fails the capture
  // now; the others (an ignored trigger, a failed exposure) are named if a frame then goes missing.
  const cameraFaults: string[] = [];
  const offCameraError = camera.on('error', (err) => {
    if (err.details?.reason === 'buffer-underrun') {
      fail(createError('GB_CAPTURE_FRAME_LOST', `capture: ${err.message}`, { ...err.details, frames: frames.length, steps: total }));
      void camera.stopAcquisition().catch(() => undefined);
      return;
    }
    if (cameraFaults.length < 3) cameraFaults.push(err.message);
  });
  const faultNote = (): string => (cameraFaults.length > 0 ? `; the camera reported: ${cameraFaults.join('; ')}` : '');
  const runRig = async (): Promise<void> => {
    const gen = rig.runSequence();
    for (let r = await gen.next(); !r.done; r = await gen.next()) {
      if (failure) {
        await gen.return(undefined as never); // leaves the loop: the driver aborts the sequence
        return;
      }
      events.push(r.value);
    }
  };
  const collect = async (): Promise<void> => {
    while (frames.length < total && !failure) {
      let frame: CameraFrame;
      try {
        frame = await camera.nextFrame(frameTimeoutMs);
      } catch (err) {
        if (failure) return;
        // The rig finished every step but a frame never came: a lost frame, not a slow camera.
        if (isGradeboothError(err) && err.code === 'GB_CAMERA_TIMEOUT' && events.length === total) {
          throw createError('GB_CAPTURE_FRAME_LOST', `capture: the rig ran all ${total} steps but only ${frames.length} frames arrived (none for ${frameTimeoutMs} ms)${faultNote()}`, { frames: frames.length, steps: total });
        }
        throw err;
      }
      // Ours from here: kept with the others, so every failure path below releases it.
      frames.push(frame);
      const prev = frames[frames.length - 2];
      if (prev && frame.frameId !== prev.frameId + 1) {
        throw createError('GB_CAPTURE_FRAME_LOST', `capture: camera frame ${prev.frameId + 1} is missing (got ${frame.frameId} after ${prev.frameId})${faultNote()}`, { after: prev.frameId, got: frame.frameId });
      }
      onFrame(frames.length);
    }
  };
  const abortListener = (): void => {
    fail(createError('GB_JOB_CANCELLED', 'capture cancelled'));
    // Wake the frame reader and stop the rig now rather than after the next frame or timeout.
    void camera.stopAcquisition().catch(() => undefined);
  };
  if (signal?.aborted) abortListener();
  signal?.addEventListener('abort', abortListener);
  try {
    const results = await Promise.allSettled([
      runRig().catch(async (err) => {
        fail(err);
        // Wake the frame reader now rather than after its timeout.
        await camera.stopAcquisition().catch(() => undefined);
        throw err;
      }),
      collect().catch(async (err) => {
        fail(err);
        await rig.abort().catch(() => undefined);
        throw err;
      }),
    ]);
    if (failure) throw failure;
    for (const r of results) if (r.status === 'rejected') throw fail(r.reason);
    if (events.length !== total) throw fail(createError('GB_CAPTURE_FRAME_LOST', `capture: the rig reported ${events.length} of ${total} steps`));
    checkTriggerSpacing(frames, events, plan.spacingToleranceUs, fail);
  } catch (err) {
    await shutDown(hw);
    releaseFrames();
    throw fail(err);
  } finally {
    signal?.removeEventListener('abort', abortListener);
    offCameraError();
  }
  return { frames, events, release: releaseFrames };
}

/** Frames match the rig's steps by order, and the spacing of camera timestamps agrees with the firmware's triggers. */
function checkTriggerSpacing(frames: readonly CameraFrame[], events: readonly StepDoneEvent[], toleranceUs: number | undefined, fail: (err: unknown) => GradeboothError): void {
  const tolPct = 0.005;
  for (let i = 0; i < events.length; i++) {
    if (events[i].step !== i) throw fail(createError('GB_CAPTURE_FRAME_LOST', `capture: STEP_DONE ${i} reported step ${events[i].step}`));
    if (i === 0) continue;
    const fw = firmwareDeltaUs(events[i].triggerUs, events[i - 1].triggerUs);
    const cam = frames[i].timestampUs - frames[i - 1].timestampUs;
    const allowed = toleranceUs ?? 200 + tolPct * fw;
    if (Math.abs(cam - fw) > allowed) {
      throw fail(createError('GB_CAPTURE_FRAME_LOST', `capture: frame ${i} came ${cam} µs after the previous one but the rig's triggers were ${fw} µs apart (tolerance ${allowed.toFixed(0)} µs): a frame was lost or a stray trigger was seen`, { frame: i, cameraSpacingUs: cam, firmwareSpacingUs: fw }));
    }
  }
}

/** The frames as a side (dark + LEDs) with their exposure figures; badly exposed frames fail it unless allowed. */
function assembleSide(plan: CapturePlan, frames: readonly CameraFrame[], events: readonly StepDoneEvent[], release: () => void, exposureUs: number, options: CaptureOptions): Omit<SideCapture, 'timingsMs'> {
  const { leds, level, pixelFormat } = plan;
  const fullScale = fullScaleDn(pixelFormat);
  const toCaptured = (f: CameraFrame, i: number): CapturedFrame => ({
    lightIndex: i - 1,
    ledChannel: i === 0 ? null : leds[i - 1],
    level: i === 0 ? 0 : level,
    width: f.width,
    height: f.height,
    pixelFormat: f.pixelFormat,
    get data() {
      return f.data;
    },
    exposureUs: f.exposureUs,
    gain: f.gain,
    timestampUs: f.timestampUs,
    firmwareTriggerUs: events[i].triggerUs,
    latenessUs: events[i].latenessUs,
    onUs: events[i].onUs,
    frameId: f.frameId,
  });
  const dark = toCaptured(frames[0], 0);
  const ledFrames = frames.slice(1).map((f, k) => toCaptured(f, k + 1));
  const limits = { ...defaultExposureLimits, ...options.exposureLimits };
  const issues: ExposureIssue[] = [];
  for (const f of ledFrames) {
    f.exposure = exposureStats(f.data, dark.data, fullScale);
    issues.push(...checkExposure(f.exposure, f.lightIndex, f.ledChannel as number, limits));
  }
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0 && options.failOnExposureError !== false) {
    release();
    throw createError('GB_CAPTURE_EXPOSURE', `capture: ${errors.length} of ${ledFrames.length} LED frames are badly exposed — ${errors.slice(0, 3).map((e) => e.message).join('; ')}${errors.length > 3 ? '; …' : ''}`, { issues: errors });
  }
  return { width: dark.width, height: dark.height, pixelFormat, fullScaleDn: fullScale, exposureUs, level, dark, frames: ledFrames, issues, release };
}

/**
 * A rig fault latched since the last capture: HOST_TIMEOUT (this host was silent too long, e.g. its event
 * loop was busy with a long computation — the firmware turned the LEDs off, as it should) and EVENTS_LOST
 * are the host's own and are cleared, since the host is demonstrably back. Safety faults (on-time,
 * temperature, thermistor) are not: the capture refuses with their names.
 */
async function clearLeftoverFaults(rig: Rig): Promise<void> {
  const status = await rig.status();
  if (status.faults === 0) return;
  const safety = status.faults & (Fault.ON_TIME | Fault.OVER_TEMP | Fault.THERMISTOR);
  if (safety !== 0) throw createError('GB_RIG_FAULT', `capture: the LED rig has fault ${faultNames(safety).join(', ')} latched; fix the cause and clear it (\`gradebooth rig status\`)`, { faults: status.faults });
  await rig.clearFaults();
}

/** After a failure: sequence aborted, LEDs off, camera disarmed — each best effort, all attempted. */
async function shutDown(hw: CaptureHardware): Promise<void> {
  await hw.rig.abort().catch(() => undefined);
  await hw.rig.allOff().catch(() => undefined);
  if (hw.camera.state === 'acquiring') await hw.camera.stopAcquisition().catch(() => undefined);
}
