// The job runner on a real SQLite file and a real file store, with job kinds defined here whose stages
// write files and wait where the test says: queue order, one hardware job at a time with overlap once
// the hardware is released, cancel at any stage (LEDs off, files removed), failures with their code,
// manual confirmations, and the recovery of jobs a crash left running.
import t, { type Test } from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { privateDir } from '../calibration/temp-dir.ts';
import { EventBus, type BoothEventEnvelope } from '../../src/core/events.ts';
import { createError } from '../../src/core/errors.ts';
import { openDatabase, type Db } from '../../src/storage/database.ts';
import { FileStore } from '../../src/storage/file-store.ts';
import { BlobRepository } from '../../src/storage/blobs.ts';
import { JobRepository } from '../../src/storage/jobs.ts';
import { JobRunner } from '../../src/jobs/runner.ts';
import type { JobContext, JobKindDefinition } from '../../src/jobs/stage.ts';

/** A gate a stage waits at until the test opens it. */
function gate(): { wait: (signal: AbortSignal) => Promise<void>; open: () => void; reached: Promise<void> } {
  let open!: () => void;
  let reached!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const reachedP = new Promise<void>((r) => (reached = r));
  return {
    open,
    reached: reachedP,
    wait: (signal) =>
      new Promise<void>((resolve, reject) => {
        reached();
        signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        void opened.then(resolve);
      }),
  };
}

interface Plan {
  /** Bytes the first stage writes (journaled) and the blob it commits. */
  write?: string[];
  commit?: boolean;
  gateAfterWrite?: ReturnType<typeof gate>;
  releaseAfterFirst?: boolean;
  gateInProcessing?: ReturnType<typeof gate>;
  fail?: boolean;
  confirm?: boolean;
  confirmTimeoutMs?: number;
  /** The last stage commits a row and the job's end in one transaction (commitDone); `inCommit` runs first in it. */
  commitWithEnd?: { text: string; inCommit?: () => void; throwAfter?: boolean };
  /** The first stage calls commitDone (refused: only the last stage may). */
  commitEarly?: boolean;
}

function testKind(db: Db, blobs: BlobRepository, plans: Map<string, Plan>, order: string[]): JobKindDefinition<{ name: string }, { name: string }> {
  return {
    kind: 'grade',
    prepare: (params) => {
      if (typeof params.name !== 'string') throw createError('GB_VALIDATION', 'name: expected a string');
      return { params: { name: params.name } };
    },
    async plan(params) {
      const p = plans.get(params.name) ?? {};
      return {
        state: { name: params.name },
        stages: [
          {
            name: 'capture',
            async run(state, job: JobContext) {
              order.push(`${state.name}:capture`);
              for (const text of p.write ?? []) {
                const put = await job.putFile(Buffer.from(text));
                if (p.commit) db.transaction(() => blobs.register(put.sha256, put.sizeBytes, 'text/plain'))();
              }
              if (p.gateAfterWrite) await p.gateAfterWrite.wait(job.signal);
              if (p.confirm) order.push(`${state.name}:${await job.awaitContinue('turn the card over', p.confirmTimeoutMs === undefined ? {} : { timeoutMs: p.confirmTimeoutMs })}`);
              if (p.releaseAfterFirst) job.releaseHardware();
              if (p.commitEarly) job.commitDone();
            },
          },
          {
            name: 'process',
            async run(state, job) {
              order.push(`${state.name}:process`);
              if (p.gateInProcessing) await p.gateInProcessing.wait(job.signal);
              if (p.fail) throw createError('GB_VISION_FAILED', `${state.name}: no card outline found`);
              const c = p.commitWithEnd;
              if (c) {
                const put = await job.putFile(Buffer.from(c.text));
                db.transaction(() => {
                  blobs.register(put.sha256, put.sizeBytes, 'text/plain');
                  c.inCommit?.();
                  job.commitDone();
                }).immediate();
                if (c.throwAfter) throw new Error('after the commit');
              }
              order.push(`${state.name}:end`);
            },
          },
        ],
      };
    },
    result: (state) => ({ name: state.name }),
  };
}

async function setup(t: Test) {
  const dir = privateDir(t, 'runner');
  const db = openDatabase(join(dir, 'db.sqlite'));
  t.teardown(() => db.close());
  const store = new FileStore(join(dir, 'store'));
  await store.init();
  const jobs = new JobRepository(db);
  const blobs = new BlobRepository(db);
  const bus = new EventBus();
  const events: BoothEventEnvelope[] = [];
  bus.onAny((e) => events.push(e));
  const plans = new Map<string, Plan>();
  const order: string[] = [];
  let lightsOff = 0;
  const make = (): JobRunner =>
    new JobRunner({ db, store, jobs, blobs, bus, kinds: [testKind(db, blobs, plans, order)], lightsOff: async () => void lightsOff++ });
  const storedFiles = (): string[] =>
    readdirSync(join(dir, 'store')).filter((d) => d !== 'tmp').flatMap((d) => readdirSync(join(dir, 'store', d)).map((f) => d + f)).sort();
  return { dir, db, store, jobs, blobs, bus, events, plans, order, make, storedFiles, lightsOff: () => lightsOff };
}

