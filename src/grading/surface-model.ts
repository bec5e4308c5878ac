import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createError } from '../core/errors.ts';
import type { SurfaceDetector } from './types.ts';

/** The models shipped with the checkout (models/ at the repository root). */
export const defaultModelsDir = fileURLToPath(new URL('../../models/', import.meta.url));

/**
 * Open the learned surface-defect detector from a models folder. Grading never runs without it: a missing
 * model is GB_MODEL_MISSING, not a grade without its surface.
 */
export async function openSurfaceDetector(modelsDir: string = defaultModelsDir): Promise<SurfaceDetector> {
  try {
    await access(modelsDir);
  } catch {
    throw createError('GB_MODEL_MISSING', `${modelsDir}: no models folder, so no surface-defect model to grade the surface with`);
  }
  throw createError('GB_MODEL_MISSING', `${modelsDir}: no surface-defect model is installed (the surface detector's ONNX model and manifest); the surface cannot be graded`);
}
