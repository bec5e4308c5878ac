import type { Db } from './database.ts';
import { createError } from '../core/errors.ts';

/** A card, known by its submission barcode. */
export interface CardRecord {
  id: number;
  barcode: string;
  createdAt: string;
}

/** One page of a list, with the total that matched. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

interface CardRow {
  id: number;
  barcode: string;
  created_at: string;
}

const toCard = (r: CardRow): CardRecord => ({ id: r.id, barcode: r.barcode, createdAt: r.created_at });

/** The `cards` table: a card row per barcode, created by its first scan. */
export class CardRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  /** The card's id, creating the row on first sight of the barcode. */
  ensure(barcode: string, now = new Date()): number {
    this.db.prepare('INSERT INTO cards (barcode, created_at) VALUES (?, ?) ON CONFLICT(barcode) DO NOTHING').run(barcode, now.toISOString());
    return this.db.prepare('SELECT id FROM cards WHERE barcode = ?').pluck().get(barcode) as number;
  }

  get(id: number): CardRecord | undefined {
    const r = this.db.prepare('SELECT * FROM cards WHERE id = ?').get(id) as CardRow | undefined;
    return r ? toCard(r) : undefined;
  }

  /** The card or GB_NOT_FOUND. */
  require(id: number): CardRecord {
    const card = this.get(id);
    if (!card) throw createError('GB_NOT_FOUND', `no card with id ${id}`);
    return card;
  }

  /**
   * Cards newest first (by their latest scan or grade, else when first seen). Filters: `barcode` exactly,
   * `search` as part of the barcode (case-insensitive), first seen or last scanned within [from, to) (ISO
   * times), and the latest grade's overall within [minGrade, maxGrade] (`graded: false` = no grade yet).
   */
  list(options: { barcode?: string; search?: string; from?: string; to?: string; minGrade?: number; maxGrade?: number; graded?: boolean; limit: number; offset: number }): Page<CardRecord> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (options.barcode !== undefined) {
      where.push('barcode = ?');
      args.push(options.barcode);
    }
    if (options.search !== undefined) {
      // LIKE (case-insensitive for ASCII) with its wildcards escaped: the operator's text is matched as typed.
      where.push("barcode LIKE ? ESCAPE '\\'");
      args.push(`%${options.search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`);
    }
    if (options.from !== undefined) {
      where.push('last_at >= ?');
      args.push(options.from);
    }
    if (options.to !== undefined) {
      where.push('last_at < ?');
      args.push(options.to);
    }
    if (options.minGrade !== undefined) {
      where.push('grade >= ?');
      args.push(options.minGrade);
    }
    if (options.maxGrade !== undefined) {
      where.push('grade <= ?');
      args.push(options.maxGrade);
    }
    if (options.graded !== undefined) where.push(options.graded ? 'grade IS NOT NULL' : 'grade IS NULL');
    // Each card with when it was last worked on and its latest grade's overall.
    const base = `SELECT c.*,
        MAX(c.created_at, COALESCE((SELECT MAX(s.created_at) FROM scans s WHERE s.card_id = c.id), ''), COALESCE((SELECT MAX(g.created_at) FROM grades g WHERE g.card_id = c.id), '')) AS last_at,
        (SELECT g.overall FROM grades g WHERE g.card_id = c.id ORDER BY g.created_at DESC, g.rowid DESC LIMIT 1) AS grade
      FROM cards c`;
    const filtered = `SELECT * FROM (${base}) ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    const total = this.db.prepare(`SELECT COUNT(*) FROM (${filtered})`).pluck().get(...args) as number;
    const rows = this.db.prepare(`${filtered} ORDER BY last_at DESC, id DESC LIMIT ? OFFSET ?`).all(...args, options.limit, options.offset) as CardRow[];
    return { items: rows.map(toCard), total, limit: options.limit, offset: options.offset };
  }
}
