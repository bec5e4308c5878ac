import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { currentOverrides, OverridePanel, type Override } from './override.tsx';
import { strings } from '../strings.ts';
import { sidesOf, subgradeNames, type GradeResult, type SideResult } from '../grading-job.ts';

/** A reason for the operator: a known error code in words, repeated reasons once. */
function reasonText(raw: string): string {
  const parts = [...new Set(raw.split('; ').map((p) => p.trim()).filter((p) => p.length > 0))];
  return parts.map((p) => strings.result.reasons[/^(GB_[A-Z_]+)/.exec(p)?.[1] ?? ''] ?? p).filter((p, i, all) => all.indexOf(p) === i).join('; ');
}

const overlayKinds = ['albedo-overlay', 'shaded-relief', 'normals'] as const;
type OverlayKind = (typeof overlayKinds)[number];

/** One overlay image of the report, zoomable: a tap toggles 2×, then a finger pans (the box scrolls). */
function Overlay(props: { url: string; alt: string }) {
  const [zoomed, setZoomed] = useState(false);
  return (
    <div class={`overlay ${zoomed ? 'zoomed' : ''}`} data-testid="overlay">
      <img src={props.url} alt={props.alt} onClick={() => setZoomed(!zoomed)} draggable={false} />
    </div>
  );
}

function Centering(props: { side: SideResult }) {
  const c = props.side.centering;
  if ('measurable' in c) return <dd>{strings.result.notMeasurable(c.reason)}</dd>;
  return (
    <dd>
      {strings.result.leftRight} {c.leftRight[0].toFixed(1)}/{c.leftRight[1].toFixed(1)} · {strings.result.topBottom} {c.topBottom[0].toFixed(1)}/{c.topBottom[1].toFixed(1)}
    </dd>
  );
}

/**
 * The card's grade with its reasons: the overall grade (1–10 and 1000-point), the subgrades, the centering
 * figures, every deduction with what caused it, and the report's images. With no grade (e.g. no surface
 * model installed) it says why and shows what was measured — never a grade that was not computed.
 */
