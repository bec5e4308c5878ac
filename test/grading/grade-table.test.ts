import t from 'tap';
import { centeringGrade, gradeTable, overallGrade, smoothDeduction, stepDeduction, toHalfPoint } from '../../src/grading/grade-table.ts';

t.test('overall: BGS-style cap by the weakest subgrade (GRADING.md examples)', async (t) => {
  t.equal(overallGrade([10, 6, 10, 10]).grade, 7, '10/6/10/10 → 7');
  t.equal(overallGrade([9.5, 9.5, 9, 8]).grade, 8.5, '9.5/9.5/9/8 → 8.5');
  t.equal(overallGrade([9.5, 9.5, 9.5, 9]).grade, 9.5, 'three 9.5s and a 9 → 9.5');
  t.equal(overallGrade([9.5, 9.5, 9, 9]).grade, 9, 'two 9.5s and two 9s → 9');
  t.equal(overallGrade([10, 10, 10, 10]).grade, 10, 'four 10s → 10');
  t.equal(overallGrade([10, 10, 10, 9.5]).grade, 10, 'mean 9.875, none below 9.5 → 10');
  t.equal(overallGrade([10, 10, 10, 3]).grade, 4, 'never more than one point above the lowest');
  t.ok(overallGrade([9.5, 9.5, 9, 8]).smooth <= 9, 'the continuous overall obeys the same cap');
});

t.test('centering limits (BGS/PSA tables of GRADING.md)', async (t) => {
  const f = gradeTable.centering.bgs.front, b = gradeTable.centering.bgs.back;
  t.equal(centeringGrade(f, 50.3).grade, 10);
  t.equal(centeringGrade(f, 54.9).grade, 9);
  t.equal(centeringGrade(f, 55.1).grade, 8);
  t.equal(centeringGrade(f, 70).grade, 6);
  t.equal(centeringGrade(b, 55).grade, 10);
  t.equal(centeringGrade(b, 78).grade, 8);
  t.equal(centeringGrade(gradeTable.centering.psa.front, 62).grade, 8, 'PSA front 62/38 → at most 8');
  t.equal(centeringGrade(gradeTable.centering.psa.back, 80).grade, 9, 'PSA back 80/20 → at most 9');
  const s1 = centeringGrade(f, 57).smooth, s2 = centeringGrade(f, 57.2).smooth;
  t.ok(s1 > s2 && s1 - s2 < 0.1, 'the continuous centering grade moves a little with a small change');
  t.ok(centeringGrade(f, 57).smooth <= 9 && centeringGrade(f, 57).smooth >= 8, 'continuous grade stays within its row');
});

t.test('tiers: steps and the continuous curve', async (t) => {
  const tiers = [[10, 0.5], [20, 1], [40, 2]] as const;
  t.equal(stepDeduction(tiers, 9.9), 0);
  t.equal(stepDeduction(tiers, 10), 0.5);
  t.equal(stepDeduction(tiers, 39), 1);
  t.equal(stepDeduction(tiers, 1000), 2);
  t.equal(smoothDeduction(tiers, 9.9), 0, 'nothing below the first tier: a clean part loses nothing');
  t.equal(smoothDeduction(tiers, 15), 0.25, 'grows across the first tier towards its deduction');
  t.equal(smoothDeduction(tiers, 30), 0.75, 'from the previous tier towards this one');
  t.equal(smoothDeduction(tiers, 400), 2, 'flat past the last');
  for (const v of [0, 5, 10, 12, 19.9, 20, 33, 40, 55, 100]) t.ok(smoothDeduction(tiers, v) <= stepDeduction(tiers, v), `continuous ≤ step at ${v}`);
  let prev = 0;
  for (let v = 0; v <= 100; v += 0.5) { const d = smoothDeduction(tiers, v); t.ok(d >= prev - 1e-12 && d - prev < 0.1, `continuous and rising at ${v}`); prev = d; }
  t.equal(toHalfPoint(8.74), 8.5);
  t.equal(toHalfPoint(0.2), 1);
});
