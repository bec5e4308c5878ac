// The pass/fail limits of each calibration procedure as data: the calibration job decides pass/fail with
// them, and the technician's wizard shows each figure against its limit. One table, so the screen can
// never show a limit the booth does not apply.
import type { ProcedureName } from '../procedures.ts';
import { calibrationThresholds as T } from './thresholds.ts';

/** One figure of a procedure's record and the limit it must keep. */
export interface FigureCheck {
  /** Key in the record's figures. */
  figure: string;
  /** What it is, for people. */
  label: string;
  unit: string;
  /** `<=`: at most the limit; `>=`: at least; `abs<=`: its absolute value at most the limit. */
  op: '<=' | '>=' | 'abs<=';
  limit: number;
}

/** A check applied to a record's figures. */
export interface CheckedFigure extends FigureCheck {
  /** The figure's value (null: the record does not have it, which fails). */
  value: number | null;
  passed: boolean;
}

/** Each procedure's checks; a record passes when all of its checks pass. */
export const procedureChecks: Readonly<Record<ProcedureName, readonly FigureCheck[]>> = {
  dark: [{ figure: 'meanAboveBlackFraction', label: 'Light in the dark frame (mean above black, of full scale)', unit: '', op: '<=', limit: T.darkMaxMeanFraction }],
  flat: [
    { figure: 'relativeIntensityMin', label: 'Dimmest LED against the mean', unit: '×', op: '>=', limit: 1 / T.flatIntensityFactor },
    { figure: 'relativeIntensityMax', label: 'Brightest LED against the mean', unit: '×', op: '<=', limit: T.flatIntensityFactor },
    { figure: 'maxSpreadPercent', label: 'Largest spread of one LED over the target', unit: '%', op: '<=', limit: T.flatMaxSpreadPercent },
  ],
  lights: [
    { figure: 'leds', label: 'LEDs located', unit: '', op: '>=', limit: 24 },
    { figure: 'maxResidualMm', label: 'Largest ray residual', unit: 'mm', op: '<=', limit: T.lightsMaxResidualMm },
    { figure: 'maxUncertaintyMm', label: 'Largest position uncertainty (1σ)', unit: 'mm', op: '<=', limit: T.lightsMaxUncertaintyMm },
  ],
  scale: [
    { figure: 'dots', label: 'Grid dots found', unit: '', op: '>=', limit: 100 },
    { figure: 'rmsResidualPx', label: 'Grid fit RMS residual', unit: 'px', op: '<=', limit: T.scaleMaxRmsResidualPx },
  ],
  verify: [
    { figure: 'normalErrorMeanDeg', label: 'Mean normal error on the relief target', unit: '°', op: '<=', limit: T.verifyMaxNormalErrorDeg },
    { figure: 'capHeightErrorMm', label: 'Sphere-cap height error', unit: 'mm', op: 'abs<=', limit: T.verifyMaxHeightErrorMm },
  ],
};

/** Apply a procedure's checks to a record's figures. */
export function checkFigures(procedure: ProcedureName, figures: Readonly<Record<string, unknown>>): CheckedFigure[] {
  return procedureChecks[procedure].map((c) => {
    const v = figures[c.figure];
    const value = typeof v === 'number' && Number.isFinite(v) ? v : null;
    const passed = value !== null && (c.op === '<=' ? value <= c.limit : c.op === '>=' ? value >= c.limit : Math.abs(value) <= c.limit);
    return { ...c, value, passed };
  });
}

/** True when every check of the procedure passes on these figures. */
export function figuresPass(procedure: ProcedureName, figures: Readonly<Record<string, unknown>>): boolean {
  return checkFigures(procedure, figures).every((c) => c.passed);
}
