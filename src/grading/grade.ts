import { cornerAt, type CardFrame, type EdgeName } from './card-frame.ts';
import type { CenteringMeasurement } from './centering.ts';
import { centeringGrade, gradeTable, overallGrade, smoothDeduction, stepDeduction, toHalfPoint, type Tiers } from './grade-table.ts';
import type { CornerMeasurement, EdgeMeasurement, OutlineMeasurement } from './outline.ts';
import type { CardSide, CornerName, ModelIdentity, SurfaceDefect } from './types.ts';

// Grade composition: measurements and detected defects → deductions (each naming what caused it) →
// subgrades on 1–10 in half points and on the continuous scale → the overall grade with the BGS-style cap.
// Every number comes from grade-table.ts.

export type SubgradeName = 'centering' | 'corners' | 'edges' | 'surface';

/** A defect as the report lists it (corner and edge defects from the measurements, surface ones from the model). */
export interface ReportDefect {
  type: string;
  category: 'corner' | 'edge' | 'surface';
  side: CardSide;
  /** Card frame: origin at the card centre, x right, y up, mm. */
  centerMm: [number, number];
  lengthMm: number;
  widthMm: number;
  depthUm: number;
  areaMm2?: number;
  corner?: CornerName;
  edge?: EdgeName;
  confidence: number;
  /** Map pixels [x0, y0, x1, y1) for crops, when known. */
  boxPx?: [number, number, number, number];
}

/** One deduction: points off a subgrade and what caused them. */
export interface Deduction {
  subgrade: SubgradeName;
  side: CardSide;
  points: number;
  reason: string;
  /** Index into the side's defect list, when a defect caused it. */
  defect?: number;
}

/** A subgrade on both scales. */
export interface Subgrade {
  /** 1–10 in half points. */
  grade: number;
  /** The same on the continuous scale (×100 = points of 1000). */
  smooth: number;
}

export interface CenteringSummary {
  measurable: boolean;
  reason?: string;
  leftRight?: [number, number];
  topBottom?: [number, number];
  bordersMm?: { left: number; right: number; top: number; bottom: number };
  /** Highest PSA grade this centering allows on this side. */
  psaMax?: number;
  /** BGS centering subgrade of this side. */
  bgs?: number;
}

/** Everything graded on one side. */
export interface SideGrade {
  side: CardSide;
  centering: CenteringSummary;
  corners: CornerMeasurement[];
  edges: EdgeMeasurement[];
  defects: ReportDefect[];
  deductions: Deduction[];
  subgrades: Partial<Record<SubgradeName, Subgrade>>;
  /** Subgrades that could not be graded, with why. */
  notGraded: Partial<Record<SubgradeName, string>>;
}

/** The grade of a card (one or both sides). */
export interface CardGrade {
  sides: SideGrade[];
  subgrades: Partial<Record<SubgradeName, Subgrade>>;
  notGraded: Partial<Record<SubgradeName, string>>;
  /** Overall 1–10 in half points; undefined when a subgrade other than centering (full art) is missing. */
  grade?: number;
  /** 0–1000. */
  score1000?: number;
  /** What kept the overall from being computed. */
  incomplete?: string;
  model?: ModelIdentity;
}

/** Confidence of a measured defect from how far past its first tier it lies (0.5 at the threshold, 1 at twice). */
function measuredConfidence(value: number, firstThreshold: number): number {
  return Math.min(1, Math.max(0.5, value / Math.max(1e-9, 2 * firstThreshold)));
}

const round = (v: number, k = 2): number => Math.round(v * 10 ** k) / 10 ** k;

/** Scores several damaged parts (corners or edges): the worst part, plus a little for each further one. */
function combineParts(scores: { step: number; smooth: number }[], perFurther: number, cap: number): Subgrade {
  if (scores.length === 0) return { grade: 10, smooth: 10 };
  const worst = scores.reduce((a, b) => (b.step < a.step ? b : a));
  const worstSmooth = Math.min(...scores.map((s) => s.smooth));
  const damaged = scores.filter((s) => s.step < 10).length;
  const further = Math.min(cap, perFurther * Math.max(0, damaged - 1));
  const grade = toHalfPoint(worst.step - further);
  return { grade, smooth: Math.max(grade, Math.min(10, worstSmooth - further)) };
}

