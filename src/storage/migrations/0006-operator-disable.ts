import type { Migration } from './index.ts';

// A technician can disable an operator (no sign-in, sessions ended) and enable them again, unlike a
// removal, which is for good. NULL = enabled.
export const m0006OperatorDisable: Migration = {
  version: 6,
  name: 'operator-disable',
  up(db) {
    db.exec('ALTER TABLE operators ADD COLUMN disabled_at TEXT');
  },
};
