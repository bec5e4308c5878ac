import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from './database.ts';
import { createError } from '../core/errors.ts';

export type Role = 'operator' | 'technician' | 'fleet';
export const roles: readonly Role[] = ['operator', 'technician', 'fleet'];

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  token_sha256: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

// Tokens are 256-bit random secrets, so a plain sha256 is a sufficient verifier (no password stretching
// needed); only the hash is stored, and the secret is shown once at creation.
const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
const toRecord = (r: TokenRow): TokenRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

/** API tokens: create, verify, list, revoke. */
export class TokenRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  /** Create a token; returns the secret (shown once) and its record. */
  create(role: Role, name: string, now = new Date()): { token: string; record: TokenRecord } {
    if (!roles.includes(role)) throw createError('GB_USAGE', `role must be one of ${roles.join(', ')}, got "${role}"`);
    const id = randomBytes(6).toString('hex');
    const token = `gb_${id}_${randomBytes(32).toString('base64url')}`;
    const createdAt = now.toISOString();
    this.db
      .prepare('INSERT INTO api_tokens (id, name, role, token_sha256, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, name, role, hashToken(token), createdAt);
    return { token, record: { id, name, role, createdAt, lastUsedAt: null, revokedAt: null } };
  }

  /** The live record for a presented token, or undefined when unknown or revoked. */
  verify(token: string): TokenRecord | undefined {
    if (token.length < 10 || token.length > 200) return undefined;
    const digest = hashToken(token);
    const row = this.db.prepare('SELECT * FROM api_tokens WHERE token_sha256 = ?').get(digest) as TokenRow | undefined;
    if (!row || row.revoked_at !== null) return undefined;
    // The lookup was by hash already; the constant-time compare guards against a future change to prefix lookup.
    if (!timingSafeEqual(Buffer.from(row.token_sha256, 'hex'), Buffer.from(digest, 'hex'))) return undefined;
    return toRecord(row);
  }

  /** Record use, at most once a minute per token to spare the disk. */
  touch(id: string, now = new Date()): void {
    const cutoff = new Date(now.getTime() - 60_000).toISOString();
    this.db
      .prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)')
      .run(now.toISOString(), id, cutoff);
  }

  list(): TokenRecord[] {
    return (this.db.prepare('SELECT * FROM api_tokens ORDER BY created_at, id').all() as TokenRow[]).map(toRecord);
  }

  /** Revoke by id; returns false when no live token has that id. */
  revoke(id: string, now = new Date()): boolean {
    return this.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now.toISOString(), id).changes === 1;
  }
}
