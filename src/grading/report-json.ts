import type { CardGrade, SideGrade } from './grade.ts';

// The grade as the `grade --json` line and the stored report carry it (issue 11's shape), plus the
// explanation: every deduction with its cause.

const r2 = (v: number): number => Math.round(v * 100) / 100;
const r3 = (v: number): number => Math.round(v * 1000) / 1000;
const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** The JSON of one graded side. */
export function sideJson(s: SideGrade): Record<string, unknown> {
  const c = s.centering;
  return {
    side: s.side,
    centering: c.measurable ? { leftRight: c.leftRight, topBottom: c.topBottom, psaMax: c.psaMax, bgs: c.bgs } : { measurable: false, reason: c.reason },
    bordersMm: c.bordersMm ? { left: r3(c.bordersMm.left), right: r3(c.bordersMm.right), top: r3(c.bordersMm.top), bottom: r3(c.bordersMm.bottom) } : null,
    corners: s.corners.map((k) => ({ corner: k.corner, measurable: k.measurable, ...(k.reason ? { reason: k.reason } : {}), radiusMm: finite(r3(k.radiusMm)), frayUm: finite(r2(k.frayUm)), fillPct: finite(r2(k.fillPct)), whiteningPct: finite(r2(k.whiteningPct)), dingDepthUm: finite(r2(k.dingDepthUm)) })),
    edges: s.edges.map((e) => ({ edge: e.edge, measurable: e.measurable, ...(e.reason ? { reason: e.reason } : {}), maxChipDepthUm: finite(r2(e.maxChipDepthUm)), chips: e.chips.length, maxWhiteningPct: finite(r2(e.maxWhiteningPct)), roughnessUm: finite(r2(e.roughnessUm)), dentDepthUm: finite(r2(e.dentDepthUm)) })),
    defects: s.defects.map((d) => ({ type: d.type, category: d.category, side: d.side, centerMm: [r3(d.centerMm[0]), r3(d.centerMm[1])], lengthMm: r3(d.lengthMm), widthMm: r3(d.widthMm), depthUm: r2(d.depthUm), ...(d.areaMm2 !== undefined ? { areaMm2: r3(d.areaMm2) } : {}), ...(d.corner ? { corner: d.corner } : {}), ...(d.edge ? { edge: d.edge } : {}), confidence: r2(d.confidence) })),
    subgrades: Object.fromEntries(Object.entries(s.subgrades).map(([k, v]) => [k, v.grade])),
    deductions: s.deductions,
    notGraded: s.notGraded,
  };
}

/**
 * The card's grade as JSON. With one side, its figures sit at the top level (the `grade --json` shape:
 * centering, bordersMm, corners, edges, defects, subgrades, grade, score1000, model); with two, per side
 * under `sides` and the card's subgrades and grade at the top.
 */
export function gradeJson(g: CardGrade): Record<string, unknown> {
  const sides = g.sides.map(sideJson);
  const top: Record<string, unknown> = g.sides.length === 1 ? { ...sides[0] } : { sides, defects: sides.flatMap((s) => s.defects as unknown[]) };
  return {
    ...top,
    subgrades: Object.fromEntries(Object.entries(g.subgrades).map(([k, v]) => [k, v.grade])),
    subscores1000: Object.fromEntries(Object.entries(g.subgrades).map(([k, v]) => [k, Math.round(v.smooth * 100)])),
    grade: g.grade ?? null,
    score1000: g.score1000 ?? null,
    ...(g.incomplete ? { incomplete: g.incomplete } : {}),
    notGraded: g.notGraded,
    model: g.model ? { name: g.model.name, version: g.model.version } : null,
  };
}
