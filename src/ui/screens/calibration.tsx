import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type CalibrationCurrent, type CalibrationGuide, type FigureCheck } from '../api.ts';
import { subscribeEvents, type BoothEvent } from '../events.ts';
import type { ApiJob } from '../grading-job.ts';
import { strings } from '../strings.ts';

const S = strings.tech;

/** A figure for people: about three significant digits. */
export function formatFigure(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v !== 'number') return String(v);
  const a = Math.abs(v);
  if (a === 0 || Number.isInteger(v)) return String(v);
  if (a >= 100) return v.toFixed(0);
  // Three significant digits without trailing zeros (0.5, not 0.500); tiny values stay readable (1.2e-5).
  return String(Number(v.toPrecision(3)));
}

/** `maxSpreadPercent` → `max spread percent`: figure keys readable without a table of every name. */
const figureName = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

function age(fromIso: string, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - Date.parse(fromIso)) / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

const limitText = (c: FigureCheck): string => `${c.op === 'abs<=' ? '|x| ≤' : c.op === '<=' ? '≤' : '≥'} ${formatFigure(c.limit)}${c.unit ? ` ${c.unit}` : ''}`;

/** The calibration job on screen, folded from its websocket events. */
interface CalibrationRun {
  jobId: string;
  state: string;
  stage: string | null;
  fraction: number;
  message: string | null;
  /** What the job waits for (a real booth: the technician places the target and touches Continue). */
  waiting: string | null;
  /** Figures each step reported, by stage. */
  figures: Record<string, Record<string, unknown>>;
  /** Procedures saved so far, and whether each passed. */
  saved: Record<string, boolean>;
  error: string | null;
  /** The finished job's verdict (every procedure saved and passed), from its record. */
  pass: boolean | null;
  /** Only the dark frame runs. */
  only: 'dark' | null;
}

const ended = (state: string): boolean => ['done', 'failed', 'cancelled', 'interrupted'].includes(state);

function reduceRun(run: CalibrationRun, e: BoothEvent): CalibrationRun {
  if (e.data.jobId !== run.jobId) return run;
  if (e.type === 'job.state') return { ...run, state: String(e.data.state), waiting: null, error: typeof e.data.error === 'string' ? e.data.error : run.error };
  if (e.type !== 'job.progress') return run;
  const message = typeof e.data.message === 'string' ? e.data.message : null;
  const stage = String(e.data.stage);
  const figures = e.data.figures as Record<string, unknown> | undefined;
  const next: CalibrationRun = { ...run, state: ended(run.state) ? run.state : 'running', stage, fraction: Number(e.data.fraction), message, waiting: message?.startsWith('waiting: ') ? message.slice(9) : null };
  if (figures) {
    next.figures = { ...run.figures, [typeof figures.procedure === 'string' ? `saved:${figures.procedure}` : stage]: figures };
    if (typeof figures.procedure === 'string') next.saved = { ...run.saved, [figures.procedure]: figures.passed === true };
  }
  return next;
}

const fromJob = (j: ApiJob & { kind?: string }): CalibrationRun => ({
  jobId: j.id, state: j.state, stage: j.stage, fraction: j.progress ?? 0, message: j.message ?? null, waiting: j.waitingFor ?? null, figures: {}, saved: {}, error: j.error ? `${j.error.code}: ${j.error.message}` : null, pass: null,
  only: (j.params as { only?: string }).only === 'dark' ? 'dark' : null,
});

const errorText = (err: unknown): string => (err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));

/**
 * The technician's calibration wizard: every procedure with what it measures, the steps and targets it
 * needs, its current record's age and its figures against their limits; Run calibration starts the
 * calibration job (all procedures in order: each needs the ones before it) and follows it live from the
 * job's websocket events: the step and the target to place, the figures each step measured, each
 * procedure's pass or fail as it is saved, Continue when a real booth waits for a target, Cancel.
 */
