import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { Db } from './database.ts';
import { createError } from '../core/errors.ts';

export type OperatorRole = 'operator' | 'technician';

export interface OperatorRecord {
  id: string;
  name: string;
  role: OperatorRole;
  createdAt: string;
  createdBy: string;
  /** When a technician disabled them (no sign-in until enabled again); null = enabled. */
  disabledAt: string | null;
}

interface OperatorRow {
  id: string;
  name: string;
  role: OperatorRole;
  pin_hash: string;
  failed_pins: number;
  locked_until: string | null;
  created_at: string;
  created_by: string;
  removed_at: string | null;
  disabled_at: string | null;
}

/** scrypt cost: N = 2^15, r = 8 (32 MiB, tens of ms here): a 4–8 digit PIN must be slow to guess offline. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024, keyLen: 32 } as const;
/** Wrong PINs in a row before the name is locked, and for how long, ms. */
export const PIN_ATTEMPTS = 5;
export const PIN_LOCK_MS = 5 * 60_000;

function scryptAsync(pin: string, salt: Buffer, N: number, r: number, p: number, keyLen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(pin, salt, keyLen, { N, r, p, maxmem: SCRYPT.maxmem }, (err, key) => (err ? reject(err) : resolve(key))));
}

/** Hash a PIN as `scrypt$N$r$p$salt$key` (base64url), parameters kept so they can be raised later. */
export async function hashPin(pin: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(pin, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keyLen);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Check a PIN against a stored hash, in constant time. */
export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const got = await scryptAsync(pin, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p), expected.length);
  return timingSafeEqual(got, expected);
}

/** A PIN is 4 to 8 digits (typed on the touchscreen's keypad). */
export function validatePin(pin: unknown): string {
  if (typeof pin !== 'string' || !/^[0-9]{4,8}$/.test(pin)) throw createError('GB_VALIDATION', 'pin: expected 4 to 8 digits');
  return pin;
}

const toRecord = (r: OperatorRow): OperatorRecord => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at, createdBy: r.created_by, disabledAt: r.disabled_at });

/** Booth operators and technicians who sign in at the touchscreen. */
export class OperatorRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async create(name: string, pin: string, role: OperatorRole, createdBy: string, now = new Date()): Promise<OperatorRecord> {
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 64) throw createError('GB_VALIDATION', 'name: expected 1 to 64 characters');
    if (role !== 'operator' && role !== 'technician') throw createError('GB_VALIDATION', `role: expected operator or technician, got "${String(role)}"`);
    validatePin(pin);
    const pinHash = await hashPin(pin);
    const existing = this.db.prepare('SELECT id FROM operators WHERE name = ? AND removed_at IS NULL').get(trimmed);
    if (existing) throw createError('GB_CONFLICT', `an operator named "${trimmed}" exists already`);
    // A removed operator's name may be taken again: the old row keeps its id for the audit trail.
    this.db.prepare("UPDATE operators SET name = name || ' (removed ' || id || ')' WHERE name = ? AND removed_at IS NOT NULL").run(trimmed);
    const id = randomBytes(6).toString('hex');
    this.db
      .prepare('INSERT INTO operators (id, name, role, pin_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, trimmed, role, pinHash, now.toISOString(), createdBy);
    return { id, name: trimmed, role, createdAt: now.toISOString(), createdBy, disabledAt: null };
  }

  list(): OperatorRecord[] {
    return (this.db.prepare('SELECT * FROM operators WHERE removed_at IS NULL ORDER BY name').all() as OperatorRow[]).map(toRecord);
  }

  get(id: string): OperatorRecord | undefined {
    const row = this.db.prepare('SELECT * FROM operators WHERE id = ? AND removed_at IS NULL').get(id) as OperatorRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** Remove an operator (kept for the audit trail) and end their sessions; false when there is none. */
  remove(id: string, now = new Date()): boolean {
    const at = now.toISOString();
    return this.db.transaction(() => {
      const changed = this.db.prepare('UPDATE operators SET removed_at = ? WHERE id = ? AND removed_at IS NULL').run(at, id).changes;
      this.db.prepare('UPDATE ui_sessions SET ended_at = ? WHERE operator_id = ? AND ended_at IS NULL').run(at, id);
      return changed > 0;
    })();
  }

  /**
   * Disable (no sign-in, their sessions end) or enable an operator again; the record, or undefined when
   * there is none. Disabling an operator who is disabled keeps the first time.
   */
  setDisabled(id: string, disabled: boolean, now = new Date()): OperatorRecord | undefined {
    const at = now.toISOString();
    return this.db.transaction(() => {
      const changed = disabled
        ? this.db.prepare('UPDATE operators SET disabled_at = coalesce(disabled_at, ?) WHERE id = ? AND removed_at IS NULL').run(at, id).changes
        : this.db.prepare('UPDATE operators SET disabled_at = NULL WHERE id = ? AND removed_at IS NULL').run(id).changes;
      if (changed === 0) return undefined;
      if (disabled) this.db.prepare('UPDATE ui_sessions SET ended_at = ? WHERE operator_id = ? AND ended_at IS NULL').run(at, id);
      return this.get(id);
    })();
  }

  /**
   * Set a new PIN (kept as a slow hash like every PIN), clear the wrong-PIN count and lock, and end the
   * operator's sessions; false when there is no such operator.
   */
  async resetPin(id: string, pin: string, now = new Date()): Promise<boolean> {
    validatePin(pin);
    const pinHash = await hashPin(pin);
    const at = now.toISOString();
    return this.db.transaction(() => {
      const changed = this.db.prepare('UPDATE operators SET pin_hash = ?, failed_pins = 0, locked_until = NULL WHERE id = ? AND removed_at IS NULL').run(pinHash, id).changes;
      if (changed > 0) this.db.prepare('UPDATE ui_sessions SET ended_at = ? WHERE operator_id = ? AND ended_at IS NULL').run(at, id);
      return changed > 0;
    })();
  }

  /**
   * Check name + PIN. Wrong PINs count up; at PIN_ATTEMPTS the name is locked for PIN_LOCK_MS (GB_AUTH_INVALID
   * says so). The answer for an unknown name is the same as for a wrong PIN.
   */
  async authenticate(name: string, pin: string, now = new Date()): Promise<OperatorRecord> {
    const row = this.db.prepare('SELECT * FROM operators WHERE name = ? AND removed_at IS NULL').get(name.trim()) as OperatorRow | undefined;
    const wrong = createError('GB_AUTH_INVALID', 'name or PIN is wrong');
    if (!row) {
      // Spend the same time as a real check, so timing does not tell which names exist.
      await verifyPin(pin, await hashPin('0000'));
      throw wrong;
    }
    if (row.locked_until !== null && row.locked_until > now.toISOString()) {
      throw createError('GB_AUTH_INVALID', `too many wrong PINs: "${row.name}" is locked until ${row.locked_until}; a technician can reset the PIN`);
    }
    if (await verifyPin(pin, row.pin_hash)) {
      this.db.prepare('UPDATE operators SET failed_pins = 0, locked_until = NULL WHERE id = ?').run(row.id);
      // Said only to whoever knows the PIN, so it tells a guesser nothing.
      if (row.disabled_at !== null) throw createError('GB_AUTH_INVALID', `"${row.name}" is disabled: a technician can enable them again`);
      return toRecord(row);
    }
    const failed = row.failed_pins + 1;
    const lock = failed >= PIN_ATTEMPTS ? new Date(now.getTime() + PIN_LOCK_MS).toISOString() : null;
    this.db.prepare('UPDATE operators SET failed_pins = ?, locked_until = ? WHERE id = ?').run(lock ? 0 : failed, lock, row.id);
    throw wrong;
  }
}

