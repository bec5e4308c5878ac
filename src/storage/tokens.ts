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
  /** When the token stops working; null = never. */
  expiresAt: string | null;
}

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  token_sha256: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  expires_at: string | null;
}

/** Longest token name, in characters (code points). */
export const TOKEN_NAME_MAX_CHARS = 64;

// Control characters (an ESC sequence or a newline in `token list`), bidi and other format characters,
// unassigned and private-use code points, line separators: not a label a person reads. ZWJ (U+200D) is
// the one format character allowed, because emoji sequences need it.
const unprintable = /(?!\u200d)[\p{C}\p{Zl}\p{Zp}]/u;

/**
 * Check a token name: 1..64 printable characters, no leading or trailing space, well-formed Unicode (a
 * lone surrogate would be stored as invalid UTF-8). Throws GB_VALIDATION saying what is wrong.
 */
export function checkTokenName(name: string): void {
  const chars = [...name].length;
  let problem: string | undefined;
  if (chars === 0) problem = 'it is empty';
  else if (chars > TOKEN_NAME_MAX_CHARS) problem = `it has ${chars} characters, at most ${TOKEN_NAME_MAX_CHARS} are allowed`;
  else if (/\p{Cs}/u.test(name)) problem = 'it holds a lone surrogate (not valid Unicode)';
  else if (unprintable.test(name)) {
    const c = name.match(unprintable)![0].codePointAt(0)!;
    problem = `it holds the unprintable character U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
  } else if (name.trim() !== name) problem = 'it starts or ends with a space';
  if (problem) throw createError('GB_VALIDATION', `token name must be 1 to ${TOKEN_NAME_MAX_CHARS} printable characters: ${problem}`);
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
  expiresAt: r.expires_at,
});

const rowIsLive = (row: Pick<TokenRow, 'revoked_at' | 'expires_at'>, now: Date): boolean =>
  row.revoked_at === null && (row.expires_at === null || row.expires_at > now.toISOString());

/** API tokens: create, verify, list, revoke. */
export class TokenRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  /** Create a token, optionally expiring after `expiresInS` seconds; returns the secret (shown once) and its record. */
  create(role: Role, name: string, now = new Date(), expiresInS?: number): { token: string; record: TokenRecord } {
    if (!roles.includes(role)) throw createError('GB_USAGE', `role must be one of ${roles.join(', ')}, got "${role}"`);
    checkTokenName(name);
    if (expiresInS !== undefined && !(Number.isInteger(expiresInS) && expiresInS > 0)) {
      throw createError('GB_VALIDATION', `token expiry must be a whole number of seconds above 0, got ${expiresInS}`);
    }
    const id = randomBytes(6).toString('hex');
    const token = `gb_${id}_${randomBytes(32).toString('base64url')}`;
    const createdAt = now.toISOString();
    const expiresAt = expiresInS === undefined ? null : new Date(now.getTime() + expiresInS * 1000).toISOString();
    this.db
      .prepare('INSERT INTO api_tokens (id, name, role, token_sha256, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, name, role, hashToken(token), createdAt, expiresAt);
    return { token, record: { id, name, role, createdAt, lastUsedAt: null, revokedAt: null, expiresAt } };
  }

  /** The live record for a presented token, or undefined when unknown, revoked or expired. */
  verify(token: string, now = new Date()): TokenRecord | undefined {
    if (token.length < 10 || token.length > 200) return undefined;
    const digest = hashToken(token);
    const row = this.db.prepare('SELECT * FROM api_tokens WHERE token_sha256 = ?').get(digest) as TokenRow | undefined;
    if (!row || !rowIsLive(row, now)) return undefined;
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

  /** Whether the token with this id is neither revoked nor expired (open websockets are re-checked with it). */
  isLive(id: string, now = new Date()): boolean {
    const row = this.db.prepare('SELECT revoked_at, expires_at FROM api_tokens WHERE id = ?').get(id) as Pick<TokenRow, 'revoked_at' | 'expires_at'> | undefined;
    return row !== undefined && rowIsLive(row, now);
  }

  list(): TokenRecord[] {
    return (this.db.prepare('SELECT * FROM api_tokens ORDER BY created_at, id').all() as TokenRow[]).map(toRecord);
  }

  /** Revoke by id; returns false when no live token has that id. */
  revoke(id: string, now = new Date()): boolean {
    return this.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now.toISOString(), id).changes === 1;
  }
}
