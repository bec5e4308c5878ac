import { createError, type GradeboothError } from '../../core/errors.ts';
import type { RigEvent, SeqDoneEvent, StepDoneEvent } from './codecs.ts';

/**
 * The host side of one running sequence: a queue of the firmware's STEP_DONE/SEQ_DONE events that the
 * driver fills and `runSequence()` drains, or an error (disconnect, reset, timeout) that ends it.
 */
export class SequenceRun {
  private readonly queue: (StepDoneEvent | SeqDoneEvent)[] = [];
  private error: GradeboothError | undefined;
  private wake: (() => void) | undefined;
  /** True once SEQ_DONE arrived or the run failed. */
  finished = false;

  /** Offer a firmware event; keeps only this run's kinds. */
  push(event: RigEvent): void {
    if (this.finished) return;
    if (event.kind !== 'stepDone' && event.kind !== 'seqDone') return;
    this.queue.push(event);
    this.wake?.();
  }

  /** End the run with an error (the consumer's next() rejects with it). */
  fail(error: GradeboothError): void {
    if (this.finished) return;
    this.error = error;
    this.wake?.();
  }

  /** Next step or done event, waiting at most `timeoutMs`; rejects with the run's error or GB_RIG_TIMEOUT. */
  async next(timeoutMs: number, what: string): Promise<StepDoneEvent | SeqDoneEvent> {
    for (;;) {
      const event = this.queue.shift();
      if (event) {
        if (event.kind === 'seqDone') this.finished = true;
        return event;
      }
      if (this.error) {
        this.finished = true;
        throw this.error;
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await new Promise<boolean>((resolve) => {
        this.wake = () => resolve(false);
        timer = setTimeout(() => resolve(true), timeoutMs);
      });
      clearTimeout(timer);
      this.wake = undefined;
      if (timedOut && this.queue.length === 0 && !this.error) {
        this.finished = true;
        throw createError('GB_RIG_TIMEOUT', `LED rig sequence: no ${what} within ${Math.round(timeoutMs)} ms`);
      }
    }
  }
}
