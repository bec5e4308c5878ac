import type { Migration } from './index.ts';

// Optional expiry of API tokens (`token create --expires-in`): NULL = never expires.
export const m0004TokenExpiry: Migration = {
  version: 4,
  name: 'token-expiry',
  up(db) {
    db.exec('ALTER TABLE api_tokens ADD COLUMN expires_at TEXT');
  },
};