export function CalibrationPage() {
  const [guide, setGuide] = useState<CalibrationGuide | undefined>();
  const [current, setCurrent] = useState<CalibrationCurrent | undefined>();
  const [selected, setSelected] = useState('dark');
  const [run, setRun] = useState<CalibrationRun | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const runRef = useRef(run);
  runRef.current = run;

  const reload = (): void => {
    api<CalibrationCurrent>('GET', '/api/calibrations/current').then(setCurrent, (err: unknown) => setMessage(errorText(err)));
  };
  useEffect(() => {
    api<CalibrationGuide>('GET', '/api/calibrations/guide').then(setGuide, (err: unknown) => setMessage(errorText(err)));
    reload();
    // A calibration already running (the page was reopened) is followed too.
    api<{ items: ApiJob[] }>('GET', '/api/jobs?kind=calibration&state=running&limit=1').then((page) => {
      const j = page.items[0];
      if (j) setRun((r) => r ?? fromJob(j));
    }, () => undefined);
    return subscribeEvents((e) => setRun((r) => (r ? reduceRun(r, e) : r)), () => undefined);
  }, []);

  // When the job ends: its record for the error, and the procedures' new records.
  const runEnded = run ? ended(run.state) : false;
  useEffect(() => {
    if (!run || !runEnded) return;
    api<ApiJob>('GET', `/api/jobs/${run.jobId}`).then(
      (j) => setRun((r) => (r && r.jobId === j.id ? { ...r, state: j.state, error: j.error ? `${j.error.code}: ${j.error.message}` : null, pass: (j.result as { pass?: boolean } | null)?.pass ?? false } : r)),
      () => undefined,
    );
    reload();
  }, [run?.jobId, runEnded]);

  const start = async (only?: 'dark'): Promise<void> => {
    try {
      const { jobId } = await api<{ jobId: string }>('POST', '/api/calibrations', only ? { only } : {});
      setRun({ jobId, state: 'queued', stage: null, fraction: 0, message: null, waiting: null, figures: {}, saved: {}, error: null, pass: null, only: only ?? null });
      setMessage(undefined);
    } catch (err) {
      setMessage(errorText(err));
    }
  };
  const act = (path: string): void => {
    api('POST', path, {}).catch((err: unknown) => setMessage(errorText(err)));
  };

  const now = Date.now();
  const procedures = current?.procedures ?? [];
  const running = run && !runEnded;
  return (
    <main class="tech calib" data-testid="calibration-page">
      <div class="tech-head">
        <h1>{S.calibTitle}</h1>
        <span class={current?.readyToScan ? 'ok' : 'bad'} data-testid="calib-ready">{current ? (current.readyToScan ? S.calibReady : current.message) : ''}</span>
        <button type="button" class="big primary" disabled={!!running} onClick={() => void start()}>{S.calibRun}</button>
      </div>
      {message && <p class="error" data-testid="calib-message">{message}</p>}
      <div class="calib-body">
        <ul class="proclist">
          {procedures.map((p) => {
            const saved = run?.saved[p.procedure];
            const state = saved === undefined ? S.calibStates[p.state] : saved ? S.calibPass : S.calibFail;
            const good = saved === undefined ? p.state === 'valid' : saved;
            return (
              <li>
                <button type="button" class={`procrow ${selected === p.procedure && !running ? 'on' : ''}`} data-procedure={p.procedure} onClick={() => setSelected(p.procedure)}>
                  <span class="proctitle">{S.calibProcedures[p.procedure] ?? p.procedure}</span>
                  <span class={`procstate ${good ? 'ok' : 'bad'}`} data-testid={`calib-state-${p.procedure}`}>{state}</span>
                  <span class="procage">{p.latest ? S.calibAge(age(p.latest.createdAt, now)) : S.calibNever}</span>
                </button>
              </li>
            );
          })}
        </ul>
        {run ? <RunPanel run={run} guide={guide} onContinue={() => act(`/api/jobs/${run.jobId}/continue`)} onCancel={() => act(`/api/jobs/${run.jobId}/cancel`)} onDone={() => setRun(undefined)} /> : <ProcedureDetail procedure={selected} guide={guide} current={current} now={now} onRunDark={() => void start('dark')} />}
      </div>
    </main>
  );
}