t.test('jobs run in submission order; the next starts capturing once the previous released the hardware', async (t) => {
  const s = await setup(t);
  const hold = gate();
  s.plans.set('a', { releaseAfterFirst: true, gateInProcessing: hold });
  s.plans.set('b', {});
  s.plans.set('c', {});
  const runner = s.make();
  await runner.start();
  const a = await runner.submit('grade', { name: 'a' });
  const b = await runner.submit('grade', { name: 'b' });
  const c = await runner.submit('grade', { name: 'c' });
  await hold.reached;
  // a processes (hardware released): b ran meanwhile; c waits for a's processing slot (two at a time).
  await runner.wait(b.id);
  t.same(s.order.slice(0, 4), ['a:capture', 'a:process', 'b:capture', 'b:process']);
  hold.open();
  const [da, dc] = await Promise.all([runner.wait(a.id), runner.wait(c.id)]);
  t.equal(da.state, 'done');
  t.equal(dc.state, 'done');
  t.same(da.result, { name: 'a' });
  t.equal(da.progress, 1);
  const states = s.events.filter((e) => e.type === 'job.state' && (e.data as { jobId: string }).jobId === a.id).map((e) => (e.data as { state: string }).state);
  t.same(states, ['queued', 'running', 'done'], 'state events carry the job id');
  t.ok(s.events.some((e) => e.type === 'job.progress' && (e.data as { jobId: string; stage: string }).jobId === a.id && (e.data as { stage: string }).stage === 'process'), 'progress events name the stage');
});

t.test('a bad parameter is refused before anything is queued', async (t) => {
  const s = await setup(t);
  const runner = s.make();
  await runner.start();
  await t.rejects(runner.submit('grade', { name: 7 }), { code: 'GB_VALIDATION' });
  await t.rejects(runner.submit('scan', { barcode: 'X' }), { code: 'GB_VALIDATION', message: /runs no "scan" jobs/ });
  t.equal(s.jobs.list({ limit: 10, offset: 0 }).total, 0);
});

t.test('cancel mid-stage: LEDs off, the files the job wrote are removed, state cancelled', async (t) => {
  const s = await setup(t);
  const hold = gate();
  s.plans.set('x', { write: ['frame 1', 'frame 2'], gateAfterWrite: hold });
  const runner = s.make();
  await runner.start();
  const job = await runner.submit('grade', { name: 'x' });
  await hold.reached;
  t.equal(s.storedFiles().length, 2, 'the stage wrote two files');
  t.equal(s.db.prepare('SELECT COUNT(*) FROM job_files WHERE job_id = ?').pluck().get(job.id), 2, 'both journaled');
  runner.cancel(job.id, 'test');
  const ended = await runner.wait(job.id);
  t.equal(ended.state, 'cancelled');
  t.equal(ended.error, null);
  t.ok(s.lightsOff() >= 1, 'the LEDs were turned off');
  t.same(s.storedFiles(), [], 'no partial files');
  t.equal(s.db.prepare('SELECT COUNT(*) FROM job_files').pluck().get(), 0, 'journal cleared');
  t.throws(() => runner.cancel(job.id), { code: 'GB_CONFLICT', message: /it is cancelled/ });
  t.throws(() => runner.cancel('job-nope'), { code: 'GB_NOT_FOUND' });
});

t.test('a queued job is cancelled without running', async (t) => {
  const s = await setup(t);
  const hold = gate();
  s.plans.set('first', { gateAfterWrite: hold });
  const runner = s.make();
  await runner.start();
  const first = await runner.submit('grade', { name: 'first' });
  const second = await runner.submit('grade', { name: 'second' });
  await hold.reached;
  t.equal(runner.cancel(second.id).state, 'cancelled');
  hold.open();
  t.equal((await runner.wait(first.id)).state, 'done');
  t.notOk(s.order.includes('second:capture'), 'the cancelled job never ran');
});

