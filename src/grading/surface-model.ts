import type { SurfaceDetector } from './types.ts';
import { defaultModelsRoot, loadSurfaceDetector } from './surface/load.ts';

/** The models shipped with the checkout (models/ at the repository root). */
export const defaultModelsDir = defaultModelsRoot;

/**
 * Open the learned surface-defect detector from a models folder (models/surface-defects/<version>/, the
 * highest version) or a model folder. Grading never runs without it: a missing model is GB_MODEL_MISSING, a
 * model whose manifest or sha256 does not match is GB_MODEL_INVALID — never a grade without its surface.
 */
export async function openSurfaceDetector(modelsDir: string = defaultModelsDir): Promise<SurfaceDetector> {
  return loadSurfaceDetector(modelsDir);
}
