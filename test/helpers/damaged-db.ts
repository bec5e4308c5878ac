import Database from 'better-sqlite3';
import { closeSync, openSync, writeSync } from 'node:fs';
import { openDatabase } from '../../src/storage/database.ts';
import { AuditLog } from '../../src/storage/audit-log.ts';

/**
 * A real gradebooth database at `path` whose audit_log spans several pages (`rows` entries), closed so
 * everything is in the main file (no -wal).
 */
export function makeDatabaseWithRows(path: string, rows = 400): void {
  const db = openDatabase(path);
  const audit = new AuditLog(db);
  const fill = db.transaction(() => {
    for (let i = 0; i < rows; i++) audit.record('test', 'filler', `row-${i}`, { text: 'x'.repeat(120), i });
  });
  fill();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/**
 * Damage one page of the audit_log table in place with a byte write, as a failing disk or a stray write
 * would: `kind` 'leaf' overwrites a leaf page's header (quick_check lists the problem), 'root' the
 * table's root page (reading the table fails outright). Returns the damaged page number.
 */
export function damageAuditLogPage(path: string, kind: 'leaf' | 'root' = 'leaf'): number {
  const probe = new Database(path, { readonly: true });
  const pageSize = probe.pragma('page_size', { simple: true }) as number;
  const pages = probe.prepare("SELECT pageno, pagetype FROM dbstat WHERE name = 'audit_log' ORDER BY pageno").all() as Array<{ pageno: number; pagetype: string }>;
  probe.close();
  const page = kind === 'root' ? pages[0] : pages.filter((p) => p.pagetype === 'leaf')[1];
  if (!page) throw new Error(`audit_log has no ${kind} page to damage (${pages.length} pages)`);
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.alloc(12, 0xa5), 0, 12, (page.pageno - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
  return page.pageno;
}
