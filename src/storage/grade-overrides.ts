import { randomUUID } from 'node:crypto';
import { createError } from '../core/errors.ts';
import type { Db } from './database.ts';

// Operators' overrides of a subgrade, beside the machine's grade (never changing the `grades` row): the
// person's label for training later, and what the history shows next to the machine's figure.

export const overrideSubgrades = ['centering', 'corners', 'edges', 'surface'] as const;
export type OverrideSubgrade = (typeof overrideSubgrades)[number];

/** Why a person disagrees, from a fixed list (free text goes in `note`; `other` needs one). */
export const overrideReasons = ['missed-defect', 'not-a-defect', 'centering-off', 'card-moved', 'other'] as const;
export type OverrideReason = (typeof overrideReasons)[number];

export interface NewOverride {
  gradeId: string;
  subgrade: OverrideSubgrade;
  /** The person's subgrade, 1..10 in half points. */
  value: number;
  reason: OverrideReason;
  note?: string;
  /** Who, as the audit log names them (operator:<id> or token:<id>), and their name. */
  createdBy: string;
  createdByName: string;
  now?: Date;
}

export interface OverrideRecord {
  id: string;
  gradeId: string;
  cardId: number;
  subgrade: OverrideSubgrade;
  /** The machine's subgrade in the grade row it disagrees with (null: the machine did not grade it). */
  machineValue: number | null;
  value: number;
  reason: OverrideReason;
  note: string;
  createdBy: string;
  createdByName: string;
  createdAt: string;
}

interface OverrideRow {
  id: string;
  grade_id: string;
  card_id: number;
  subgrade: OverrideSubgrade;
  machine_value: number | null;
  value: number;
  reason: OverrideReason;
  note: string;
  created_by: string;
  created_by_name: string;
  created_at: string;
}

const toRecord = (r: OverrideRow): OverrideRecord => ({
  id: r.id, gradeId: r.grade_id, cardId: r.card_id, subgrade: r.subgrade, machineValue: r.machine_value, value: r.value,
  reason: r.reason, note: r.note, createdBy: r.created_by, createdByName: r.created_by_name, createdAt: r.created_at,
});

export class GradeOverrideRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  /**
   * Record an override beside grade `gradeId`: GB_NOT_FOUND without that grade; GB_VALIDATION for a value
   * that is not 1..10 in half points, the machine's own value, an unknown subgrade or reason, `other`
   * without a note, or a note over 500 characters. The grade row is not touched.
   */
  add(o: NewOverride): OverrideRecord {
    if (!(overrideSubgrades as readonly string[]).includes(o.subgrade)) throw createError('GB_VALIDATION', `subgrade: expected one of ${overrideSubgrades.join(', ')}, got "${String(o.subgrade)}"`);
    if (!(overrideReasons as readonly string[]).includes(o.reason)) throw createError('GB_VALIDATION', `reason: expected one of ${overrideReasons.join(', ')}, got "${String(o.reason)}"`);
    if (typeof o.value !== 'number' || !(o.value >= 1 && o.value <= 10) || o.value * 2 !== Math.round(o.value * 2)) {
      throw createError('GB_VALIDATION', `value: expected 1 to 10 in half points (e.g. 7 or 7.5), got ${String(o.value)}`);
    }
    const note = (o.note ?? '').trim();
    if (note.length > 500) throw createError('GB_VALIDATION', `note: at most 500 characters, got ${note.length}`);
    if (o.reason === 'other' && note.length === 0) throw createError('GB_VALIDATION', 'note: the reason "other" needs a few words saying what is wrong');
    return this.db.transaction(() => {
      const grade = this.db.prepare(`SELECT card_id, ${o.subgrade} AS machine FROM grades WHERE id = ?`).get(o.gradeId) as { card_id: number; machine: number | null } | undefined;
      if (!grade) throw createError('GB_NOT_FOUND', `no grade with id ${o.gradeId}`);
      if (grade.machine === o.value) throw createError('GB_VALIDATION', `value: the machine graded ${o.subgrade} ${o.value} already; an override says where a person disagrees`);
      const row: OverrideRow = {
        id: `override-${randomUUID()}`, grade_id: o.gradeId, card_id: grade.card_id, subgrade: o.subgrade, machine_value: grade.machine, value: o.value,
        reason: o.reason, note, created_by: o.createdBy, created_by_name: o.createdByName, created_at: (o.now ?? new Date()).toISOString(),
      };
      this.db
        .prepare(`INSERT INTO grade_overrides (id, grade_id, card_id, subgrade, machine_value, value, reason, note, created_by, created_by_name, created_at)
          VALUES (@id, @grade_id, @card_id, @subgrade, @machine_value, @value, @reason, @note, @created_by, @created_by_name, @created_at)`)
        .run(row);
      return toRecord(row);
    }).immediate();
  }

  /** Every override of a grade, oldest first (the last one per subgrade is the current one). */
  forGrade(gradeId: string): OverrideRecord[] {
    return (this.db.prepare('SELECT * FROM grade_overrides WHERE grade_id = ? ORDER BY created_at, rowid').all(gradeId) as OverrideRow[]).map(toRecord);
  }
}
