import { readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { createError } from '../core/errors.ts';
import type { Intrinsics } from './intrinsics.ts';

/**
 * Pinhole intrinsics from a JSON file: `camera.intrinsicsPx` (the simulator's truth.json) or a top-level
 * `intrinsicsPx`, each `{ fx, fy, cx, cy, pixelCentreOffset? }`. The fits here put pixel centres at
 * +0.5; a file whose pixel centres sit at integers (pixelCentreOffset 0, the OpenCV habit) is shifted to
 * match. Without pixelCentreOffset the file is taken to use +0.5 too.
 */
export function parseIntrinsics(raw: unknown, source: string): Intrinsics {
  const o = raw as Record<string, any> | null;
  const k = o?.camera?.intrinsicsPx ?? o?.intrinsicsPx;
  if (typeof k !== 'object' || k === null) throw createError('GB_DATASET_INVALID', `${source}: expected camera.intrinsicsPx or intrinsicsPx {fx, fy, cx, cy}`);
  const num = (name: string): number => {
    const v = k[name];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw createError('GB_DATASET_INVALID', `${source}: intrinsicsPx.${name}: expected a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const fx = num('fx');
  const fy = num('fy');
  if (!(fx > 0 && fy > 0)) throw createError('GB_DATASET_INVALID', `${source}: focal lengths must be > 0 px, got fx=${fx} fy=${fy}`);
  const offset = k.pixelCentreOffset === undefined ? 0.5 : num('pixelCentreOffset');
  return { fxPx: fx, fyPx: fy, cxPx: num('cx') + 0.5 - offset, cyPx: num('cy') + 0.5 - offset };
}

/** Read intrinsics from a JSON file (see parseIntrinsics). */
export async function readIntrinsicsFile(path: string): Promise<Intrinsics> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw createError('GB_DATASET_INVALID', `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw createError('GB_DATASET_INVALID', `${path}: not JSON (${(err as Error).message})`);
  }
  return parseIntrinsics(raw, path);
}

/**
 * The camera model a capture folder carries, if any: camera.json, else truth.json when it holds
 * intrinsics (the interchange format's near-field reference). Only the camera is read from it.
 */
export async function findFolderIntrinsics(dir: string): Promise<{ intrinsics: Intrinsics; source: string } | undefined> {
  for (const name of ['camera.json', 'truth.json']) {
    const path = join(dir, name);
    try {
      await access(path);
    } catch {
      continue;
    }
    let raw: Record<string, any>;
    try {
      raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, any>;
    } catch (err) {
      throw createError('GB_DATASET_INVALID', `${path}: not JSON (${(err as Error).message})`);
    }
    if (raw?.camera?.intrinsicsPx || raw?.intrinsicsPx) return { intrinsics: parseIntrinsics(raw, path), source: path };
  }
  return undefined;
}
