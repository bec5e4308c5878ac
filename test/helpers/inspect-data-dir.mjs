// Prints one JSON line describing a data directory's consistency: database integrity, jobs not ended,
// stored files without a blobs row (orphans), blobs rows without a file (missing), leftover temp files.
// Plain JS so it runs with bare node inside another process's mount namespace (nsenter), where a daemon's
// private tmpfs data directory is visible.
import Database from 'better-sqlite3';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dataDir = process.argv[2];
const db = new Database(join(dataDir, 'gradebooth.sqlite'), { readonly: true, fileMustExist: true });
try {
  const integrity = db.pragma('quick_check', { simple: true });
  const rows = new Set(db.prepare('SELECT sha256 FROM blobs').pluck().all());
  const stuckJobs = db.prepare("SELECT id FROM jobs WHERE state = 'running'").pluck().all();
  const storeDir = join(dataDir, 'store');
  const files = existsSync(storeDir) ? readdirSync(storeDir).filter((n) => /^[0-9a-f]{2}$/.test(n)).flatMap((n) => readdirSync(join(storeDir, n)).map((f) => n + f)) : [];
  const fileSet = new Set(files);
  const tmpFiles = existsSync(join(storeDir, 'tmp')) ? readdirSync(join(storeDir, 'tmp')) : [];
  process.stdout.write(`${JSON.stringify({
    integrity,
    blobs: rows.size,
    files: files.length,
    orphans: files.filter((f) => !rows.has(f)),
    missing: [...rows].filter((r) => !fileSet.has(r)),
    stuckJobs,
    tmpFiles,
  })}\n`);
} finally {
  db.close();
}
