import type { RigPinEvent, RigPinSource } from '../../hardware/rig/pins.ts';
import type { SequenceStep } from '../../hardware/rig/codecs.ts';

/** Records pin events from a source between start() and stop(). */
export class PinTrace {
  private readonly source: RigPinSource;
  private unsubscribe: (() => void) | undefined;
  readonly events: RigPinEvent[] = [];
  private readonly waiters = new Set<{ test: (e: RigPinEvent) => boolean; resolve: (e: RigPinEvent) => void }>();

  constructor(source: RigPinSource) {
    this.source = source;
  }

  start(): void {
    this.unsubscribe ??= this.source.onPinEvent((event) => {
      this.events.push(event);
      for (const w of [...this.waiters]) {
        if (w.test(event)) {
          this.waiters.delete(w);
          w.resolve(event);
        }
      }
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Forget what was recorded. */
  clear(): void {
    this.events.length = 0;
  }

  /** Resolve with the first future event passing `test`, or undefined after `timeoutMs` (wall clock). */
  waitFor(test: (event: RigPinEvent) => boolean, timeoutMs: number): Promise<RigPinEvent | undefined> {
    return new Promise((resolve) => {
      const waiter = {
        test,
        resolve: (e: RigPinEvent | undefined) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }
}

/** Timing of one sequence step as seen on the pins, simulated µs. */
export interface StepPinTiming {
  step: number;
  /** LED latch that lit the step, trigger rise and fall, LED switch-off latch (simulated µs). */
  latchUs: number;
  riseUs: number;
  fallUs: number;
  offUs: number;
  /** Each edge minus its schedule (anchored at step 0's latch, accumulating the asked durations), µs. */
  riseErrUs: number;
  fallErrUs: number;
  offErrUs: number;
  /** Largest absolute error of this step's edges, µs. */
  maxAbsErrUs: number;
  /** Levels the camera saw at the trigger's rising edge matched the step (mask and level). */
  litMatches: boolean;
}

/**
 * Measure a run of `steps` from a pin trace: step i is the i-th trigger rising edge from the trace's start;
 * its latch is the last latch before that edge, its switch-off the first latch after it. Returns undefined
 * when the trace does not hold every edge.
 */
export function measureSequence(events: readonly RigPinEvent[], steps: readonly SequenceStep[]): StepPinTiming[] | undefined {
  const rises: number[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.kind === 'trigger' && e.high) rises.push(i);
  }
  if (rises.length < steps.length) return undefined;
  const out: StepPinTiming[] = [];
  let scheduleUs: number | undefined;
  for (let s = 0; s < steps.length; s++) {
    const riseIdx = rises[s];
    const rise = events[riseIdx];
    if (rise.kind !== 'trigger') return undefined;
    let latchUs: number | undefined;
    for (let i = riseIdx - 1; i >= 0; i--) {
      const e = events[i];
      if (e.kind === 'latch') {
        latchUs = e.timeUs;
        break;
      }
    }
    let fallUs: number | undefined;
    let offUs: number | undefined;
    for (let i = riseIdx + 1; i < events.length && (fallUs === undefined || offUs === undefined); i++) {
      const e = events[i];
      if (fallUs === undefined && e.kind === 'trigger' && !e.high) fallUs = e.timeUs;
      if (offUs === undefined && e.kind === 'latch') offUs = e.timeUs;
    }
    if (latchUs === undefined || fallUs === undefined || offUs === undefined) return undefined;
    const step = steps[s];
    scheduleUs ??= latchUs;
    const riseErrUs = rise.timeUs - (scheduleUs + step.settleUs);
    const fallErrUs = fallUs - (scheduleUs + step.settleUs + step.triggerUs);
    const offErrUs = offUs - (scheduleUs + step.settleUs + step.exposureUs);
    const want = new Array<number>(24).fill(0);
    for (const ch of step.channels) want[ch] = step.level;
    const litMatches = rise.litLevels.every((l, ch) => l === want[ch]);
    out.push({
      step: s,
      latchUs,
      riseUs: rise.timeUs,
      fallUs,
      offUs,
      riseErrUs,
      fallErrUs,
      offErrUs,
      maxAbsErrUs: Math.max(Math.abs(riseErrUs), Math.abs(fallErrUs), Math.abs(offErrUs)),
      litMatches,
    });
    scheduleUs += step.settleUs + step.exposureUs;
  }
  return out;
}