export interface UiSession {
  operator: OperatorRecord;
  expiresAt: string;
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** Touchscreen sessions: a random secret in an httpOnly cookie; expire after `idleMs` without use and after `maxMs` in all. */
export class SessionRepository {
  private readonly db: Db;
  private readonly idleMs: number;
  private readonly maxMs: number;

  constructor(db: Db, options: { idleMs: number; maxMs: number }) {
    this.db = db;
    this.idleMs = options.idleMs;
    this.maxMs = options.maxMs;
  }

  get idleTimeoutMs(): number {
    return this.idleMs;
  }

  /** Start a session; returns the cookie secret (never stored) and when it lapses if unused. */
  start(operatorId: string, now = new Date()): { secret: string; idleExpiresAt: string } {
    const secret = randomBytes(32).toString('base64url');
    const at = now.toISOString();
    this.db
      .prepare('INSERT INTO ui_sessions (secret_sha256, operator_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(sha256(secret), operatorId, at, at, new Date(now.getTime() + this.maxMs).toISOString());
    return { secret, idleExpiresAt: new Date(now.getTime() + this.idleMs).toISOString() };
  }

  /** The live session for a cookie secret (and mark it used), or undefined when unknown, ended, idle too long or expired. */
  use(secret: string, now = new Date()): UiSession | undefined {
    if (secret.length < 20 || secret.length > 100) return undefined;
    const row = this.db
      .prepare('SELECT s.last_seen_at, s.expires_at, s.ended_at, o.* FROM ui_sessions s JOIN operators o ON o.id = s.operator_id WHERE s.secret_sha256 = ?')
      .get(sha256(secret)) as (OperatorRow & { last_seen_at: string; expires_at: string; ended_at: string | null }) | undefined;
    if (!row || row.ended_at !== null || row.removed_at !== null || row.disabled_at !== null) return undefined;
    const at = now.toISOString();
    if (row.expires_at <= at || new Date(row.last_seen_at).getTime() + this.idleMs <= now.getTime()) {
      this.db.prepare('UPDATE ui_sessions SET ended_at = ? WHERE secret_sha256 = ?').run(at, sha256(secret));
      return undefined;
    }
    this.db.prepare('UPDATE ui_sessions SET last_seen_at = ? WHERE secret_sha256 = ?').run(at, sha256(secret));
    return { operator: toRecord(row), expiresAt: row.expires_at };
  }

  /** Whether the session is still live, without counting this as use (open websockets are re-checked with it). */
  isLive(secret: string, now = new Date()): boolean {
    const row = this.db
      .prepare('SELECT s.last_seen_at, s.expires_at, s.ended_at, o.removed_at, o.disabled_at FROM ui_sessions s JOIN operators o ON o.id = s.operator_id WHERE s.secret_sha256 = ?')
      .get(sha256(secret)) as { last_seen_at: string; expires_at: string; ended_at: string | null; removed_at: string | null; disabled_at: string | null } | undefined;
    if (!row || row.ended_at !== null || row.removed_at !== null || row.disabled_at !== null) return false;
    return row.expires_at > now.toISOString() && new Date(row.last_seen_at).getTime() + this.idleMs > now.getTime();
  }

  end(secret: string, now = new Date()): void {
    this.db.prepare('UPDATE ui_sessions SET ended_at = ? WHERE secret_sha256 = ? AND ended_at IS NULL').run(now.toISOString(), sha256(secret));
  }
}