/** Grade one side from its measurements and the surface detector's defects (undefined: no surface grade). */
export function gradeSide(
  side: CardSide,
  frame: CardFrame,
  centering: CenteringMeasurement,
  outline: OutlineMeasurement,
  surface: SurfaceDefect[] | undefined,
  surfaceMissingReason = 'no surface-defect model',
): SideGrade {
  const t = gradeTable;
  const defects: ReportDefect[] = [];
  const deductions: Deduction[] = [];
  const subgrades: SideGrade['subgrades'] = {};
  const notGraded: SideGrade['notGraded'] = {};
  const px = frame.pxPerMm;

  // Centering: this side's BGS table; PSA's limit reported alongside.
  const cs: CenteringSummary = { measurable: centering.measurable, reason: centering.reason };
  if (centering.measurable && centering.leftRight && centering.topBottom) {
    const worse = Math.max(centering.leftRight[0], centering.topBottom[0]);
    const better = Math.min(centering.leftRight[0], centering.topBottom[0]);
    const tbl = side === 'front' ? t.centering.bgs.front : t.centering.bgs.back;
    let g = centeringGrade(tbl, worse);
    const half = t.centering.bgs.frontHalfStep;
    if (side === 'front' && g.grade < half.grade && better <= half.oneWayMaxSharePct && worse <= half.otherWayMaxSharePct) g = { grade: half.grade, smooth: Math.max(g.smooth, half.grade) };
    const psa = centeringGrade(side === 'front' ? t.centering.psa.front : t.centering.psa.back, worse);
    Object.assign(cs, { leftRight: centering.leftRight.map((v) => round(v)), topBottom: centering.topBottom.map((v) => round(v)), bordersMm: centering.bordersMm, psaMax: psa.grade, bgs: g.grade });
    subgrades.centering = { grade: g.grade, smooth: g.smooth };
    if (g.grade < 10) {
      const axis = centering.leftRight[0] >= centering.topBottom[0] ? 'left/right' : 'top/bottom';
      deductions.push({ subgrade: 'centering', side, points: 10 - g.grade, reason: `${side} centering ${round(worse, 1)}/${round(100 - worse, 1)} ${axis} (BGS ${side} limit for ${g.grade}; PSA allows at most ${psa.grade})` });
    }
  } else {
    notGraded.centering = centering.reason ?? 'not measurable';
  }

  // Corners: each corner's deductions, then the worst corner and the count of damaged ones.
  const cornerScores: { step: number; smooth: number }[] = [];
  let cornersMeasured = true;
  for (const c of outline.corners) {
    if (!c.measurable) { cornersMeasured = false; continue; }
    const items: { tiers: Tiers; value: number; type: string; what: string; lengthMm: number; widthMm: number; depthUm: number }[] = [
      { tiers: t.corners.roundingExcessMm, value: c.radiusMm - frame.card.cornerRadiusMm, type: 'corner-wear', what: `rounded to r = ${round(c.radiusMm)} mm (nominal ${frame.card.cornerRadiusMm} mm)`, lengthMm: c.radiusMm, widthMm: c.radiusMm, depthUm: 0 },
      { tiers: t.corners.frayUm, value: c.frayUm, type: 'corner-fray', what: `frayed outline, ${round(c.frayUm, 0)} µm RMS`, lengthMm: c.radiusMm, widthMm: c.frayUm / 1000, depthUm: 0 },
      { tiers: t.corners.whiteningPct, value: c.whiteningPct, type: 'corner-whitening', what: `whitened tip, ${round(c.whiteningPct, 0)}% brighter`, lengthMm: c.radiusMm, widthMm: 0.3, depthUm: 0 },
      { tiers: t.corners.dingUm, value: c.dingDepthUm, type: 'corner-ding', what: `ding ${round(c.dingDepthUm, 0)} µm deep`, lengthMm: 1, widthMm: 1, depthUm: c.dingDepthUm },
    ];
    let step = 10, smooth = 10;
    for (const it of items) {
      const d = stepDeduction(it.tiers, it.value);
      smooth -= smoothDeduction(it.tiers, it.value);
      if (d <= 0) continue;
      step -= d;
      const k = defects.length;
      const inward = 0.3 * c.radiusMm;
      defects.push({ type: it.type, category: 'corner', side, corner: c.corner, centerMm: [c.centerMm[0] - Math.sign(c.centerMm[0]) * inward, c.centerMm[1] - Math.sign(c.centerMm[1]) * inward], lengthMm: round(it.lengthMm, 3), widthMm: round(it.widthMm, 3), depthUm: round(it.depthUm, 1), confidence: round(measuredConfidence(it.value, it.tiers[0][0])) });
      deductions.push({ subgrade: 'corners', side, points: d, reason: `${side} ${c.corner} corner: ${it.what}`, defect: k });
    }
    cornerScores.push({ step: Math.max(1, step), smooth: Math.max(1, smooth) });
  }
  if (cornersMeasured) {
    const sg = combineParts(cornerScores, t.corners.perFurtherDamaged, t.corners.furtherDamagedCap);
    subgrades.corners = sg;
    const damaged = cornerScores.filter((s) => s.step < 10).length;
    if (damaged > 1) deductions.push({ subgrade: 'corners', side, points: Math.min(t.corners.furtherDamagedCap, t.corners.perFurtherDamaged * (damaged - 1)), reason: `${side}: ${damaged} corners damaged` });
  } else {
    notGraded.corners = outline.corners.find((c) => !c.measurable)?.reason ?? 'corners not measurable';
  }

  // Edges.
  const edgeScores: { step: number; smooth: number }[] = [];
  let edgesMeasured = true;
  for (const e of outline.edges) {
    if (!e.measurable) { edgesMeasured = false; continue; }
    let step = 10, smooth = 10;
    const add = (points: number, reason: string, defect?: ReportDefect): void => {
      if (points <= 0) return;
      step -= points;
      let k: number | undefined;
      if (defect) { k = defects.length; defects.push(defect); }
      deductions.push({ subgrade: 'edges', side, points, reason: `${side} ${e.edge} edge: ${reason}`, defect: k });
    };
    const deepest = e.chips.reduce<typeof e.chips[number] | undefined>((a, c) => (!a || c.depthUm > a.depthUm ? c : a), undefined);
    smooth -= smoothDeduction(t.edges.chipDepthUm, e.maxChipDepthUm);
    for (const c of e.chips) {
      const isWorst = c === deepest;
      const d = stepDeduction(t.edges.chipDepthUm, c.depthUm);
      if (d <= 0) continue;
      const defect: ReportDefect = { type: 'edge-chip', category: 'edge', side, edge: e.edge, corner: cornerAt(frame, c.centerMm[0], c.centerMm[1], frame.card.cornerRadiusMm + 1), centerMm: [round(c.centerMm[0], 3), round(c.centerMm[1], 3)], lengthMm: round(c.lengthMm, 3), widthMm: round(c.depthUm / 1000, 3), depthUm: 0, confidence: round(measuredConfidence(c.depthUm, t.edges.chipDepthUm[0][0])) };
      if (isWorst) add(d, `chip ${round(c.depthUm, 0)} µm deep, ${round(c.lengthMm)} mm long`, defect);
      else { defects.push(defect); }
    }
    const furtherChips = e.chips.filter((c) => c !== deepest && stepDeduction(t.edges.chipDepthUm, c.depthUm) > 0).length;
    const fc = Math.min(t.edges.furtherChipCap, t.edges.perFurtherChip * furtherChips);
    add(fc, `${furtherChips} further chip(s)`);
    smooth -= fc;
    const wDed = stepDeduction(t.edges.whiteningPct, e.maxWhiteningPct);
    smooth -= smoothDeduction(t.edges.whiteningPct, e.maxWhiteningPct);
    const w0 = e.whitening.reduce<typeof e.whitening[number] | undefined>((a, x) => (!a || x.excessPct > a.excessPct ? x : a), undefined);
    if (w0) add(wDed, `whitening ${round(w0.excessPct, 0)}% over ${round(w0.lengthMm, 1)} mm`, { type: 'edge-whitening', category: 'edge', side, edge: e.edge, centerMm: [round(w0.centerMm[0], 3), round(w0.centerMm[1], 3)], lengthMm: round(w0.lengthMm, 3), widthMm: 0.2, depthUm: 0, confidence: round(measuredConfidence(w0.excessPct, t.edges.whiteningPct[0][0])) });
    const rDed = stepDeduction(t.edges.roughnessUm, e.roughnessUm);
    smooth -= smoothDeduction(t.edges.roughnessUm, e.roughnessUm);
    add(rDed, `rough edge, ${round(e.roughnessUm, 0)} µm RMS`);
    const dDed = stepDeduction(t.edges.dentUm, e.dentDepthUm);
    smooth -= smoothDeduction(t.edges.dentUm, e.dentDepthUm);
    if (e.dentCenterMm) add(dDed, `dent ${round(e.dentDepthUm, 0)} µm deep`, { type: 'edge-dent', category: 'edge', side, edge: e.edge, centerMm: [round(e.dentCenterMm[0], 3), round(e.dentCenterMm[1], 3)], lengthMm: 1, widthMm: 1, depthUm: round(e.dentDepthUm, 1), confidence: round(measuredConfidence(e.dentDepthUm, t.edges.dentUm[0][0])) });
    edgeScores.push({ step: Math.max(1, step), smooth: Math.max(1, smooth) });
  }
  if (edgesMeasured) {
    subgrades.edges = combineParts(edgeScores, t.edges.perFurtherDamaged, t.edges.furtherDamagedCap);
    const damaged = edgeScores.filter((s) => s.step < 10).length;
    if (damaged > 1) deductions.push({ subgrade: 'edges', side, points: Math.min(t.edges.furtherDamagedCap, t.edges.perFurtherDamaged * (damaged - 1)), reason: `${side}: ${damaged} edges damaged` });
  } else {
    notGraded.edges = outline.edges.find((e) => !e.measurable)?.reason ?? 'edges not measurable';
  }

  // Surface: the detector's defects, worst first, then a little for each further one.
  if (surface) {
    const costs = surface.map((d) => {
      const s = t.surface;
      const tiers: [Tiers, number][] =
        d.type === 'scratch' ? [[s.scratchLengthMm, d.lengthMm], [s.scratchDepthUm, d.depthUm]]
          : d.type === 'dent' || d.type === 'indentation' ? [[s.dentDepthUm, d.depthUm]]
            : d.type === 'crease' ? [[s.creaseLengthMm, d.lengthMm]]
              : d.type === 'print-line' || d.type === 'roller-mark' ? [[s.printLineLengthMm, d.lengthMm]]
                : [[s.spotAreaMm2, d.areaMm2]];
      return { step: tiers.reduce((a, [tt, v]) => a + stepDeduction(tt, v), 0), smooth: tiers.reduce((a, [tt, v]) => a + smoothDeduction(tt, v), 0) };
    });
    const order = costs.map((_, i) => i).sort((a, b) => costs[b].step - costs[a].step);
    let step = 10, smooth = 10;
    order.forEach((i, rank) => {
      const d = surface[i];
      const k = defects.length;
      defects.push({ type: d.type, category: 'surface', side, centerMm: d.centerMm, lengthMm: d.lengthMm, widthMm: d.widthMm, depthUm: d.depthUm, areaMm2: d.areaMm2, corner: d.corner ?? cornerAt(frame, d.centerMm[0], d.centerMm[1], frame.card.cornerRadiusMm + 1), confidence: d.confidence, boxPx: d.boxPx });
      const what = `${d.type} ${round(d.lengthMm, 1)} mm long${d.depthUm > 0 ? `, ${round(d.depthUm, 0)} µm deep` : ''} at (${round(d.centerMm[0], 1)}, ${round(d.centerMm[1], 1)}) mm`;
      if (rank === 0) {
        step -= costs[i].step; smooth -= costs[i].smooth;
        deductions.push({ subgrade: 'surface', side, points: costs[i].step, reason: `${side} surface: ${what}`, defect: k });
      } else if (rank * t.surface.perFurtherDefect <= t.surface.furtherDefectCap) {
        step -= t.surface.perFurtherDefect; smooth -= t.surface.perFurtherDefect;
        deductions.push({ subgrade: 'surface', side, points: t.surface.perFurtherDefect, reason: `${side} surface: further defect, ${what}`, defect: k });
      }
    });
    subgrades.surface = { grade: toHalfPoint(step), smooth: Math.max(toHalfPoint(step), Math.min(10, smooth)) };
  } else {
    notGraded.surface = surfaceMissingReason;
  }
  void px;
  return { side, centering: cs, corners: outline.corners, edges: outline.edges, defects, deductions, subgrades, notGraded };
}

