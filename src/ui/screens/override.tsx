import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { OnScreenKeyboard } from '../keyboard.tsx';
import { strings } from '../strings.ts';
import { subgradeNames, type SubgradeName } from '../grading-job.ts';

const R = strings.result;
export const overrideReasons = ['missed-defect', 'not-a-defect', 'centering-off', 'card-moved', 'other'] as const;
type Reason = (typeof overrideReasons)[number];

/** An override as the API stores it beside the machine's grade. */
export interface Override {
  id: string;
  gradeId: string;
  subgrade: SubgradeName;
  machineValue: number | null;
  value: number;
  reason: string;
  note: string;
  createdByName: string;
  createdAt: string;
}

/** The current override of each subgrade: the latest one (earlier ones stay stored as labels). */
export function currentOverrides(list: readonly Override[]): Partial<Record<SubgradeName, Override>> {
  const out: Partial<Record<SubgradeName, Override>> = {};
  for (const o of list) out[o.subgrade] = o;
  return out;
}

/**
 * The operator's override of one subgrade: which subgrade (its machine value shown), the new value in
 * half points with −½ / +½, a reason from the list, an optional note on the on-screen keyboard (needed
 * for Other). Saved beside the machine grade (POST /api/grades/{id}/overrides); the grade is unchanged.
 */
export function OverridePanel(props: { gradeId: string; machine: Partial<Record<SubgradeName, number>>; onSaved: (o: Override) => void; onCancel: () => void }) {
  const first = subgradeNames.find((n) => props.machine[n] !== undefined) ?? 'corners';
  const [subgrade, setSubgradeOnly] = useState<SubgradeName>(first);
  const [value, setValue] = useState<number>(props.machine[first] ?? 5);
  const [reason, setReason] = useState<Reason | undefined>();
  const [note, setNote] = useState('');
  const [typing, setTyping] = useState(false);
  const [error, setError] = useState<string | undefined>();
  // On a small display the form's body scrolls while the keyboard is open: the note and the keyboard under it
  // are brought into view together.
  const noteField = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (typing) noteField.current?.scrollIntoView({ block: 'nearest' });
  }, [typing]);
  const machineValue = props.machine[subgrade] ?? null;
  const setSubgrade = (n: SubgradeName): void => {
    setSubgradeOnly(n);
    setValue(props.machine[n] ?? 5);
  };
  const step = (d: number): void => setValue((v) => Math.min(10, Math.max(1, v + d)));
  const valid = reason !== undefined && value !== machineValue && (reason !== 'other' || note.trim().length > 0);
  const save = async (): Promise<void> => {
    try {
      const o = await api<Override>('POST', `/api/grades/${props.gradeId}/overrides`, { subgrade, value, reason, ...(note.trim() ? { note: note.trim() } : {}) });
      props.onSaved(o);
    } catch (err) {
      setError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
    }
  };
  // Save and Cancel head the form, outside its scrolling body: on the 800×480 display they stay in view
  // whatever the body shows (the reasons, or the note's keyboard).
  return (
    <div class={`override ${typing ? 'typing' : ''}`} data-testid="override-panel">
      <div class="override-bar">
        <h2>{R.overrideTitle}</h2>
        <div class="actions">
          <button type="button" class="big primary" disabled={!valid} onClick={() => void save()}>{R.overrideSave}</button>
          <button type="button" class="big" onClick={props.onCancel}>{R.overrideCancel}</button>
        </div>
      </div>
      <div class="override-body" data-testid="override-body">
        <p class="hint">{R.overrideHint}</p>
        {error && <p class="error" role="alert">{error}</p>}
        <div class="segmented" role="group" aria-label={R.grade}>
          {subgradeNames.map((n) => (
            <button type="button" class={subgrade === n ? 'on' : ''} data-subgrade={n} onClick={() => setSubgrade(n)}>
              {R.subgrade[n]}
              <span class="sub">{R.overrideMachine(props.machine[n] ?? null)}</span>
            </button>
          ))}
        </div>
        <div class="value-row">
          <div class="stepper">
            <span class="label">{R.overrideValue}</span>
            <button type="button" class="big" aria-label={R.overrideLower} disabled={value <= 1} onClick={() => step(-0.5)}>{R.overrideLower}</button>
            <span class="stepvalue" data-testid="override-value">{value}</span>
            <button type="button" class="big" aria-label={R.overrideHigher} disabled={value >= 10} onClick={() => step(0.5)}>{R.overrideHigher}</button>
          </div>
          <button type="button" ref={noteField} class={`field ${typing ? 'active' : ''}`} data-testid="override-note" onClick={() => setTyping(!typing)}>
            <span class="label">{R.overrideNote}</span>
            <span class="value">{note || '\u00a0'}</span>
          </button>
        </div>
        {typing ? (
          <OnScreenKeyboard onKey={(ch) => setNote((n) => (n + ch).slice(0, 500))} onBackspace={() => setNote((n) => n.slice(0, -1))} onDone={() => setTyping(false)} />
        ) : (
          <div class="reasons" role="group" aria-label={R.overrideReason}>
            {overrideReasons.map((r) => (
              <button type="button" class={reason === r ? 'on' : ''} onClick={() => setReason(r)}>{R.overrideReasons[r]}</button>
            ))}
          </div>
        )}
      </div>
    </div>
  );
}