function ProcedureDetail(props: { procedure: string; guide: CalibrationGuide | undefined; current: CalibrationCurrent | undefined; now: number; onRunDark: () => void }) {
  const p = props.current?.procedures.find((x) => x.procedure === props.procedure);
  const g = props.guide?.procedures.find((x) => x.procedure === props.procedure);
  const steps = props.guide?.steps.filter((s) => g?.steps.includes(s.id)) ?? [];
  const checks = p?.checks.length ? p.checks : (g?.checks ?? []).map((c) => ({ ...c, value: null, passed: false }));
  return (
    <section class="procdetail" data-testid="calib-detail">
      <div class="tech-head">
        <h2>{S.calibProcedures[props.procedure] ?? props.procedure}</h2>
        {/* The dark frame needs no other procedure and expires daily: it runs alone too. */}
        {props.procedure === 'dark' && <button type="button" class="big" onClick={props.onRunDark}>{S.calibRunDark}</button>}
      </div>
      <p class="hint">{S.calibAbout[props.procedure]}</p>
      {p?.latest && (
        <p data-testid="calib-record">
          v{p.latest.version} · {S.calibAge(age(p.latest.createdAt, props.now))} · {S.calibExpires(new Date(p.latest.expiresAt).toLocaleString())} · <span class={p.latest.passed ? 'ok' : 'bad'}>{p.latest.passed ? S.calibPass : S.calibFail}</span>
        </p>
      )}
      <h3>{S.calibSteps}</h3>
      <ol class="steplist">
        {steps.map((s) => <li><strong>{S.calibPlace}: {s.target}.</strong> {s.instruction}</li>)}
      </ol>
      <h3>{S.calibLimits}</h3>
      <table class="checks" data-testid="calib-checks">
        <thead><tr><th>{S.calibFigure}</th><th class="num">{S.calibValue}</th><th class="num">{S.calibLimit}</th><th /></tr></thead>
        <tbody>
          {checks.map((c) => (
            <tr data-figure={c.figure}>
              <td>{c.label}</td>
              <td class="num">{c.value === null ? '—' : `${formatFigure(c.value)}${c.unit ? ` ${c.unit}` : ''}`}</td>
              <td class="num">{limitText(c)}</td>
              <td class={c.value === null ? 'muted' : c.passed ? 'ok' : 'bad'}>{c.value === null ? '' : c.passed ? S.calibPass : S.calibFail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function RunPanel(props: { run: CalibrationRun; guide: CalibrationGuide | undefined; onContinue: () => void; onCancel: () => void; onDone: () => void }) {
  const { run } = props;
  const steps = (props.guide?.steps ?? []).filter((s) => run.only === null || s.feeds.includes(run.only));
  const index = steps.findIndex((s) => s.id === run.stage);
  const step = index >= 0 ? steps[index] : undefined;
  const title = step ? S.calibStep(index + 1, steps.length) : run.stage === 'solve' ? S.calibSolve : run.stage === 'publish' ? S.calibPublish : S.calibRunning;
  // The figures of the step on screen, or the last step's while the next one starts capturing.
  const live = Object.entries(run.figures).filter(([k]) => !k.startsWith('saved:')).at(-1);
  if (ended(run.state)) {
    if (run.state === 'done' && run.pass === null) return <section class="procdetail runpanel" data-testid="calib-run"><p class="hint">{strings.history.loading}</p></section>;
    const passed = run.state === 'done' && run.pass === true;
    return (
      <section class={`procdetail runpanel ${passed ? 'good' : 'bad'}`} data-testid="calib-result">
        <h2 class={passed ? 'ok' : 'bad'}>{passed ? S.calibPassed : run.state === 'done' ? S.calibFailed : S.calibEnded(run.state, run.error ?? '')}</h2>
        <ul class="savedlist">
          {Object.entries(run.saved).map(([p, ok]) => <li><span class={ok ? 'ok' : 'bad'}>{ok ? S.calibPass : S.calibFail}</span> {S.calibProcedures[p] ?? p}</li>)}
        </ul>
        <button type="button" class="big primary" onClick={props.onDone}>{S.calibDone}</button>
      </section>
    );
  }
  return (
    <section class="procdetail runpanel" data-testid="calib-run">
      <h2>{title}</h2>
      {step && <p class="place" data-testid="calib-place"><strong>{S.calibPlace}: {step.target}.</strong> {step.instruction}</p>}
      <div class="progress"><div class="bar" style={{ width: `${Math.round(run.fraction * 100)}%` }} /></div>
      {run.message && <p class="hint" data-testid="calib-progress">{run.message}</p>}
      {live && (
        <div data-testid="calib-live">
          <h3>{S.calibLive} · {live[0]}</h3>
          <dl class="facts small">
            {Object.entries(live[1]).map(([k, v]) => [<dt>{figureName(k)}</dt>, <dd>{formatFigure(v)}</dd>])}
          </dl>
        </div>
      )}
      <div class="actions">
        {run.waiting && <button type="button" class="big primary" onClick={props.onContinue}>{S.calibContinue}</button>}
        <button type="button" class="big danger" onClick={props.onCancel}>{S.calibCancel}</button>
      </div>
      {run.waiting && <p class="pending">{S.calibWaiting}</p>}
    </section>
  );
}
