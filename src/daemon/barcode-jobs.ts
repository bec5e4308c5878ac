import { isGradeboothError } from '../core/errors.ts';
import type { EventBus } from '../core/events.ts';
import type { JobRunner } from '../jobs/runner.ts';

/**
 * The simulated booth's card for a barcode: a seed derived from the code (FNV-1a), so that one submission
 * always shows the same rendered card and different submissions show different ones.
 */
export function simSeedOfBarcode(code: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(code, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}

/**
 * A barcode read at the booth starts grading that card: a scan-card job (front, then the back once the
 * operator has turned the card and confirmed). The scanner already validated and debounced the code; a job
 * that cannot start (not calibrated, shutting down) is announced with its reason so the screen can say it.
 * Returns the unsubscribe function.
 */
export function startJobsFromBarcodes(deps: { bus: EventBus; runner: JobRunner; log: (message: string, detail: Record<string, unknown>) => void }): () => void {
  const { bus, runner } = deps;
  return bus.on('scanner.barcode', (e) => {
    const code = e.data.code;
    runner
      .submit('scan-card', { barcode: code, confirmFlip: true, simSeed: simSeedOfBarcode(code) }, `scanner:${e.data.source}`)
      .then((job) => bus.emit('scanner.job', { code, jobId: job.id, at: new Date().toISOString() }))
      .catch((err: unknown) => {
        const error = isGradeboothError(err) ? `${err.code}: ${err.message}` : `GB_INTERNAL: ${String(err)}`;
        deps.log('a scanned barcode could not start a grading job', { code, error });
        bus.emit('scanner.job_refused', { code, error, at: new Date().toISOString() });
      });
  });
}
