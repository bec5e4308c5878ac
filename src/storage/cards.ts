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

  /** Cards newest first, optionally only the one with this barcode. */
  list(options: { barcode?: string; limit: number; offset: number }): Page<CardRecord> {
    const where = options.barcode === undefined ? '' : 'WHERE barcode = ?';
    const args = options.barcode === undefined ? [] : [options.barcode];
    const total = this.db.prepare(`SELECT COUNT(*) FROM cards ${where}`).pluck().get(...args) as number;
    const rows = this.db.prepare(`SELECT * FROM cards ${where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`).all(...args, options.limit, options.offset) as CardRow[];
    return { items: rows.map(toCard), total, limit: options.limit, offset: options.offset };
  }
}
