import type { SurfaceDefect } from '../grading/types.ts';

/**
 * How far two models' answers on one side agree: defects of the same type whose centres lie within
 * `toleranceMm` of each other are the same defect (each matched once, nearest first). The side agrees when
 * neither model found a defect the other did not.
 */
export function matchDefects(reference: readonly SurfaceDefect[], model: readonly SurfaceDefect[], toleranceMm: number): { matched: number; onlyReference: number; onlyModel: number; agreed: boolean } {
  const pairs: Array<{ i: number; j: number; d: number }> = [];
  reference.forEach((a, i) => {
    model.forEach((b, j) => {
      if (a.type !== b.type) return;
      const d = Math.hypot(a.centerMm[0] - b.centerMm[0], a.centerMm[1] - b.centerMm[1]);
      if (d <= toleranceMm) pairs.push({ i, j, d });
    });
  });
  pairs.sort((p, q) => p.d - q.d);
  const usedRef = new Set<number>();
  const usedModel = new Set<number>();
  for (const p of pairs) {
    if (usedRef.has(p.i) || usedModel.has(p.j)) continue;
    usedRef.add(p.i);
    usedModel.add(p.j);
  }
  const matched = usedRef.size;
  const onlyReference = reference.length - matched;
  const onlyModel = model.length - matched;
  return { matched, onlyReference, onlyModel, agreed: onlyReference === 0 && onlyModel === 0 };
}
