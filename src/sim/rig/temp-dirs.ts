import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentProcessIdentity, isProcessAlive } from '../../core/process-identity.ts';

// Each simulated rig keeps its pty symlink in a temp folder. stop() removes it, but a killed process
// (kill -9, a crashed test run) cannot: the folder records its owner, and the next simulated rig to start
// removes the folders of owners that are gone.

/** Prefix of the simulated rigs' temp folders in the OS temp directory. */
export const SIMRIG_TEMP_PREFIX = 'gb-simrig-';
/** The owner file inside each folder: `{ pid, startTicks }` of the process that made it. */
export const SIMRIG_OWNER_FILE = 'owner.json';

/** A new temp folder owned by this process. */
export function createSimRigTempDir(parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, SIMRIG_TEMP_PREFIX));
  writeFileSync(join(dir, SIMRIG_OWNER_FILE), `${JSON.stringify(currentProcessIdentity())}\n`);
  return dir;
}

/**
 * Remove the simulated-rig temp folders whose owner process is gone; returns their paths. A folder without
 * an owner file (made by an older version, or still being made) is left alone: its owner is unknown.
 */
export function removeDeadSimRigTempDirs(parent = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(parent).filter((n) => n.startsWith(SIMRIG_TEMP_PREFIX));
  } catch {
    return removed;
  }
  for (const name of names) {
    const dir = join(parent, name);
    let owner: { pid?: unknown; startTicks?: unknown };
    try {
      owner = JSON.parse(readFileSync(join(dir, SIMRIG_OWNER_FILE), 'utf8')) as typeof owner;
    } catch {
      continue;
    }
    if (typeof owner.pid !== 'number') continue;
    if (isProcessAlive(owner.pid, typeof owner.startTicks === 'number' ? owner.startTicks : undefined)) continue;
    try {
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Another process's sweep got there first, or the folder is not ours to remove: skip it.
    }
  }
  return removed;
}