export function ResultPanel(props: { barcode: string; grade: GradeResult; onNext: () => void; nextLabel?: string; gradeId?: string }) {
  const g = props.grade;
  // The stored machine grade (a job's result names it; the history passes it): overrides go beside it.
  const gradeId = props.gradeId ?? g.gradeId;
  const [overrides, setOverrides] = useState<Override[]>([]);
  const [overriding, setOverriding] = useState(false);
  const [saved, setSaved] = useState<string | undefined>();
  useEffect(() => {
    if (!gradeId || g.grade === null) return;
    api<Override[]>('GET', `/api/grades/${gradeId}/overrides`).then(setOverrides, () => undefined);
  }, [gradeId]);
  const current = currentOverrides(overrides);
  const sides = sidesOf(g);
  const [side, setSide] = useState<'front' | 'back'>(sides[0]?.side ?? 'front');
  const [kind, setKind] = useState<OverlayKind>('albedo-overlay');
  const deductions = sides.flatMap((s) => s.deductions);
  const file = g.files?.[`${side}-${kind}.png`];
  return (
    <section class="panel result" data-testid="scan-result">
      <div class="result-main">
      <div class="result-head">
        <div class="result-title">
          <p class="barcode">{props.barcode}</p>
          {g.grade !== null ? (
            <p class="grade" data-testid="result-grade">
              {strings.result.grade} <strong>{g.grade}</strong> <span class="score">{strings.result.score1000(g.score1000 ?? 0)}</span>
            </p>
          ) : (
            <p class="nograde" data-testid="result-nograde">{strings.result.noGrade(reasonText(g.error ?? Object.values(g.notGraded).join('; ')))}</p>
          )}
        </div>
        {/* While overriding, the form's own Save and Cancel are the way out (and the small display needs the room). */}
        {!overriding && (
          <div class="actions-row">
            {gradeId && g.grade !== null && <button type="button" class="big" onClick={() => { setOverriding(true); setSaved(undefined); }}>{strings.result.override}</button>}
            <button type="button" class="primary big" onClick={props.onNext}>{props.nextLabel ?? strings.scan.nextCard}</button>
          </div>
        )}
      </div>
      {saved && <p class="okmsg" data-testid="override-saved">{saved}</p>}
      {overriding && gradeId ? (
        <OverridePanel
          gradeId={gradeId}
          machine={g.subgrades}
          onCancel={() => setOverriding(false)}
          onSaved={(o) => {
            setOverrides((list) => [...list, o]);
            setOverriding(false);
            setSaved(strings.result.overrideSaved(strings.result.subgrade[o.subgrade], o.value));
          }}
        />
      ) : (
        <div class="result-figures">
          <table class="subgrades" data-testid="result-subgrades">
            <tbody>
              {subgradeNames.map((n) => (
                <tr key={n}>
                  <th>{strings.result.subgrade[n]}</th>
                  <td class="num">{g.subgrades[n] ?? '—'}</td>
                  <td class="num muted">{g.subscores1000[n] !== undefined ? `${g.subscores1000[n]}` : ''}</td>
                  <td class="muted">{g.notGraded[n] ? reasonText(g.notGraded[n]) : ''}</td>
                  <td class="override-cell" data-testid={`override-${n}`}>
                    {current[n] ? strings.result.overrideBy(current[n].value, current[n].createdByName, [strings.result.overrideReasons[current[n].reason] ?? current[n].reason, current[n].note].filter(Boolean).join(' — ')) : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <dl class="facts">
            {sides.map((s) => (
              <>
                <dt>{strings.result.centering(strings.scan.sides[s.side])}</dt>
                <Centering side={s} />
              </>
            ))}
          </dl>
          <h2>{strings.result.deductions}</h2>
          {deductions.length === 0 ? (
            <p class="muted">{strings.result.noDeductions}</p>
          ) : (
            <ul class="deductions" data-testid="result-deductions">
              {deductions.map((d, i) => {
                // The defect that caused it: its number as the defects overlay labels it, and its crop; a tap shows
                // that side's defects overlay.
                const crop = d.defect !== undefined ? g.files?.[`${d.side}-defect-${d.defect + 1}.png`] : undefined;
                const show = d.defect !== undefined && g.files ? (): void => { setSide(d.side); setKind('albedo-overlay'); } : undefined;
                return (
                  <li key={i} class={show ? 'has-defect' : ''} onClick={show} data-testid="deduction">
                    <span class="points">−{d.points}</span>
                    <span class="why">
                      {strings.result.subgrade[d.subgrade]}
                      {d.reason.startsWith(d.side) ? '' : ` · ${strings.scan.sides[d.side]}`}: {d.reason}
                      {d.defect !== undefined && <span class="defect-no" data-testid="deduction-defect">{strings.result.defectNumber(strings.scan.sides[d.side], d.defect + 1)}</span>}
                    </span>
                    {crop && <img class="crop" src={`/api/files/${crop.sha256}`} alt={strings.result.defectNumber(strings.scan.sides[d.side], d.defect! + 1)} draggable={false} />}
                  </li>
                );
              })}
            </ul>
          )}
          {g.model && <p class="muted">{strings.result.model(g.model.name, g.model.version)}</p>}
        </div>
      )}
      </div>
      {!overriding && g.files && (
        <div class="result-images">
          <div class="segmented">
            {sides.map((s) => (
              <button type="button" key={s.side} class={side === s.side ? 'on' : ''} onClick={() => setSide(s.side)}>{strings.scan.sides[s.side]}</button>
            ))}
          </div>
          <div class="segmented">
            {overlayKinds.map((k) => (
              <button type="button" key={k} class={kind === k ? 'on' : ''} onClick={() => setKind(k)}>{strings.result.overlay[k]}</button>
            ))}
          </div>
          {file && <Overlay url={`/api/files/${file.sha256}`} alt={`${strings.scan.sides[side]} ${strings.result.overlay[kind]}`} />}
        </div>
      )}
    </section>
  );
}
