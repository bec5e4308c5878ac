import { createError, type GradeboothError } from '../../core/errors.ts';
import type { RigEvent, SeqDoneEvent, StepDoneEvent } from './codecs.ts';

/** How long SEQ_DONE waits for a STEP_DONE the firmware is still retransmitting (5 × 50 ms), ms. */
export const LATE_STEP_GRACE_MS = 400;

/**
 * The host side of one running sequence: the driver pushes the firmware's STEP_DONE/SEQ_DONE events and
 * `runSequence()` drains them in step order. Events can arrive out of order (a lost STEP_DONE is
 * retransmitted 50 ms later, after its successors), so steps are re-ordered by index and SEQ_DONE is
 * held back until every completed step has been delivered. A disconnect, reset or timeout ends the run.
 */
export class SequenceRun {
  private readonly steps = new Map<number, StepDoneEvent>();
  private nextStep = 0;
  private done: SeqDoneEvent | undefined;
  private doneAtMs = 0;
  private error: GradeboothError | undefined;
  private wake: (() => void) | undefined;
  /** True once SEQ_DONE was delivered or the run failed. */
  finished = false;

  /** Offer a firmware event; keeps only this run's kinds. */
  push(event: RigEvent): void {
    if (this.finished) return;
    if (event.kind === 'stepDone') {
      if (event.step >= this.nextStep) this.steps.set(event.step, event);
    } else if (event.kind === 'seqDone') {
      this.done ??= event;
      this.doneAtMs = performance.now();
    } else {
      return;
    }
    this.wake?.();
  }

  /** End the run with an error (the consumer's next() rejects with it). */
  fail(error: GradeboothError): void {
    if (this.finished) return;
    this.error ??= error;
    this.wake?.();
  }

  /**
   * Next step (in order) or the done event, waiting at most `timeoutMs` for news; rejects with the run's
   * error, GB_RIG_TIMEOUT, or GB_RIG_PROTOCOL when a completed step's event never arrived.
   */
  async next(timeoutMs: number, what: string): Promise<StepDoneEvent | SeqDoneEvent> {
    for (;;) {
      const step = this.steps.get(this.nextStep);
      if (step) {
        this.steps.delete(this.nextStep);
        this.nextStep++;
        return step;
      }
      if (this.error) {
        this.finished = true;
        throw this.error;
      }
      let waitMs = timeoutMs;
      if (this.done) {
        if (this.nextStep >= this.done.steps) {
          this.finished = true;
          return this.done;
        }
        // Completed steps still missing: wait a little for their retransmission.
        waitMs = LATE_STEP_GRACE_MS - (performance.now() - this.doneAtMs);
        if (waitMs <= 0) {
          this.finished = true;
          throw createError('GB_RIG_PROTOCOL', `LED rig sequence: STEP_DONE ${this.nextStep} never arrived (events lost); ${this.done.steps} steps completed`, { missingStep: this.nextStep });
        }
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await new Promise<boolean>((resolve) => {
        this.wake = () => resolve(false);
        timer = setTimeout(() => resolve(true), waitMs);
      });
      clearTimeout(timer);
      this.wake = undefined;
      if (timedOut && !this.done && !this.error && !this.steps.has(this.nextStep)) {
        this.finished = true;
        throw createError('GB_RIG_TIMEOUT', `LED rig sequence: no ${what} within ${Math.round(timeoutMs)} ms`);
      }
    }
  }
}
