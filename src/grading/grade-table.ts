// THE grade table: every figure that turns a measurement into points lives here, nowhere else.
//
// How to read it. Each subgrade starts at 10. A measurement is looked up in its tier list: the deduction is
// that of the highest tier whose threshold the measurement reaches (tiers ascend). The half-point subgrades
// use these steps. The 1000-point scale uses the same tiers as a piecewise-linear curve (the deduction
// grows linearly from one tier to the next), so a small change of a measurement moves the score a little
// instead of jumping a half point: it is the finer, continuous figure behind the label (at or above the
// label's points, e.g. a 7 scores 700–749 unless a measurement sits deep inside a wide tier).
//
// Sources: centering limits are the PSA and BGS tables (../shared/GRADING.md; BGS lists no limit below 5,
// the 4–1 front steps continue its 5-point spacing, back beyond 95/5 is a 4). The words graders publish for
// corners, edges and surface ("a handful of printing specks or one minor spot, 1–2 tiny scratches" at 9,
// "very minor scratches" at 8, "minor wear on 2–3 corners" at 7) are turned into sizes and depths here.

/** [threshold, deduction] pairs, ascending thresholds. */
export type Tiers = readonly (readonly [number, number])[];

/** A centering limit: the largest allowed larger share (%) for a grade. */
export interface CenteringLimit {
  grade: number;
  maxSharePct: number;
}

export const gradeTable = {
  centering: {
    // "50/50" measured: within the measurement's ±0.5 ratio points, plus half a point of print tolerance.
    perfectMaxSharePct: 51,
    bgs: {
      front: [
        { grade: 10, maxSharePct: 51 }, { grade: 9, maxSharePct: 55 }, { grade: 8, maxSharePct: 60 }, { grade: 7, maxSharePct: 65 },
        { grade: 6, maxSharePct: 70 }, { grade: 5, maxSharePct: 75 }, { grade: 4, maxSharePct: 80 }, { grade: 3, maxSharePct: 85 },
        { grade: 2, maxSharePct: 90 }, { grade: 1, maxSharePct: 100 },
      ] as readonly CenteringLimit[],
      // BGS 9.5 front: 50/50 one way, 55/45 the other (between the 10 and the 9 rows above).
      frontHalfStep: { grade: 9.5, oneWayMaxSharePct: 51, otherWayMaxSharePct: 55 },
      back: [
        { grade: 10, maxSharePct: 55 }, { grade: 9.5, maxSharePct: 60 }, { grade: 9, maxSharePct: 70 }, { grade: 8, maxSharePct: 80 },
        { grade: 7, maxSharePct: 90 }, { grade: 6, maxSharePct: 95 }, { grade: 4, maxSharePct: 100 },
      ] as readonly CenteringLimit[],
    },
    psa: {
      front: [
        { grade: 10, maxSharePct: 55 }, { grade: 9, maxSharePct: 60 }, { grade: 8, maxSharePct: 65 }, { grade: 7, maxSharePct: 70 },
        { grade: 6, maxSharePct: 80 }, { grade: 5, maxSharePct: 85 }, { grade: 3, maxSharePct: 90 }, { grade: 1, maxSharePct: 100 },
      ] as readonly CenteringLimit[],
      back: [{ grade: 10, maxSharePct: 75 }, { grade: 9, maxSharePct: 90 }, { grade: 1, maxSharePct: 100 }] as readonly CenteringLimit[],
    },
  },
  corners: {
    /** Rounding radius beyond the card's nominal corner radius, mm. */
    roundingExcessMm: [[0.2, 0.5], [0.35, 1], [0.6, 1.5], [1.0, 2.5], [1.6, 3.5], [2.5, 5]] as Tiers,
    /** Fray: RMS of the jagged part of the corner outline (about its own running mean along the arc), µm. */
    frayUm: [[35, 0.5], [70, 1], [140, 2], [280, 3]] as Tiers,
    /** Whitened rim, % brighter than the print just inside. */
    whiteningPct: [[8, 0.5], [20, 1], [40, 2]] as Tiers,
    /** Ding: relief depth within 3 mm of the corner, µm. */
    dingUm: [[20, 0.5], [50, 1], [100, 2], [200, 3]] as Tiers,
    /** Each further damaged corner (score below 10) beyond the worst one costs this much, up to the cap. */
    perFurtherDamaged: 0.5,
    furtherDamagedCap: 1.5,
  },
  edges: {
    /** Deepest chip (material missing from the straight edge), µm. */
    chipDepthUm: [[50, 0.5], [100, 1], [200, 1.5], [400, 2.5], [800, 4]] as Tiers,
    /** Each chip beyond the first on one edge. */
    perFurtherChip: 0.5,
    furtherChipCap: 1.5,
    /** Whitened rim along the edge, %. */
    whiteningPct: [[8, 0.5], [20, 1], [40, 2]] as Tiers,
    /** Roughness: RMS of the outline about its line away from chips, µm. */
    roughnessUm: [[15, 0.5], [30, 1], [60, 2]] as Tiers,
    /** Dent in the relief along the edge, µm. */
    dentUm: [[20, 0.5], [50, 1], [100, 2]] as Tiers,
    perFurtherDamaged: 0.5,
    furtherDamagedCap: 1.5,
  },
  surface: {
    /** Scratches by length, mm (any found scratch costs the first tier), and by depth, µm (added). */
    scratchLengthMm: [[0, 0.5], [3, 1], [10, 1.5], [25, 2.5]] as Tiers,
    scratchDepthUm: [[20, 0.5], [50, 1]] as Tiers,
    /** Dents and indentations by depth, µm. */
    dentDepthUm: [[0, 0.5], [10, 0.5], [25, 1], [50, 2], [100, 3]] as Tiers,
    /** Creases by length, mm: a crease is heavy damage whatever its size. */
    creaseLengthMm: [[0, 3], [20, 4], [50, 5]] as Tiers,
    /** Print and roller lines by length, mm. */
    printLineLengthMm: [[0, 0.5], [20, 1]] as Tiers,
    /** Print spots and stains by area, mm². */
    spotAreaMm2: [[0, 0.5], [5, 1], [20, 2]] as Tiers,
    /** Each surface defect beyond the worst one. */
    perFurtherDefect: 0.5,
    furtherDefectCap: 2,
  },
  overall: {
    /** The lowest subgrade counts this many times in the weighted mean (the others once). */
    lowestWeight: 2,
    /** The overall never exceeds the lowest subgrade by more than this. */
    maxAboveLowest: 1,
    /** BGS 9.5: three subgrades at least 9.5 and the fourth at least 9. */
    nineHalf: { atLeast95: 3, fourthAtLeast: 9 },
    /** BGS Pristine 10: mean at least 9.75 with no subgrade below 9.5. */
    ten: { minMean: 9.75, minSubgrade: 9.5 },
  },
} as const;

