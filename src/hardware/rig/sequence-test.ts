import type { SeqDoneEvent, SequenceStep, StepDoneEvent } from './codecs.ts';
import type { Rig } from './rig.ts';
import { CHANNELS } from './messages.ts';

/** Timing asked of each step of the technician's sequence test. */
export interface SequenceTestTiming {
  /** 12-bit level of the lit LED. */
  level: number;
  settleUs: number;
  triggerUs: number;
  exposureUs: number;
}

export const DEFAULT_SEQUENCE_TEST: SequenceTestTiming = { level: 2048, settleUs: 2000, triggerUs: 500, exposureUs: 5000 };

/** 24 steps, step n lighting only channel n. */
export function oneLedPerStep(timing: SequenceTestTiming = DEFAULT_SEQUENCE_TEST): SequenceStep[] {
  return Array.from({ length: CHANNELS }, (_, ch) => ({ channels: [ch], level: timing.level, settleUs: timing.settleUs, triggerUs: timing.triggerUs, exposureUs: timing.exposureUs }));
}

/** What the firmware reported for one step. */
export interface SequenceTestStep {
  step: number;
  channels: readonly number[];
  /** Trigger rise versus latch + settleUs, as measured by the firmware, µs. */
  latenessUs: number;
  /** Firmware time of the trigger's rise, µs. */
  triggerUs: number;
  /** Measured LED on-time minus the asked settleUs + exposureUs, µs. */
  onErrUs: number;
}

export interface SequenceTestResult {
  startUs: number;
  steps: SequenceTestStep[];
  done: SeqDoneEvent;
  /** Largest |latenessUs| over the steps. */
  maxAbsLatenessUs: number;
}

/** Load `steps`, run them, and collect the firmware's per-step timing (throws the driver's coded errors). */
export async function runSequenceTest(driver: Rig, steps: readonly SequenceStep[], onStep?: (step: SequenceTestStep) => void): Promise<SequenceTestResult> {
  await driver.loadSequence(steps);
  let startUs = 0;
  const out: SequenceTestStep[] = [];
  const iterator = driver.runSequence({ onStart: (info) => (startUs = info.startUs) });
  let next = await iterator.next();
  while (!next.done) {
    const ev: StepDoneEvent = next.value;
    const asked = steps[ev.step];
    const step: SequenceTestStep = {
      step: ev.step,
      channels: asked?.channels ?? [],
      latenessUs: ev.latenessUs,
      triggerUs: ev.triggerUs,
      onErrUs: asked ? ev.onUs - (asked.settleUs + asked.exposureUs) : NaN,
    };
    out.push(step);
    onStep?.(step);
    next = await iterator.next();
  }
  return { startUs, steps: out, done: next.value, maxAbsLatenessUs: Math.max(0, ...out.map((s) => Math.abs(s.latenessUs))) };
}
