import type { Db } from './database.ts';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  detail: unknown;
}

/** Append-only record of who did what (token changes, overrides, calibrations, remote commands). */
export class AuditLog {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  record(actor: string, action: string, target?: string, detail?: unknown, now = new Date()): void {
    this.db
      .prepare('INSERT INTO audit_log (at, actor, action, target, detail_json) VALUES (?, ?, ?, ?, ?)')
      .run(now.toISOString(), actor, action, target ?? null, detail === undefined ? null : JSON.stringify(detail));
  }

  recent(limit = 100): AuditEntry[] {
    const rows = this.db.prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?').all(limit) as Array<{
      id: number; at: string; actor: string; action: string; target: string | null; detail_json: string | null;
    }>;
    return rows.map((r) => ({ id: r.id, at: r.at, actor: r.actor, action: r.action, target: r.target, detail: r.detail_json === null ? null : JSON.parse(r.detail_json) }));
  }
}
