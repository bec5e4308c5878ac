// A barcode read at the booth starts grading that card: `gradebooth sim barcode CODE` types the code through
// the daemon's simulated scanner (HID reports, the real decoder), the daemon starts a scan-card job, the
// job stops at the flip for the operator's confirmation, and the card ends with both sides scanned and
// graded (or, with no surface model installed, measured with the reason it has no grade).
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import Database from 'better-sqlite3';
import { exited, runCli, startServe } from '../cli/run-cli.ts';
import { ensureSimBuilt } from '../../src/sim/rig/simulated-rig.ts';
import { simSeedOfBarcode } from '../../src/daemon/barcode-jobs.ts';
import { shippedSurfaceModel } from '../helpers/shipped-model.ts';
import { assertPayload } from '../../src/sync/payloads.ts';

let skip: string | false = false;
try {
  await ensureSimBuilt();
} catch (err) {
  skip = `simulated rig unavailable (needs simavr and the built firmware): ${(err as Error).message}`;
}

interface Job { id: string; kind: string; state: string; stage: string | null; waitingFor: string | null; params: Record<string, unknown>; error: { code: string } | null; result: any; requestedBy: string | null }
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('a scanned barcode grades the card: front, the flip prompt, the back', { skip }, async (t) => {
  // A short path: unix socket paths are limited to 107 bytes.
  const dataDir = mkdtempSync(join(tmpdir(), 'gb-bcjob-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = join(dataDir, 'booth.json');
  writeFileSync(config, JSON.stringify({ booth: { sim_flip_wait_s: 0 }, hardware: { camera: { width_px: 375, height_px: 512 }, scanner: { kind: 'simulated', pattern: 'SUB-[0-9]{4}' } } }));
  const token = async (role: string): Promise<string> => (await runCli(['token', 'create', '--role', role, '--name', role, '--data-dir', dataDir])).stdout.trim().split('\n').at(-1) ?? '';
  const technician = await token('technician');
  const operator = await token('operator');
  const serve = await startServe(['--config', config, '--data-dir', dataDir, '--port', '0']);
  t.teardown(() => {
    if (serve.child.exitCode === null) serve.child.kill('SIGKILL');
  });
  const api = async (method: string, path: string, bearer: string, body?: unknown): Promise<any> => {
    const r = await fetch(`http://127.0.0.1:${serve.port}${path}`, { method, headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    return r.json();
  };
  const until = async (id: string, done: (j: Job) => boolean): Promise<Job> => {
    for (;;) {
      const j = (await api('GET', `/api/jobs/${id}`, operator)) as Job;
      if (done(j)) return j;
      await sleep(50);
    }
  };
  const ws = new WebSocket(`ws://127.0.0.1:${serve.port}/api/events?access_token=${operator}`);
  const events: Array<{ type: string; data: Record<string, unknown> }> = [];
  ws.on('message', (m) => events.push(JSON.parse(m.toString()) as (typeof events)[number]));
  await new Promise((resolve) => ws.once('open', resolve));
  t.teardown(() => ws.close());

  // Before the booth is calibrated a read cannot start grading: the scanner's user is told why.
  const early = await runCli(['sim', 'barcode', 'SUB-0099', '--data-dir', dataDir]);
  t.equal(early.code, 1, 'no job without a calibration');
  t.match(early.stderr, /GB_NOT_CALIBRATED/);
  t.match(events.find((e) => e.type === 'scanner.job_refused'), { data: { code: 'SUB-0099', error: /^GB_NOT_CALIBRATED/ } }, 'the screen hears why');

  const cal = (await api('POST', '/api/calibrations', technician, {})) as { jobId: string };
  t.equal((await until(cal.jobId, (j) => !['queued', 'running'].includes(j.state))).state, 'done', 'calibrated');

  const read = await runCli(['sim', 'barcode', 'SUB-0100', '--data-dir', dataDir, '--json']);
  t.equal(read.code, 0, read.stderr);
  const out = JSON.parse(read.stdout.trim().split('\n').at(-1) ?? '{}') as { outcome: string; code: string; jobId: string };
  t.match(out, { outcome: 'accepted', code: 'SUB-0100', jobId: /^job-/ });
  t.match(events.find((e) => e.type === 'scanner.job'), { data: { code: 'SUB-0100', jobId: out.jobId } }, 'the screen hears which job the code started');

  const waiting = await until(out.jobId, (j) => j.waitingFor !== null || !['queued', 'running'].includes(j.state));
  t.equal(waiting.kind, 'scan-card');
  t.equal(waiting.requestedBy, 'scanner:simulated keyboard-wedge scanner (us layout)');
  t.equal(waiting.params.simSeed, simSeedOfBarcode('SUB-0100'), 'the simulated card follows from the code');
  t.match(waiting.waitingFor, /turn card SUB-0100 over/, 'the job waits for the operator to turn the card');
  t.equal(waiting.state, 'running');
  t.ok(events.some((e) => e.type === 'job.progress' && e.data.jobId === out.jobId && /^waiting: turn card/.test(String(e.data.message))), 'the flip prompt goes out as an event');
  const front = (await api('GET', '/api/cards?barcode=SUB-0100', operator)).items[0];
  t.same(front.scans.map((s: any) => [s.side, s.complete]), [['front', true]], 'the front is stored before the flip');

  const cont = await api('POST', `/api/jobs/${out.jobId}/continue`, operator, {});
  t.equal(cont.id, out.jobId, 'the operator confirms the flip');
  const done = await until(out.jobId, (j) => !['queued', 'running'].includes(j.state));
  t.equal(done.state, 'done', JSON.stringify(done.error));
  const card = (await api('GET', '/api/cards?barcode=SUB-0100', operator)).items[0];
  t.same(card.scans.map((s: any) => s.side).sort(), ['back', 'front'], 'both sides are stored under the barcode');
  const grade = done.result.grade;
  t.equal(grade.sides.length, 2, 'both sides were measured');
  // With a surface model in models/ the card must end graded; without one, measured with the reason.
  const model = await shippedSurfaceModel();
  t.equal(grade.error === undefined, model !== null, model ? `surface model ${model.version} installed: graded (${grade.error ?? 'no error'})` : 'no surface model: not graded');
  if (grade.error) {
    t.match(grade.error, /^GB_MODEL_MISSING/, 'no surface model: the job says why there is no grade');
    t.same(card.grades, []);
  } else {
    t.type(grade.grade, 'number', `graded ${grade.grade} (${grade.score1000} / 1000)`);
    t.match(grade.model, { name: model?.name, version: model?.version }, 'by the installed model');
    t.match(card.grades, [{ id: grade.gradeId, jobId: out.jobId, grade: grade.grade, score1000: grade.score1000, subgrades: grade.subgrades }], "the card's grade in the API is the job's");
    t.equal(card.grades.length, 1, 'one grade');
    t.same(card.grades[0].defects.map((d: any) => [d.side, d.type]), grade.defects.map((d: any) => [d.side, d.type]), "the card's defects are the report's");
    for (const n of Object.keys(grade.files)) t.ok((await fetch(`http://127.0.0.1:${serve.port}/api/files/${grade.files[n].sha256}`, { headers: { authorization: `Bearer ${operator}` } })).ok, `report file ${n} is served`);
  }

  // No `fleet` settings: the booth runs offline, and the card's fleet results wait in its outbox — the front's
  // and the back's side results and the card's, each naming the scan it comes from, never a grade not made.
  const outbox = new Database(join(dataDir, 'gradebooth.sqlite'), { readonly: true });
  const queued = (outbox.prepare("SELECT message_id, payload FROM outbox WHERE kind = 'result' ORDER BY id").all() as Array<{ message_id: string; payload: Buffer }>).map((r) => ({ id: r.message_id, ...JSON.parse(r.payload.toString()) }));
  outbox.close();
  t.same(queued.map((m) => m.id), done.result.fleetMessages, 'the job lists the results it queued');
  t.same(queued.map((m) => [m.kind, m.side, m.barcode, m.jobId]), [['side', 'front', 'SUB-0100', out.jobId], ['side', 'back', 'SUB-0100', out.jobId], ['card', null, 'SUB-0100', out.jobId]]);
  t.same(queued.slice(0, 2).map((m) => m.scanId).sort(), card.scans.map((s: any) => s.id).sort(), 'each side result names its scan');
  t.equal(queued[2].grades.overall, grade.error ? null : grade.grade, 'the card result carries the grade the booth made, or none');
  if (grade.error) t.match(queued[2].reason, { code: 'GB_MODEL_MISSING' });
  else {
    t.match(queued[2], { gradeId: grade.gradeId, score1000: grade.score1000, reason: null, model: { name: model?.name, version: model?.version }, grades: { overall: grade.grade, ...grade.subgrades } }, 'the card result is the stored grade');
    t.equal(queued[2].defects.length, card.grades[0].defects.length, 'with every defect of the card');
    for (const [i, side] of (['front', 'back'] as const).entries()) {
      const measured = grade.sides.find((s: any) => s.side === side);
      t.match(queued[i], { gradeId: grade.gradeId, grades: { overall: null, ...measured.subgrades } }, `the ${side} result carries that side's subgrades`);
      t.same(queued[i].defects.map((d: any) => d.kind), measured.defects.map((d: any) => d.type), `and its defects`);
    }
    for (const { id: _id, ...m } of queued) t.doesNotThrow(() => assertPayload('gradebooth.result.v1', m), `${m.kind} ${m.side ?? ''}: a valid result payload`);
  }

  serve.child.kill('SIGTERM');
  t.equal(await exited(serve.child), 0, 'SIGTERM: exit 0');
});
