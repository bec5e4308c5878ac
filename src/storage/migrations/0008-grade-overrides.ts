import type { Migration } from './index.ts';

// An operator's override of one subgrade, kept beside the machine's grade and never replacing it: each
// row names the grade row it disagrees with (and so its card), the subgrade, the machine's value at the
// time, the operator's value in half points, a reason from a fixed list plus free text, and who and when.
// A later override of the same subgrade does not erase an earlier one (both are training labels).
export const m0008GradeOverrides: Migration = {
  version: 8,
  name: 'grade-overrides',
  up(db) {
    db.exec(`
      CREATE TABLE grade_overrides (
        id             TEXT PRIMARY KEY,
        grade_id       TEXT NOT NULL REFERENCES grades(id),
        card_id        INTEGER NOT NULL REFERENCES cards(id),
        subgrade       TEXT NOT NULL CHECK (subgrade IN ('centering', 'corners', 'edges', 'surface')),
        machine_value  REAL CHECK (machine_value BETWEEN 1 AND 10),
        value          REAL NOT NULL CHECK (value BETWEEN 1 AND 10 AND value * 2 = round(value * 2)),
        reason         TEXT NOT NULL CHECK (reason IN ('missed-defect', 'not-a-defect', 'centering-off', 'card-moved', 'other')),
        note           TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 500 AND (reason <> 'other' OR length(note) > 0)),
        created_by     TEXT NOT NULL,
        created_by_name TEXT NOT NULL,
        created_at     TEXT NOT NULL
      ) STRICT;
      CREATE INDEX grade_overrides_by_grade ON grade_overrides(grade_id, created_at);
      CREATE INDEX grade_overrides_by_card ON grade_overrides(card_id, created_at);
    `);
  },
};
