import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createError } from '../core/errors.ts';

const IMAGE_RE = /\.png$/i;

/** Natural sort key: compares embedded numbers by value, so chrome.10 follows chrome.9. */
export function naturalCompare(a: string, b: string): number {
  const ta = a.split(/(\d+)/);
  const tb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    if (ta[i] === tb[i]) continue;
    const numeric = i % 2 === 1;
    if (numeric) {
      const d = Number(ta[i]) - Number(tb[i]);
      if (d !== 0) return d;
    }
    return ta[i] < tb[i] ? -1 : 1;
  }
  return ta.length - tb.length;
}

/**
 * The files of a mirror-sphere folder: the mask (the one PNG whose name contains "mask") and the images
 * in light order — as listed in filenames.txt, or else every other PNG whose name holds a number, in
 * numeric order of its last number.
 */
export async function listChromeFolder(dir: string): Promise<{ maskPath: string; imagePaths: string[] }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw createError('GB_DATASET_INVALID', `${dir}: cannot read the folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const masks = names.filter((n) => IMAGE_RE.test(n) && /mask/i.test(n));
  if (masks.length !== 1) {
    throw createError('GB_DATASET_INVALID', `${dir}: expected exactly one PNG whose name contains "mask", found ${masks.length === 0 ? 'none' : masks.join(', ')}`);
  }
  let images: string[];
  if (names.includes('filenames.txt')) {
    images = (await readFile(join(dir, 'filenames.txt'), 'utf8')).split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
    const missing = images.filter((n) => !names.includes(n));
    if (missing.length > 0) throw createError('GB_DATASET_INVALID', `${dir}/filenames.txt names files that are not there: ${missing.slice(0, 5).join(', ')}`);
  } else {
    const numbered = names.filter((n) => IMAGE_RE.test(n) && !/mask/i.test(n) && /\d/.test(n) && !/(normal|albedo|gt)/i.test(n));
    const lastNumber = (n: string): number => Number((n.match(/\d+/g) as RegExpMatchArray).at(-1));
    images = numbered.sort((a, b) => lastNumber(a) - lastNumber(b) || naturalCompare(a, b));
  }
  if (images.length === 0) throw createError('GB_DATASET_INVALID', `${dir}: no mirror-sphere images (no filenames.txt and no numbered PNG files)`);
  return { maskPath: join(dir, masks[0]), imagePaths: images.map((n) => join(dir, n)) };
}

/**
 * Read light directions: one `x y z` per line; a first line holding a single count (the psm-uw
 * lights.txt layout) is accepted and checked.
 */
export function parseDirections(text: string, source = 'directions'): Array<[number, number, number]> {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('#'));
  let expected: number | undefined;
  if (lines.length > 0 && /^\d+$/.test(lines[0])) expected = Number(lines.shift());
  const out = lines.map((l, i) => {
    const v = l.split(/[\s,]+/).map(Number);
    if (v.length !== 3 || v.some((x) => !Number.isFinite(x))) throw createError('GB_DATASET_INVALID', `${source}: line ${i + 1}: expected "x y z", got "${l}"`);
    return v as [number, number, number];
  });
  if (expected !== undefined && expected !== out.length) {
    throw createError('GB_DATASET_INVALID', `${source}: header says ${expected} directions, found ${out.length}`);
  }
  return out;
}
