import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { OnScreenKeyboard } from '../keyboard.tsx';
import { strings } from '../strings.ts';
import type { GradeResult } from '../grading-job.ts';
import { ResultPanel } from './result.tsx';

/** A card as GET /api/cards lists it (the fields the history uses). */
interface Card {
  id: number;
  barcode: string;
  createdAt: string;
  scans: { id: string; side: 'front' | 'back'; createdAt: string; complete: boolean }[];
  grades: { id: string; grade: number; score1000: number | null; createdAt: string; report: { url: string } | null }[];
}

type Period = 'all' | 'today' | 'week' | 'month';
type GradeBand = 'all' | 'high' | 'mid' | 'low' | 'none';
const periods: readonly Period[] = ['all', 'today', 'week', 'month'];
const bands: readonly GradeBand[] = ['all', 'high', 'mid', 'low', 'none'];
const PAGE = 20;

/** The query string for the filters (dates in UTC days, as the API reads them). */
function query(search: string, period: Period, band: GradeBand, offset: number): string {
  const q = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
  if (search) q.set('search', search);
  if (period !== 'all') {
    const days = period === 'today' ? 0 : period === 'week' ? 6 : 29;
    const from = new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
    q.set('from', from);
  }
  if (band === 'high') q.set('minGrade', '9');
  if (band === 'mid') {
    q.set('minGrade', '7');
    q.set('maxGrade', '8.5');
  }
  if (band === 'low') q.set('maxGrade', '6.5');
  if (band === 'none') q.set('graded', 'false');
  return q.toString();
}

const when = (iso: string): string => new Date(iso).toLocaleString([], { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
const lastAt = (c: Card): string => [c.createdAt, ...c.scans.map((s) => s.createdAt), ...c.grades.map((g) => g.createdAt)].sort().at(-1) ?? c.createdAt;

/** One earlier card: its latest grade with the reasons (from the stored report), or that it has none. */
function CardDetail(props: { id: number; onBack: () => void }) {
  const [card, setCard] = useState<Card | undefined>();
  const [report, setReport] = useState<GradeResult | null | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    api<Card>('GET', `/api/cards/${props.id}`).then(
      async (c) => {
        setCard(c);
        const latest = c.grades[0];
        setReport(latest?.report ? await api<GradeResult>('GET', latest.report.url) : null);
      },
      (err: unknown) => setError(err instanceof ApiError ? err.message : String(err)),
    );
  }, [props.id]);
  if (error) return <section class="panel bad" role="alert"><p class="message">{error}</p><button type="button" class="big" onClick={props.onBack}>{strings.history.back}</button></section>;
  if (!card || report === undefined) return <section class="panel busy"><h2>{strings.history.loading}</h2></section>;
  if (report) return <ResultPanel barcode={card.barcode} grade={report} gradeId={card.grades[0]?.id} onNext={props.onBack} nextLabel={strings.history.back} />;
  return (
    <section class="panel" data-testid="history-card">
      <p class="barcode">{card.barcode}</p>
      <p class="nograde">{strings.history.notGraded}</p>
      <ul class="scanlist">
        {card.scans.map((s) => (
          <li key={s.id}>{strings.scan.sides[s.side]} · {when(s.createdAt)}{s.complete ? '' : ` · ${strings.history.incomplete}`}</li>
        ))}
      </ul>
      <button type="button" class="big" onClick={props.onBack}>{strings.history.back}</button>
    </section>
  );
}

/** History: find any earlier card by (part of) its barcode, when it was worked on, or its grade. */
export function HistoryScreen() {
  const [search, setSearchText] = useState('');
  const [typing, setTyping] = useState(false);
  const [period, setPeriodOnly] = useState<Period>('all');
  const [band, setBandOnly] = useState<GradeBand>('all');
  const [offset, setOffset] = useState(0);
  // A changed filter starts again at its first page.
  const setSearch = (f: (s: string) => string): void => { setSearchText(f); setOffset(0); };
  const setPeriod = (p: Period): void => { setPeriodOnly(p); setOffset(0); };
  const setBand = (b: GradeBand): void => { setBandOnly(b); setOffset(0); };
  const [page, setPage] = useState<{ items: Card[]; total: number } | undefined>();
  const [open, setOpen] = useState<number | undefined>();
  useEffect(() => {
    api<{ items: Card[]; total: number }>('GET', `/api/cards?${query(search, period, band, offset)}`).then(setPage, () => setPage({ items: [], total: 0 }));
  }, [search, period, band, offset]);
  if (open !== undefined) return <main class="scan"><CardDetail id={open} onBack={() => setOpen(undefined)} /></main>;
  return (
    <main class="history" data-testid="history-page">
      <div class="history-filters">
        <button type="button" class={`field ${typing ? 'active' : ''}`} data-testid="history-search" onClick={() => setTyping(!typing)}>
          <span class="label">{strings.history.search}</span>
          <span class="value">{search || '\u00a0'}</span>
        </button>
        <div class="segmented">
          {periods.map((p) => (
            <button type="button" key={p} class={period === p ? 'on' : ''} onClick={() => setPeriod(p)}>{strings.history.periods[p]}</button>
          ))}
        </div>
        <div class="segmented">
          {bands.map((b) => (
            <button type="button" key={b} class={band === b ? 'on' : ''} onClick={() => setBand(b)}>{strings.history.bands[b]}</button>
          ))}
        </div>
      </div>
      {typing ? (
        <OnScreenKeyboard onKey={(ch) => setSearch((s) => (s + ch).slice(0, 64))} onBackspace={() => setSearch((s) => s.slice(0, -1))} onDone={() => setTyping(false)} />
      ) : (
        <>
          <p class="muted" data-testid="history-count">{page ? strings.history.found(page.total) : strings.history.loading}</p>
          <ul class="cardlist">
            {page?.items.map((c) => (
              <li key={c.id}>
                <button type="button" class="cardrow" data-testid="history-row" onClick={() => setOpen(c.id)}>
                  <span class="cb">{c.barcode}</span>
                  <span class="muted">{when(lastAt(c))}</span>
                  <span class="cg">{c.grades[0] ? c.grades[0].grade : '—'}</span>
                </button>
              </li>
            ))}
          </ul>
          {page && page.total > PAGE && (
            <div class="actions">
              <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>{strings.history.previous}</button>
              <button type="button" disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>{strings.history.next}</button>
            </div>
          )}
        </>
      )}
    </main>
  );
}