/**
 * The card's grade from its graded sides: each subgrade is the worse side's; the overall by the table's
 * rule. Centering that cannot be measured (full art) is left out of the overall and said so; any other
 * missing subgrade leaves the overall undefined.
 */
export function gradeCard(sides: SideGrade[], model?: ModelIdentity): CardGrade {
  const names: SubgradeName[] = ['centering', 'corners', 'edges', 'surface'];
  const subgrades: CardGrade['subgrades'] = {};
  const notGraded: CardGrade['notGraded'] = {};
  for (const n of names) {
    const have = sides.map((s) => s.subgrades[n]).filter((x): x is Subgrade => x !== undefined);
    const missing = sides.map((s) => s.notGraded[n]).filter((x): x is string => x !== undefined);
    if (missing.length > 0 || have.length === 0) notGraded[n] = missing.join('; ') || 'not graded';
    else subgrades[n] = { grade: Math.min(...have.map((h) => h.grade)), smooth: Math.min(...have.map((h) => h.smooth)) };
  }
  const blocking = names.filter((n) => n !== 'centering' && notGraded[n] !== undefined);
  const out: CardGrade = { sides, subgrades, notGraded, model };
  if (blocking.length > 0) {
    out.incomplete = blocking.map((n) => `${n}: ${notGraded[n]}`).join('; ');
    return out;
  }
  const present = names.filter((n) => subgrades[n] !== undefined).map((n) => subgrades[n] as Subgrade);
  const step = overallGrade(present.map((s) => s.grade));
  const smooth = overallGrade(present.map((s) => s.smooth));
  out.grade = step.grade;
  out.score1000 = Math.round(Math.min(1000, Math.max(0, smooth.smooth * 100)));
  return out;
}
