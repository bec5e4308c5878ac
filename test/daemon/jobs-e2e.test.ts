// The check, end to end: `gradebooth serve` on the simulated booth (real firmware in simavr, a
// small rendered camera so the suite stays fast) and a real data directory. A technician calibrates, an
// operator scans SUB-0001 and downloads its maps, an operator may not calibrate, the CLI's scan runs
// through the daemon, a cancel mid-capture leaves nothing half-stored, and a daemon killed with -9 in
// the middle of a scan restarts with that job interrupted and a consistent store.
import t from 'tap';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { privateDir } from '../calibration/temp-dir.ts';
import { exited, runCli, startServe } from '../cli/run-cli.ts';
import { ensureSimBuilt } from '../../src/sim/rig/simulated-rig.ts';

let skip: string | false = false;
try {
  await ensureSimBuilt();
} catch (err) {
  skip = `simulated rig unavailable (needs simavr and the built firmware): ${(err as Error).message}`;
}

interface Job { id: string; state: string; stage: string | null; progress: number; error: { code: string; message: string } | null; result: any }
const ended = ['done', 'failed', 'cancelled', 'interrupted'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('the daemon runs the booth: calibrate, scan, download, CLI through the daemon, cancel, kill -9', { skip }, async (t) => {
  const dataDir = privateDir(t, 'daemon-jobs');
  const config = join(dataDir, 'booth.json');
  // 375×512: the simulated booth's full field of view at a size that calibrates in seconds.
  writeFileSync(config, JSON.stringify({ hardware: { camera: { width_px: 375, height_px: 512 }, scanner: { kind: 'none' } } }));
  const token = async (role: string): Promise<string> => {
    const r = await runCli(['token', 'create', '--role', role, '--name', role, '--data-dir', dataDir]);
    t.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split('\n').at(-1) ?? '';
  };
  const technician = await token('technician');
  const operator = await token('operator');

  let serve = await startServe(['--config', config, '--data-dir', dataDir, '--port', '0']);
  t.teardown(() => {
    if (serve.child.exitCode === null) serve.child.kill('SIGKILL');
  });
  const api = async (method: string, path: string, bearer: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`http://127.0.0.1:${serve.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const job = async (id: string): Promise<Job> => (await (await api('GET', `/api/jobs/${id}`, operator)).json()) as Job;
  const until = async (id: string, done: (j: Job) => boolean): Promise<Job> => {
    for (;;) {
      const j = await job(id);
      if (done(j)) return j;
      await sleep(25);
    }
  };
  const storeConsistent = (): { filesWithoutRow: string[]; rowsWithoutFile: string[] } => {
    const db = new Database(join(dataDir, 'gradebooth.sqlite'), { readonly: true });
    try {
      const rows = new Set(db.prepare('SELECT sha256 FROM blobs').pluck().all() as string[]);
      const storeDir = join(dataDir, 'store');
      const files = new Set(readdirSync(storeDir).filter((d) => d.length === 2).flatMap((d) => readdirSync(join(storeDir, d)).map((f) => d + f)));
      return { filesWithoutRow: [...files].filter((f) => !rows.has(f)), rowsWithoutFile: [...rows].filter((r) => !files.has(r)) };
    } finally {
      db.close();
    }
  };

  // An operator may not calibrate; a technician may, and the calibration passes.
  const refused = await api('POST', '/api/calibrations', operator, {});
  t.equal(refused.status, 403);
  t.equal(((await refused.json()) as { code: string }).code, 'GB_FORBIDDEN');
  const cal = await api('POST', '/api/calibrations', technician, {});
  t.equal(cal.status, 202);
  const calId = ((await cal.json()) as { jobId: string }).jobId;
  const calJob = await until(calId, (j) => ended.includes(j.state));
  t.equal(calJob.state, 'done', JSON.stringify(calJob.error));
  t.equal(calJob.result.pass, true, 'every procedure passed');
  const current = (await (await api('GET', '/api/calibrations/current', operator)).json()) as { readyToScan: boolean; procedures: Array<{ procedure: string; state: string; expiresAt: string | null }> };
  t.equal(current.readyToScan, true);
  t.same(current.procedures.map((p) => [p.procedure, p.state]), [['dark', 'valid'], ['flat', 'valid'], ['lights', 'valid'], ['scale', 'valid'], ['verify', 'valid']]);
  t.ok(current.procedures.every((p) => p.expiresAt !== null), 'each procedure says when it expires');

  // An operator scans SUB-0001; the card lists its maps, each downloadable and matching its sha256.
  const bad = await api('POST', '/api/scans', operator, { barcode: 'SUB\u00070001' });
  t.equal(bad.status, 400, 'a barcode that does not parse is refused before a job exists');
  const posted = await api('POST', '/api/scans', operator, { barcode: 'SUB-0001' });
  t.equal(posted.status, 202);
  const scanId = ((await posted.json()) as { jobId: string }).jobId;
  const scanJob = await until(scanId, (j) => ended.includes(j.state));
  t.equal(scanJob.state, 'done', JSON.stringify(scanJob.error));
  const cards = (await (await api('GET', '/api/cards?barcode=SUB-0001', operator)).json()) as { total: number; items: Array<{ id: number; scans: Array<{ id: string; maps: Array<{ kind: string; sha256: string; url: string; mediaType: string; sizeBytes: number }> }> }> };
  t.equal(cards.total, 1);
  const maps = cards.items[0].scans[0].maps;
  t.same(maps.map((m) => m.kind), ['normals', 'albedo', 'depth']);
  for (const m of maps) {
    const r = await api('GET', m.url, operator);
    t.equal(r.status, 200, `${m.kind} downloads`);
    t.equal(r.headers.get('content-type'), m.mediaType);
    const bytes = Buffer.from(await r.arrayBuffer());
    t.equal(createHash('sha256').update(bytes).digest('hex'), m.sha256, `${m.kind} matches its sha256`);
    t.equal(bytes.length, m.sizeBytes);
  }
  const depth = maps[2];
  const part = await api('GET', depth.url, operator, undefined, { range: 'bytes=0-99' });
  t.equal(part.status, 206, 'a range of the depth map');
  t.equal(part.headers.get('content-range'), `bytes 0-99/${depth.sizeBytes}`);
  t.equal((await part.arrayBuffer()).byteLength, 100);
  const again = await api('GET', depth.url, operator, undefined, { 'if-none-match': `"${depth.sha256}"` });
  t.equal(again.status, 304, 'ETag: not modified');
  t.equal((await fetch(`http://127.0.0.1:${serve.port}${depth.url}`)).status, 401, 'files need a token');
  const scan = (await (await api('GET', `/api/scans/${cards.items[0].scans[0].id}`, operator)).json()) as { frames: unknown[]; calibrations: Array<{ procedure: string }>; timingsMs: Record<string, number>; barcode: string };
  t.equal(scan.barcode, 'SUB-0001');
  t.equal(scan.frames.length, 25, 'dark + 24 frames');
  t.same(scan.calibrations.map((c) => c.procedure), ['dark', 'flat', 'lights', 'scale'], 'the calibration records the scan used');
  t.ok(scan.timingsMs.capture > 0 && scan.timingsMs.reconstruct > 0, 'timings');

  // The CLI's scan on the same data directory runs through the daemon, and the API sees it.
  const cli = await runCli(['scan', '--sim', '--data-dir', dataDir, '--barcode', 'SUB-0002', '--json']);
  t.equal(cli.code, 0, cli.stderr);
  t.match(cli.stderr, /runs in the gradebooth daemon/);
  const cliResult = JSON.parse(cli.stdout.trim().split('\n').at(-1) ?? '{}') as { scanId: string; files: Array<{ kind: string }>; jobId: string };
  t.same(cliResult.files.map((f) => f.kind), ['normals', 'albedo', 'depth'], 'the same --json as in-process');
  const sub2 = (await (await api('GET', '/api/cards?barcode=SUB-0002', operator)).json()) as { items: Array<{ scans: Array<{ id: string }> }> };
  t.equal(sub2.items[0]?.scans[0]?.id, cliResult.scanId, 'the CLI scan is visible in the API');
  t.equal((await job(cliResult.jobId)).state, 'done');

  // Cancel mid-capture: the job is cancelled and nothing it wrote stays in the store.
  const toCancel = ((await (await api('POST', '/api/scans', operator, { barcode: 'SUB-0003' })).json()) as { jobId: string }).jobId;
  const capturing = await until(toCancel, (j) => ended.includes(j.state) || (j.stage === 'capture' && j.progress > 0));
  t.equal(capturing.stage, 'capture', 'caught in the capture');
  const cancel = await api('POST', `/api/jobs/${toCancel}/cancel`, operator);
  t.equal(cancel.status, 200);
  t.equal((await until(toCancel, (j) => ended.includes(j.state))).state, 'cancelled');
  t.equal((await api('POST', `/api/jobs/${toCancel}/cancel`, operator)).status, 409, 'an ended job cannot be cancelled again');
  t.same(storeConsistent(), { filesWithoutRow: [], rowsWithoutFile: [] }, 'no partial files after the cancel');

  // kill -9 during a scan (once it has stored frames), then a restart.
  let killed: string | undefined;
  for (let attempt = 0; attempt < 3 && !killed; attempt++) {
    const id = ((await (await api('POST', '/api/scans', operator, { barcode: `SUB-01${attempt}` })).json()) as { jobId: string }).jobId;
    const at = await until(id, (j) => ended.includes(j.state) || j.stage === 'store' || j.stage === 'reconstruct');
    if (ended.includes(at.state)) continue;
    serve.child.kill('SIGKILL');
    await exited(serve.child);
    killed = id;
  }
  t.ok(killed, 'the daemon was killed while a scan ran');
  serve = await startServe(['--config', config, '--data-dir', dataDir, '--port', '0']);
  const interrupted = await job(killed!);
  t.equal(interrupted.state, 'interrupted');
  t.equal(interrupted.error?.code, 'GB_JOB_INTERRUPTED');
  const db = new Database(join(dataDir, 'gradebooth.sqlite'), { readonly: true });
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok', 'PRAGMA integrity_check');
  t.equal(db.prepare('SELECT COUNT(*) FROM job_files').pluck().get(), 0, 'the journal was worked off');
  db.close();
  t.same(storeConsistent(), { filesWithoutRow: [], rowsWithoutFile: [] }, 'every blob row has its file and every stored file its row');
  t.notOk(existsSync(join(dataDir, 'store', 'tmp')) && readdirSync(join(dataDir, 'store', 'tmp')).length > 0, 'no temporary files left');
  const next = ((await (await api('POST', '/api/scans', operator, { barcode: 'SUB-0004' })).json()) as { jobId: string }).jobId;
  t.equal((await until(next, (j) => ended.includes(j.state))).state, 'done', 'the next scan succeeds');

  serve.child.kill('SIGTERM');
  t.equal(await exited(serve.child), 0, 'SIGTERM: exit 0');
});
