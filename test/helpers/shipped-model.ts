// Whether this checkout's models/ holds a surface-defect model. Tests of a scan on the simulated booth take the
// graded branch when it does (and then must end with a grade), the "no grade, and why" branch when it does not
// (CI has the shipped model; a checkout without one still runs every test).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isGradeboothError } from '../../src/core/errors.ts';
import { resolveSurfaceModelDir } from '../../src/grading/surface/load.ts';

/** The installed model's name and version (from its manifest), or null when models/ holds none. */
export async function shippedSurfaceModel(): Promise<{ name: string; version: string } | null> {
  let dir: string;
  try {
    dir = await resolveSurfaceModelDir();
  } catch (err) {
    if (isGradeboothError(err) && err.code === 'GB_MODEL_MISSING') return null;
    throw err;
  }
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { name: string; version: string };
  return { name: manifest.name, version: manifest.version };
}
