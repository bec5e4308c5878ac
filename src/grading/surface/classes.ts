import type { SurfaceDefectType } from '../types.ts';

/**
 * The surface model's output classes, index = channel of the probability map. Class 0 is the undamaged
 * surface (print, foil and gloss included: they are not defects). The simulator draws these kinds; the
 * contract's other kinds (indentation, roller mark, print spot) have no training data yet.
 */
export const surfaceModelClasses = ['background', 'scratch', 'dent', 'crease', 'print-line', 'stain'] as const;

export type SurfaceModelClass = (typeof surfaceModelClasses)[number];

/** The defect type a model class reports (undefined for background). */
export function defectTypeOfClass(index: number): SurfaceDefectType | undefined {
  const c = surfaceModelClasses[index];
  return c === undefined || c === 'background' ? undefined : c;
}

/** Class index of a simulator defect kind; corner wear and edge chips belong to the corner/edge graders (0). */
export function classOfSimDefectKind(kind: string): number {
  const k = surfaceModelClasses.indexOf(kind as SurfaceModelClass);
  return k > 0 ? k : 0;
}
