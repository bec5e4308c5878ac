import type { NewDefect } from '../storage/grades.ts';
import type { CardGrade, SideGrade } from '../grading/grade.ts';
import type { ResultInput } from '../sync/results.ts';
import type { ResultPayload } from '../sync/payloads.ts';
import type { CardSide } from './scan.ts';

/** A defect as stored in `defects` and sent in a result (severity as the grade stage computed it), without its crop. */
export type AnnouncedDefect = Omit<NewDefect, 'image'>;

export interface ResultContext {
  barcode: string;
  jobId: string;
  /** Each scanned side's scan id (the scans the grade was made from). */
  scans: ReadonlyArray<{ side: CardSide; scanId: string }>;
  /** The stored grade's id; null when no grade row was written. */
  gradeId: string | null;
  /** Every defect of the card, as stored (or as it would have been stored). */
  defects: ReadonlyArray<AnnouncedDefect>;
  /** Why there is no overall grade (null when graded). */
  reason: { code: string; message: string } | null;
  gradedAt: Date;
}

const subgradeOf = (g: CardGrade['subgrades'] | SideGrade['subgrades'], name: 'centering' | 'corners' | 'edges' | 'surface'): number | null => g[name]?.grade ?? null;

const messageDefect = (d: AnnouncedDefect): ResultPayload['defects'][number] => ({
  side: d.side,
  category: d.category,
  kind: d.kind,
  xMm: d.xMm,
  yMm: d.yMm,
  lengthMm: d.lengthMm ?? null,
  widthMm: d.widthMm ?? null,
  depthUm: d.depthUm ?? null,
  severity: d.severity,
});

/**
 * The fleet's result messages for one graded (or measured but ungraded) card: one per scanned side (that
 * side's subgrades and defects; a side has no overall) and one for the card (the overall, the card's
 * subgrades, every defect). Never a grade the booth did not compute: without one, `grades.overall` and
 * `score1000` are null and `reason` says why.
 */
export function resultMessages(card: CardGrade, ctx: ResultContext): ResultInput[] {
  const model = card.model ? { name: card.model.name, version: card.model.version, sha256: card.model.sha256 } : null;
  const gradedAt = ctx.gradedAt.toISOString();
  const graded = ctx.gradeId !== null && card.grade !== undefined;
  const sides: ResultInput[] = card.sides.map((s) => {
    const scanId = ctx.scans.find((x) => x.side === s.side)?.scanId ?? null;
    return {
      kind: 'side',
      barcode: ctx.barcode,
      jobId: ctx.jobId,
      scanId,
      side: s.side,
      gradeId: ctx.gradeId,
      grades: { overall: null, centering: subgradeOf(s.subgrades, 'centering'), corners: subgradeOf(s.subgrades, 'corners'), edges: subgradeOf(s.subgrades, 'edges'), surface: subgradeOf(s.subgrades, 'surface') },
      score1000: null,
      defects: ctx.defects.filter((d) => d.side === s.side).map(messageDefect),
      model,
      reason: ctx.reason,
      gradedAt,
    };
  });
  const cardMessage: ResultInput = {
    kind: 'card',
    barcode: ctx.barcode,
    jobId: ctx.jobId,
    // A one-side job's card result comes from that one scan; a two-side card's from both (see the side messages).
    scanId: ctx.scans.length === 1 ? ctx.scans[0].scanId : null,
    side: null,
    gradeId: ctx.gradeId,
    grades: {
      overall: graded ? (card.grade as number) : null,
      centering: subgradeOf(card.subgrades, 'centering'),
      corners: subgradeOf(card.subgrades, 'corners'),
      edges: subgradeOf(card.subgrades, 'edges'),
      surface: subgradeOf(card.subgrades, 'surface'),
    },
    score1000: graded && card.score1000 !== undefined ? card.score1000 : null,
    defects: ctx.defects.map(messageDefect),
    model,
    reason: graded ? null : ctx.reason ?? { code: 'GB_INTERNAL', message: card.incomplete ?? 'the card was not graded' },
    gradedAt,
  };
  return [...sides, cardMessage];
}

/**
 * Where a scan's results go (the fleet outbox). `enqueue` runs inside the caller's SQLite transaction, so the
 * announcement commits with the rows it announces; `queued` runs after the commit (the link sends at once).
 */
export interface ResultAnnouncer {
  /** Queue the messages inside the current transaction; returns their message ids. */
  enqueue(results: ReadonlyArray<ResultInput>): string[];
  queued(): void;
}