/** Step deduction: the highest tier the value reaches (0 below the first). */
export function stepDeduction(tiers: Tiers, value: number): number {
  let d = 0;
  for (const [thr, ded] of tiers) if (value >= thr) d = ded;
  return d;
}

/**
 * Continuous deduction for the 1000-point scale, never more than the step deduction: nothing below the
 * first tier; across tier i's range it grows from tier i−1's deduction to tier i's (reaching it where tier
 * i+1 begins; past the last tier, over one more tier's width). So the continuous subgrade lies at or above
 * the half-point one and below the next tier's, and a clean part loses nothing.
 */
export function smoothDeduction(tiers: Tiers, value: number): number {
  if (tiers.length === 0 || !(value >= tiers[0][0])) return 0;
  let i = 0;
  while (i + 1 < tiers.length && value >= tiers[i + 1][0]) i++;
  const prev = i > 0 ? tiers[i - 1][1] : 0;
  const t0 = tiers[i][0];
  const t1 = i + 1 < tiers.length ? tiers[i + 1][0] : t0 + (i > 0 ? t0 - tiers[i - 1][0] : Math.max(t0, 1));
  return prev + (tiers[i][1] - prev) * Math.min(1, (value - t0) / Math.max(1e-9, t1 - t0));
}

/** The grade a centering limit table gives to a larger share, and its continuous version. */
export function centeringGrade(limits: readonly CenteringLimit[], sharePct: number): { grade: number; smooth: number } {
  let prevMax = 50, prevGrade = 10.5;
  for (const l of limits) {
    if (sharePct <= l.maxSharePct) {
      // Continuous: from the previous row's grade down to this row's across the row's share range.
      const smooth = prevGrade - ((prevGrade - l.grade) * (sharePct - prevMax)) / Math.max(1e-9, l.maxSharePct - prevMax);
      return { grade: l.grade, smooth: Math.min(10, Math.max(l.grade, smooth)) };
    }
    prevMax = l.maxSharePct; prevGrade = l.grade;
  }
  return { grade: 1, smooth: 1 };
}

/** Round down to a half point within 1..10. */
export function toHalfPoint(x: number): number {
  return Math.min(10, Math.max(1, Math.floor(x * 2 + 1e-9) / 2));
}

/**
 * The overall grade from the subgrades (BGS style: not an average; the lowest weighs most): the weighted
 * mean with the lowest counted `lowestWeight` times, rounded down to a half point, capped at the lowest +
 * `maxAboveLowest`; 9.5 when three are ≥ 9.5 and the fourth ≥ 9; 10 when the mean is ≥ 9.75 and none is
 * below 9.5. `smooth` is the same rule without rounding (×100 = the 1000-point score).
 */
export function overallGrade(subgrades: readonly number[]): { grade: number; smooth: number } {
  const o = gradeTable.overall;
  if (subgrades.length === 0) return { grade: NaN, smooth: NaN };
  const lowest = Math.min(...subgrades);
  const sum = subgrades.reduce((a, b) => a + b, 0);
  const weighted = (sum + (o.lowestWeight - 1) * lowest) / (subgrades.length + o.lowestWeight - 1);
  const mean = sum / subgrades.length;
  const smooth = Math.min(weighted, lowest + o.maxAboveLowest);
  let grade = Math.min(toHalfPoint(weighted), toHalfPoint(lowest + o.maxAboveLowest));
  const n95 = subgrades.filter((s) => s >= 9.5).length;
  if (subgrades.length >= 4 && n95 >= o.nineHalf.atLeast95 && lowest >= o.nineHalf.fourthAtLeast) grade = Math.max(grade, 9.5);
  if (mean >= o.ten.minMean && lowest >= o.ten.minSubgrade) grade = 10;
  // The continuous figure never reads below the label (the 9.5 and 10 rules can raise the label).
  return { grade, smooth: Math.max(grade, grade === 10 ? Math.max(smooth, mean) : smooth) };
}