t.test('a failing stage: state failed with its code; uncommitted files removed, committed ones kept', async (t) => {
  const s = await setup(t);
  s.plans.set('kept', { write: ['committed'], commit: true });
  s.plans.set('bad', { write: ['partial'], fail: true });
  const runner = s.make();
  await runner.start();
  const kept = await runner.wait((await runner.submit('grade', { name: 'kept' })).id);
  t.equal(kept.state, 'done');
  const bad = await runner.wait((await runner.submit('grade', { name: 'bad' })).id);
  t.equal(bad.state, 'failed');
  t.same(bad.error, { code: 'GB_VISION_FAILED', message: 'bad: no card outline found' });
  t.same(s.storedFiles(), s.blobs.allSha256(), 'every stored file has its blob row and the other way round');
  t.equal(s.storedFiles().length, 1);
});

t.test('a job waiting for a person continues on confirmation; continue elsewhere is a conflict', async (t) => {
  const s = await setup(t);
  s.plans.set('flip', { confirm: true });
  const runner = s.make();
  await runner.start();
  const job = await runner.submit('grade', { name: 'flip' });
  while (runner.waitingFor(job.id) === undefined) await new Promise((r) => setImmediate(r));
  t.equal(runner.waitingFor(job.id), 'turn the card over');
  t.match(s.jobs.require(job.id).message, /waiting: turn the card over/);
  runner.continue(job.id);
  t.equal((await runner.wait(job.id)).state, 'done');
  t.throws(() => runner.continue(job.id), { code: 'GB_CONFLICT', message: /waits for no confirmation/ });
});

t.test('a confirmation with a time limit: confirmed in time, or the job goes on without it once the limit passes', async (t) => {
  const s = await setup(t);
  s.plans.set('quick', { confirm: true, confirmTimeoutMs: 60_000 });
  s.plans.set('unattended', { confirm: true, confirmTimeoutMs: 50 });
  const runner = s.make();
  await runner.start();
  const quick = await runner.submit('grade', { name: 'quick' });
  while (runner.waitingFor(quick.id) === undefined) await new Promise((r) => setImmediate(r));
  runner.continue(quick.id);
  t.equal((await runner.wait(quick.id)).state, 'done');
  const unattended = await runner.submit('grade', { name: 'unattended' });
  t.equal((await runner.wait(unattended.id)).state, 'done', 'nobody confirmed: the job went on after the limit');
  t.same(s.order.filter((o) => /:(confirmed|timed-out)$/.test(o)), ['quick:confirmed', 'unattended:timed-out']);
  t.equal(runner.waitingFor(unattended.id), undefined, 'it no longer waits');
  t.throws(() => runner.continue(unattended.id), { code: 'GB_CONFLICT' }, 'a late confirmation finds nothing to confirm');
});

t.test('after a crash: running jobs become interrupted, their uncommitted files go, queued jobs then run', async (t) => {
  const s = await setup(t);
  // What a process killed mid-job leaves: a running job with two journaled files, one already committed.
  const crashed = s.jobs.create({ kind: 'grade', params: { name: 'crashed' } });
  s.jobs.start(crashed.id);
  s.jobs.setProgress(crashed.id, 'capture', 0.3);
  const partial = await s.store.put(Buffer.from('half a scan'));
  const committed = await s.store.put(Buffer.from('a whole frame'));
  s.jobs.journalFile(crashed.id, partial.sha256);
  s.jobs.journalFile(crashed.id, committed.sha256);
  s.blobs.register(committed.sha256, committed.sizeBytes, 'image/png');
  const waiting = s.jobs.create({ kind: 'grade', params: { name: 'waiting' } });

  const runner = s.make();
  const { interrupted } = await runner.start();
  t.same(interrupted, [crashed.id]);
  const after = s.jobs.require(crashed.id);
  t.equal(after.state, 'interrupted');
  t.equal(after.error?.code, 'GB_JOB_INTERRUPTED');
  t.match(after.error?.message, /stage capture/);
  t.notOk(await s.store.has(partial.sha256), 'the uncommitted file is deleted');
  t.ok(await s.store.has(committed.sha256), 'the committed one stays');
  t.equal((await runner.wait(waiting.id)).state, 'done', 'the queued job ran');
  t.throws(() => s.jobs.start(crashed.id), { code: 'GB_CONFLICT' });
});

t.test('stop interrupts the running job and leaves queued ones queued', async (t) => {
  const s = await setup(t);
  const hold = gate();
  s.plans.set('long', { write: ['some'], gateAfterWrite: hold });
  const runner = s.make();
  await runner.start();
  const long = await runner.submit('grade', { name: 'long' });
  const next = await runner.submit('grade', { name: 'next' });
  await hold.reached;
  await runner.stop();
  t.equal(s.jobs.require(long.id).state, 'interrupted');
  t.equal(s.jobs.require(next.id).state, 'queued');
  t.same(s.storedFiles(), []);
  await t.rejects(runner.submit('grade', { name: 'late' }), { code: 'GB_SHUTTING_DOWN' });
});

