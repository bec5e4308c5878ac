import type { BoothEvent } from '../events.ts';
import { strings } from '../strings.ts';
import { jobEnded, reduceJobEvent, stageParts, type GradingJob } from '../grading-job.ts';
import { ResultPanel } from './result.tsx';

export interface ScanView {
  /** The last barcode the scanner read and validated. */
  last?: { code: string; at: string; source: string } | undefined;
  /** The last read that did not parse. */
  rejected?: { message: string; at: string } | undefined;
  /** A code that was read but could not start grading (e.g. the booth is not calibrated). */
  refused?: { code: string; error: string } | undefined;
  /** The grading job on screen: running, waiting for the flip, or its outcome until the next card. */
  job?: GradingJob | undefined;
  scannerState: string;
  scannerDetail: string;
}

/** Fold one live event into the scan screen's state. */
export function reduceScanEvent(view: ScanView, e: BoothEvent): ScanView {
  if (e.type === 'scanner.barcode') return { ...view, last: { code: String(e.data.code), at: e.at, source: String(e.data.source) }, rejected: undefined, refused: undefined };
  if (e.type === 'scanner.rejected') return { ...view, rejected: { message: String(e.data.message), at: e.at } };
  if (e.type === 'scanner.job_refused') return { ...view, refused: { code: String(e.data.code), error: String(e.data.error) } };
  if (e.type === 'hardware.status' && e.data.device === 'scanner') return { ...view, scannerState: String(e.data.state), scannerDetail: String(e.data.detail ?? '') };
  if (e.type === 'scanner.job' || e.type === 'job.progress' || e.type === 'job.state') {
    const job = reduceJobEvent(view.job, e);
    return job === view.job ? view : { ...view, job, refused: undefined };
  }
  return view;
}

const time = (iso: string): string => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export interface ScanActions {
  /** Confirm the flip (POST /api/jobs/{id}/continue). */
  confirmFlip: (job: GradingJob) => void;
  cancel: (job: GradingJob) => void;
  /** Clear the finished job: ready for the next card. */
  next: () => void;
}

/** The running job: which step, which side, how far; the flip prompt when it waits for the operator. */
function JobPanel(props: { job: GradingJob; actions: ScanActions }) {
  const { job, actions } = props;
  const { step, side } = stageParts(job.stage);
  const pct = Math.round(job.fraction * 100);
  if (job.waitingFor) {
    return (
      <section class="panel flip" data-testid="scan-flip" role="alert">
        <p class="barcode">{job.barcode}</p>
        <h1>{strings.scan.flipTitle}</h1>
        <p class="message">{strings.scan.flipHint}</p>
        <div class="actions">
          <button type="button" class="primary big" onClick={() => actions.confirmFlip(job)}>{strings.scan.flipDone}</button>
          <button type="button" class="danger big" onClick={() => actions.cancel(job)}>{strings.scan.cancel}</button>
        </div>
      </section>
    );
  }
  return (
    <section class="panel busy" data-testid="scan-progress">
      <h2>{strings.scan.grading}</h2>
      <p class="barcode">{job.barcode}</p>
      <p class="step" data-testid="scan-step">
        {strings.scan.steps[step as keyof typeof strings.scan.steps] ?? step}
        {side ? ` · ${strings.scan.sides[side]}` : ''}
      </p>
      <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <div class="bar" style={{ width: `${pct}%` }} />
      </div>
      <p class="hint">{job.message ?? '\u00a0'}</p>
      <div class="actions">
        <button type="button" class="danger big" onClick={() => actions.cancel(job)} disabled={job.state !== 'running' && job.state !== 'queued'}>{strings.scan.cancel}</button>
      </div>
    </section>
  );
}

/** A job that ended without a result: cancelled, failed or interrupted, with the reason. */
function EndedPanel(props: { job: GradingJob; actions: ScanActions }) {
  const { job } = props;
  const title = job.state === 'cancelled' ? strings.scan.cancelled : strings.scan.failed;
  return (
    <section class="panel bad" data-testid="scan-ended" role="alert">
      <p class="barcode">{job.barcode}</p>
      <h1>{title}</h1>
      {job.error && <p class="message">{job.error}</p>}
      <div class="actions">
        <button type="button" class="primary big" onClick={props.actions.next}>{strings.scan.nextCard}</button>
      </div>
    </section>
  );
}

/**
 * The operator's main screen: ready for a barcode; the grading job's progress with the flip prompt and
 * cancel; the result; a code that could not be read or could not start grading.
 */
export function ScanScreen(props: { view: ScanView; live: boolean; actions: ScanActions }) {
  const { view, actions } = props;
  const scannerOk = view.scannerState === 'connected';
  const job = view.job;
  let body;
  if (view.rejected) {
    body = (
      <section class="panel bad" role="alert" data-testid="scan-rejected">
        <h1>{strings.scan.rejected}</h1>
        <p class="message">{view.rejected.message}</p>
        <p class="hint">{strings.scan.rejectedHint}</p>
      </section>
    );
  } else if (view.refused) {
    body = (
      <section class="panel bad" role="alert" data-testid="scan-refused">
        <p class="barcode">{view.refused.code}</p>
        <h1>{strings.scan.refused}</h1>
        <p class="message">{view.refused.error}</p>
        <p class="hint">{/^GB_NOT_CALIBRATED/.test(view.refused.error) ? strings.scan.refusedCalibrate : strings.scan.refusedHint}</p>
      </section>
    );
  } else if (job && !jobEnded(job.state)) {
    body = <JobPanel job={job} actions={actions} />;
  } else if (job && job.state === 'done' && job.result?.grade) {
    body = <ResultPanel barcode={job.barcode} grade={job.result.grade} onNext={actions.next} />;
  } else if (job && job.state !== 'done') {
    body = <EndedPanel job={job} actions={actions} />;
  } else if (job) {
    body = (
      <section class="panel busy" data-testid="scan-loading">
        <p class="barcode">{job.barcode}</p>
        <h2>{strings.scan.loadingResult}</h2>
      </section>
    );
  } else {
    body = (
      <section class="panel ready" data-testid="scan-ready">
        <h1>{strings.scan.ready}</h1>
        <p class="hint">{strings.scan.readyHint}</p>
        {view.last && <p class="hint" data-testid="scan-last">{strings.scan.lastReadAt(view.last.code, time(view.last.at))}</p>}
      </section>
    );
  }
  return (
    <main class="scan">
      {body}
      <footer class="statusline">
        <span class={`dot ${scannerOk ? 'ok' : 'bad'}`} />
        <span>
          {strings.scan.scanner}: {scannerOk ? view.scannerDetail : view.scannerDetail || strings.scan.scannerAbsent}
        </span>
        <span class="spacer" />
        <span class={`dot ${props.live ? 'ok' : 'bad'}`} />
        <span>{props.live ? strings.scan.live : strings.scan.offline}</span>
      </footer>
    </main>
  );
}
