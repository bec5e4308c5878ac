import type { BoothEvent } from './events.ts';

/** The grading job on the scan screen, folded from the daemon's events (and refreshed from the API). */
export interface GradingJob {
  id: string;
  barcode: string;
  state: 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';
  stage: string | null;
  /** 0..1 over the whole job. */
  fraction: number;
  message: string | null;
  /** The manual step the job waits for (the flip), or null. */
  waitingFor: string | null;
  error: string | null;
  /** The job's result once done (its `grade` is the report JSON). */
  result: JobResult | null;
}

export interface JobResult {
  barcode: string;
  grade?: GradeResult;
}

/** The grade as a scan job's result carries it (the report JSON of src/grading/report-json.ts). */
export interface GradeResult {
  grade: number | null;
  score1000: number | null;
  subgrades: Partial<Record<SubgradeName, number>>;
  subscores1000: Partial<Record<SubgradeName, number>>;
  notGraded: Partial<Record<SubgradeName, string>>;
  sides?: SideResult[];
  /** One side only: its figures at the top level. */
  side?: 'front' | 'back';
  centering?: SideResult['centering'];
  deductions?: Deduction[];
  model: { name: string; version: string } | null;
  /** Why there is no grade (e.g. GB_MODEL_MISSING: …). */
  error?: string;
  gradeId?: string;
  files?: Record<string, { sha256: string; mediaType: string }>;
}

export type SubgradeName = 'centering' | 'corners' | 'edges' | 'surface';
export const subgradeNames: readonly SubgradeName[] = ['centering', 'corners', 'edges', 'surface'];

export interface Deduction {
  subgrade: SubgradeName;
  side: 'front' | 'back';
  points: number;
  reason: string;
  /** The side's defect that caused it (index into its defects; the overlay labels it index + 1). */
  defect?: number;
}

export interface SideResult {
  side: 'front' | 'back';
  centering: { leftRight: [number, number]; topBottom: [number, number]; psaMax: number; bgs: number } | { measurable: false; reason: string };
  deductions: Deduction[];
}

/** A job as GET /api/jobs/{id} answers (the fields the screen uses). */
export interface ApiJob {
  id: string;
  kind: string;
  state: GradingJob['state'];
  stage: string | null;
  progress: number;
  message: string | null;
  waitingFor: string | null;
  params: { barcode?: string };
  error: { code: string; message: string } | null;
  result: JobResult | null;
}

export const jobEnded = (state: GradingJob['state']): boolean => state !== 'queued' && state !== 'running';

/** The screen's job from the API's record. */
export function jobFromApi(j: ApiJob): GradingJob {
  return {
    id: j.id,
    barcode: j.params.barcode ?? '',
    state: j.state,
    stage: j.stage,
    fraction: j.progress,
    message: j.waitingFor ? null : j.message,
    waitingFor: j.waitingFor,
    error: j.error ? `${j.error.code}: ${j.error.message}` : null,
    result: j.result,
  };
}

const waitingPrefix = 'waiting: ';

/** Fold one live event into the job (events of other jobs leave it as it is). */
export function reduceJobEvent(job: GradingJob | undefined, e: BoothEvent): GradingJob | undefined {
  if (e.type === 'scanner.job') {
    return { id: String(e.data.jobId), barcode: String(e.data.code), state: 'queued', stage: null, fraction: 0, message: null, waitingFor: null, error: null, result: null };
  }
  if (!job || e.data.jobId !== job.id) return job;
  if (e.type === 'job.progress') {
    const message = typeof e.data.message === 'string' ? e.data.message : null;
    const waiting = message?.startsWith(waitingPrefix) ? message.slice(waitingPrefix.length) : null;
    const stage = String(e.data.stage);
    // A stage's start is announced with its own name as the message: the step line already says it.
    return { ...job, state: 'running', stage, fraction: Number(e.data.fraction), message: waiting || message === stage ? null : message, waitingFor: waiting };
  }
  if (e.type === 'job.state') {
    const state = String(e.data.state) as GradingJob['state'];
    return { ...job, state, waitingFor: state === 'running' ? job.waitingFor : null, error: typeof e.data.error === 'string' ? e.data.error : job.error };
  }
  return job;
}

/** The stage's name for the operator: `capture-front` → capture, front. */
export function stageParts(stage: string | null): { step: string; side: 'front' | 'back' | null } {
  if (!stage) return { step: 'queued', side: null };
  const m = /^(.*?)-(front|back)$/.exec(stage);
  return m ? { step: m[1], side: m[2] as 'front' | 'back' } : { step: stage, side: null };
}

/** The sides of a grade result (one side sits at the top level). */
export function sidesOf(g: GradeResult): SideResult[] {
  if (g.sides) return g.sides;
  if (g.side && g.centering) return [{ side: g.side, centering: g.centering, deductions: g.deductions ?? [] }];
  return [];
}
