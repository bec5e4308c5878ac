// kill -9 of a grading job at the exact points around its last commit (issue 14, crash window): the card's grade
// rows, the fleet results announcing them, the last side's scan and the job's end commit in one transaction, so
// a crash leaves either all of them or none. Before the fix a kill after the grade's commit left a graded card
// with announced results beside an `interrupted` job whose last scan never completed. The kills are
// deterministic (the job's own process kills itself at the point: test/daemon/fixtures/grading-job-kill.ts);
// the restart is a real `gradebooth serve`, whose start-up recovery then runs. A test model (a real ONNX
// surface model written by test/helpers/onnx-model.ts) makes the graded branch run whatever models/ holds; the
// ungraded branch (no model: results saying why) runs too.
import t from 'tap';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exited } from '../cli/run-cli.ts';
import { startSimDaemon } from '../helpers/sim-daemon.ts';
import { writeSurfaceModel } from '../helpers/onnx-model.ts';
import { ensureSimBuilt } from '../../src/sim/rig/simulated-rig.ts';

let skip: string | false = false;
try {
  await ensureSimBuilt();
} catch (err) {
  skip = `simulated rig unavailable (needs simavr and the built firmware): ${(err as Error).message}`;
}

const fixture = fileURLToPath(new URL('./fixtures/grading-job-kill.ts', import.meta.url));

/** Run the grading job in its own process until it kills itself at `point`; the job's id. */
function killedAt(dataDir: string, point: 'before-commit' | 'after-commit', modelDir: string, barcode: string): Promise<{ jobId: string; signal: string | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, dataDir, point, modelDir, barcode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      const jobId = /"jobId":"([^"]+)"/.exec(output)?.[1];
      if (!jobId) reject(new Error(`the job process submitted no job:\n${output}`));
      else resolve({ jobId, signal, output });
    });
  });
}

interface Rows { state: string; grades: string[]; results: Array<{ kind: string; gradeId: string | null; reason: unknown }>; scansComplete: Record<string, boolean>; journal: number }

/** What the data directory holds about one job (read-only, with the daemon stopped). */
function rowsOf(dataDir: string, jobId: string): Rows {
  const db = new Database(join(dataDir, 'gradebooth.sqlite'), { readonly: true });
  try {
    const state = db.prepare('SELECT state FROM jobs WHERE id = ?').pluck().get(jobId) as string;
    const grades = db.prepare('SELECT id FROM grades WHERE job_id = ?').pluck().all(jobId) as string[];
    const results = (db.prepare("SELECT payload FROM outbox WHERE kind = 'result'").pluck().all() as Buffer[])
      .map((p) => JSON.parse(p.toString('utf8')) as { kind: string; jobId: string; gradeId: string | null; reason: unknown })
      .filter((r) => r.jobId === jobId)
      .map((r) => ({ kind: r.kind, gradeId: r.gradeId, reason: r.reason }));
    const scans = db.prepare('SELECT side, normals_sha256 IS NOT NULL AS complete FROM scans WHERE job_id = ?').all(jobId) as Array<{ side: string; complete: number }>;
    const journal = db.prepare('SELECT COUNT(*) FROM job_files WHERE job_id = ?').pluck().get(jobId) as number;
    return { state, grades, results, scansComplete: Object.fromEntries(scans.map((s) => [s.side, s.complete === 1])), journal };
  } finally {
    db.close();
  }
}

t.test('kill -9 around a grading job\'s last commit leaves all of it or none of it', { skip }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'gb-grading-kill-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const dataDir = join(work, 'data');
  const model = writeSurfaceModel(join(work, 'model'), '0.0.1-test');
  let d = await startSimDaemon(dataDir);
  t.teardown(() => {
    if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  });
  const tokens = { technician: d.technician, operator: d.operator };
  t.equal((await d.calibrate()).state, 'done', 'calibrated');
  d.child.kill('SIGTERM');
  t.equal(await exited(d.child), 0, 'the daemon stopped for the job process to own the booth');

  const cases = [
    { name: 'graded, killed before the last commit', point: 'before-commit', model: model.dir, barcode: 'KILL-0001' },
    { name: 'graded, killed right after the last commit', point: 'after-commit', model: model.dir, barcode: 'KILL-0002' },
    { name: 'no surface model, killed before the last commit', point: 'before-commit', model: 'none', barcode: 'KILL-0003' },
    { name: 'no surface model, killed right after the last commit', point: 'after-commit', model: 'none', barcode: 'KILL-0004' },
  ] as const;
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const killed = await killedAt(dataDir, c.point, c.model, c.barcode);
      t.equal(killed.signal, 'SIGKILL', `the job process was killed at ${c.point}${killed.signal === 'SIGKILL' ? '' : `:\n${killed.output}`}`);
      const atKill = rowsOf(dataDir, killed.jobId);
      // After the last commit the job's end is in the database already: the commit held it.
      t.equal(atKill.state, c.point === 'before-commit' ? 'running' : 'done', 'the job\'s row as the process left it');

      // The restart: a real daemon recovers what the crash left.
      d = await startSimDaemon(dataDir, { tokens });
      const job = await d.job(killed.jobId);
      const report = d.inspect();
      d.child.kill('SIGTERM');
      t.equal(await exited(d.child), 0, 'the restarted daemon stops cleanly');
      t.same({ missing: report.missing, orphans: report.orphans, stuck: report.stuckJobs, integrity: report.integrity }, { missing: [], orphans: [], stuck: [], integrity: 'ok' }, 'no lost, orphan or stuck anything');
      const rows = rowsOf(dataDir, killed.jobId);
      t.equal(rows.journal, 0, 'the job\'s file journal was worked off');
      const graded = c.model !== 'none';
      if (c.point === 'before-commit') {
        t.equal(job.state, 'interrupted', 'nothing of the last commit was there: the job reads interrupted');
        t.same(rows.grades, [], 'no grade row');
        t.same(rows.results, [], 'no result was announced');
        t.same(rows.scansComplete, { front: true, back: false }, 'the front scan complete (its own commit), the back not');
      } else {
        t.equal(job.state, 'done', 'the last commit was there: the job reads done, never interrupted');
        t.same(rows.scansComplete, { front: true, back: true }, 'both scans complete');
        t.same(rows.results.map((r) => r.kind).sort(), ['card', 'side', 'side'], 'the card\'s results were announced: per side and for the card');
        if (graded) {
          t.equal(rows.grades.length, 1, 'the card keeps its grade');
          t.ok(rows.results.every((r) => r.gradeId === rows.grades[0]), 'every result announces that grade');
          t.equal((job.result as { grade?: { gradeId?: string } }).grade?.gradeId, rows.grades[0], 'the job\'s result names it');
        } else {
          t.same(rows.grades, [], 'no grade without a surface model');
          t.ok(rows.results.every((r) => r.gradeId === null && (r.reason as { code?: string } | null)?.code === 'GB_MODEL_MISSING'), 'the results say why there is no grade');
        }
      }
      // The invariant whatever the point: a grade or result exists only beside a job that reads done.
      if (rows.grades.length > 0 || rows.results.length > 0) t.equal(job.state, 'done', 'a graded or announced card belongs to a done job');
    });
  }
});
