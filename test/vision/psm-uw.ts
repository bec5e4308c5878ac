// Builds common-format folders from the UW photometric-stereo set (shared evaluation data, never copied
// into the repo): symlinks to the numbered images, light_directions.txt from lights.txt, mask.png.
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared data, beside the checkout (`../shared/data/psm-uw`). */
export const psmUwPath = fileURLToPath(new URL('../../../shared/data/psm-uw', import.meta.url));

/** Where the shared data lives, or undefined (tests skip with a message). */
export const psmUwDir = existsSync(join(psmUwPath, 'lights.txt')) ? psmUwPath : undefined;

export const psmUwObjects = ['buddha', 'cat', 'gray', 'horse', 'owl', 'rock'];

/** Write DIR with filenames.txt, light_directions.txt and mask.png for one object (12 lights). */
export async function psmUwFolder(object: string, dir: string): Promise<void> {
  if (!psmUwDir) throw new Error('psm-uw data not present');
  await mkdir(dir, { recursive: true });
  const lines = (await readFile(join(psmUwDir, 'lights.txt'), 'utf8')).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const count = Number(lines[0]);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${object}.${i}.png`;
    await symlink(join(psmUwDir, object, name), join(dir, name));
    names.push(name);
  }
  await writeFile(join(dir, 'filenames.txt'), names.join('\n') + '\n');
  await writeFile(join(dir, 'light_directions.txt'), lines.slice(1, 1 + count).join('\n') + '\n');
  await symlink(join(psmUwDir, object, `${object}.mask.png`), join(dir, 'mask.png'));
}