t.test('JobRepository refuses with coded errors', async (t) => {
  const s = await setup(t);
  t.throws(() => s.jobs.require('job-x'), { code: 'GB_NOT_FOUND' });
  t.throws(() => s.jobs.create({ kind: 'bake' as never, params: {} }), { code: 'GB_VALIDATION' });
  const j = s.jobs.create({ kind: 'grade', params: {} });
  t.throws(() => s.jobs.finish(j.id, 'failed'), { code: 'GB_INTERNAL' }, 'failed needs an error');
  s.jobs.start(j.id);
  t.throws(() => s.jobs.start(j.id), { code: 'GB_CONFLICT', message: /cannot start job .*: it is running/ });
  s.jobs.finish(j.id, 'done', { result: {} });
  t.throws(() => s.jobs.finish(j.id, 'done'), { code: 'GB_CONFLICT' });
  t.throws(() => s.jobs.requestCancel(j.id), { code: 'GB_CONFLICT' });
  const page = s.jobs.list({ state: 'done', limit: 1, offset: 0 });
  t.equal(page.total, 1);
  t.equal(page.items[0].id, j.id);
});

t.test('hardware used outside a job (camera preview): refused while a job holds it; a job submitted meanwhile waits for it', async (t) => {
  const s = await setup(t);
  const hold = gate();
  s.plans.set('a', { gateAfterWrite: hold });
  const runner = s.make();
  await runner.start();
  const a = await runner.submit('grade', { name: 'a' });
  await hold.reached;
  await t.rejects(runner.withHardware('camera preview', async () => 'x'), { code: 'GB_CONFLICT', message: new RegExp(`in use by grade job ${a.id} \\(stage capture\\): no camera preview until it is done`) });
  hold.open();
  await runner.wait(a.id);
  // The runner gives the hardware back right after the job's end is announced (same turn of the loop).
  await new Promise((resolve) => setImmediate(resolve));
  let release!: () => void;
  const using = runner.withHardware('camera preview', () => new Promise<string>((resolve) => (release = () => resolve('frame'))));
  const b = await runner.submit('grade', { name: 'b' });
  t.equal(s.jobs.require(b.id).state, 'queued', 'the job waits while the preview holds the hardware');
  release();
  t.equal(await using, 'frame');
  t.equal((await runner.wait(b.id)).state, 'done', 'and runs once it is given back');
});

t.test('commitDone: the last stage commits its rows and the job\'s end together', async (t) => {
  const s = await setup(t);
  const runner = s.make();
  await runner.start();
  const blobRows = (): number => s.db.prepare('SELECT COUNT(*) FROM blobs').pluck().get() as number;

  // Committed with its rows: done, and in the database as done before the stage even returns.
  let stateAtCommit: string | undefined;
  s.plans.set('a', { commitWithEnd: { text: 'row a' } });
  const a = await runner.submit('grade', { name: 'a' });
  const doneA = await runner.wait(a.id);
  t.equal(doneA.state, 'done');
  t.same(doneA.result, { name: 'a' }, 'the kind\'s result');
  t.equal(blobRows(), 1);

  // A cancel that lands before the commit rolls the rows back with it: cancelled, nothing kept.
  let b = '';
  s.plans.set('b', { commitWithEnd: { text: 'row b', inCommit: () => void runner.cancel(b, 'the test') } });
  b = (await runner.submit('grade', { name: 'b' })).id;
  t.equal((await runner.wait(b)).state, 'cancelled', 'cancelled in the commit: the job\'s end is not done');
  t.equal(blobRows(), 1, 'its row rolled back');
  t.same(s.storedFiles().length, 1, 'its file deleted, a\'s kept');

  // Whatever fails after the commit, the job is done (its rows and end are committed).
  s.plans.set('c', { commitWithEnd: { text: 'row c', inCommit: () => void (stateAtCommit = s.jobs.require(c).state), throwAfter: true } });
  let c = '';
  c = (await runner.submit('grade', { name: 'c' })).id;
  const doneC = await runner.wait(c);
  t.equal(stateAtCommit, 'running', 'running until the commit');
  t.equal(doneC.state, 'done', 'done although the stage threw after its commit');
  t.equal(s.jobs.require(c).state, 'done');
  t.equal(blobRows(), 2, 'and its row kept');

  // Only the last stage may.
  s.plans.set('d', { commitEarly: true });
  const d = await runner.submit('grade', { name: 'd' });
  const failedD = await runner.wait(d.id);
  t.equal(failedD.state, 'failed');
  t.match(failedD.error, { code: 'GB_INTERNAL', message: /only its last stage commits the job's end/ });
});
