import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Where things live inside the data directory. */
export function dataDirLayout(dataDir: string): { dbPath: string; storeDir: string; controlSocket: string } {
  return { dbPath: join(dataDir, 'gradebooth.sqlite'), storeDir: join(dataDir, 'store'), controlSocket: join(dataDir, 'gradebooth.sock') };
}

/**
 * Create the data directory private to the daemon's user (0700), and tighten an existing one that
 * others can read: it holds token hashes, the audit log and card images. Returns whether it tightened.
 */
export function secureDataDir(dir: string): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return tighten(dir, 0o700);
}

/** Create `path` as an empty 0600 file if missing, or tighten it to 0600 when group or others may read it. */
export function securePrivateFile(path: string): boolean {
  try {
    closeSync(openSync(path, 'wx', 0o600));
    return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // Something else in its place (a directory): leave it, opening it reports what is wrong.
  if (!statSync(path).isFile()) return false;
  return tighten(path, 0o600);
}

function tighten(path: string, mode: number): boolean {
  if ((statSync(path).mode & 0o077) === 0) return false;
  try {
    chmodSync(path, mode);
    return true;
  } catch {
    // Not ours to change (another user's file, a read-only mount): leave it, the open will tell.
    return false;
  }
}
