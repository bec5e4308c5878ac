import t from 'tap';
import Database from 'better-sqlite3';
import { migrate } from '../../../src/storage/database.ts';
import { m0001Initial } from '../../../src/storage/migrations/0001-initial.ts';
import { m0002Operators } from '../../../src/storage/migrations/0002-operators.ts';
import { m0003Jobs } from '../../../src/storage/migrations/0003-jobs.ts';

const now = '2026-12-01T10:00:00.000Z';

t.test('0003 rebuilds jobs with the runner states, keeps rows and the scans pointing at them', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  db.pragma('foreign_keys = ON');
  migrate(db, [m0001Initial, m0002Operators]);
  // Rows as the CLI scan of version 2 wrote them: a done scan, a failed one, one left mid-capture.
  db.prepare("INSERT INTO cards (id, barcode, created_at) VALUES (1, 'SUB-1', ?)").run(now);
  db.prepare("INSERT INTO blobs (sha256, size_bytes, media_type, created_at) VALUES (?, 2, 'application/json', ?)").run('a'.repeat(64), now);
  db.prepare("INSERT INTO calibrations (id, procedure, version, passed, figures_json, record_sha256, created_at, expires_at) VALUES ('lights-v1', 'lights', 1, 1, '{}', ?, ?, ?)").run('a'.repeat(64), now, now);
  const job = db.prepare('INSERT INTO jobs (id, kind, card_id, state, error_code, error_message, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?, ?, ?)');
  job.run('j-done', 'scan', 'done', null, null, now, now);
  job.run('j-failed', 'scan', 'failed', 'GB_CAPTURE_FRAME_LOST', 'lost', now, now);
  job.run('j-crashed', 'scan', 'capturing', null, null, now, now);
  job.run('j-cal', 'calibrate', 'queued', null, null, now, now);
  db.prepare("INSERT INTO scans (id, job_id, card_id, side, calibration_id, created_at) VALUES ('s1', 'j-done', 1, 'front', 'lights-v1', ?)").run(now);

  migrate(db, [m0001Initial, m0002Operators, m0003Jobs]);
  t.equal(db.pragma('user_version', { simple: true }), 3);
  t.same(db.pragma('foreign_key_check'), [], 'no dangling reference after the rebuild');
  const rows = db.prepare('SELECT id, kind, state, error_code FROM jobs ORDER BY id').all();
  t.same(rows, [
    { id: 'j-cal', kind: 'calibration', state: 'queued', error_code: null },
    { id: 'j-crashed', kind: 'scan', state: 'interrupted', error_code: 'GB_JOB_INTERRUPTED' },
    { id: 'j-done', kind: 'scan', state: 'done', error_code: null },
    { id: 'j-failed', kind: 'scan', state: 'failed', error_code: 'GB_CAPTURE_FRAME_LOST' },
  ]);
  t.same(db.prepare('SELECT * FROM scan_calibrations').all(), [{ scan_id: 's1', procedure: 'lights', calibration_id: 'lights-v1' }], 'the one calibration of an old scan is kept');
  for (const name of ['jobs', 'job_files', 'scan_calibrations']) {
    const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) as { sql: string };
    t.match(row.sql, /\)\s*STRICT$/, `${name} is STRICT`);
  }
  t.throws(() => db.prepare("INSERT INTO jobs (id, kind, state, created_at, updated_at) VALUES ('x', 'scan', 'capturing', ?, ?)").run(now, now), /CHECK/, 'old states are refused');
  t.throws(() => db.prepare("INSERT INTO jobs (id, kind, state, created_at, updated_at) VALUES ('x', 'scan', 'failed', ?, ?)").run(now, now), /CHECK/, 'a failed job needs its error code');
  t.throws(() => db.prepare("INSERT INTO jobs (id, kind, state, params_json, created_at, updated_at) VALUES ('x', 'scan', 'queued', 'nope', ?, ?)").run(now, now), /CHECK/, 'params must be JSON');
  t.throws(() => db.prepare("INSERT INTO job_files (job_id, sha256, created_at) VALUES ('nobody', ?, ?)").run('b'.repeat(64), now), /FOREIGN KEY/);
  t.throws(() => db.prepare('DELETE FROM jobs WHERE id = ?').run('j-done'), /FOREIGN KEY/, 'scans still reference the rebuilt jobs table');
  const plan = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM jobs WHERE state = 'running'").all() as Array<{ detail: string }>;
  t.match(plan.map((p) => p.detail).join(' '), /USING INDEX jobs_by_state/);
});
