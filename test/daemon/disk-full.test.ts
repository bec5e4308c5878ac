// Disk full (issue 12 defect 4) on a real tmpfs: the daemon's data directory is a small tmpfs mounted in
// its own mount namespace, so ENOSPC and SQLITE_FULL are the kernel's, not simulated.
import t from 'tap';
import { closeSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { privateDir } from '../calibration/temp-dir.ts';
import { exited } from '../cli/run-cli.ts';
import { ensureSimBuilt } from '../../src/sim/rig/simulated-rig.ts';
import { endedStates, privateTmpfsUnavailable, startSimDaemon } from '../helpers/sim-daemon.ts';

let skip: string | false = privateTmpfsUnavailable();
try {
  await ensureSimBuilt();
} catch (err) {
  skip ||= `simulated rig unavailable: ${(err as Error).message}`;
}

/** Fill the filesystem holding `dir` until fewer than `leaveBytes` are free (ENOSPC ends it). Returns the filler's path. */
function fill(dir: string, leaveBytes: number, name = 'filler'): string {
  const path = join(dir, name);
  const fd = openSync(path, 'a');
  try {
    const chunk = Buffer.alloc(256 * 1024, 0x5a);
    for (;;) {
      const s = statfsSync(dir);
      const free = s.bavail * s.bsize;
      if (free <= leaveBytes) break;
      try {
        writeSync(fd, chunk, 0, Math.min(chunk.length, Math.max(4096, free - leaveBytes)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

t.test('disk full: scans refused below what they need; a store that hits ENOSPC fails the job with GB_DISK_FULL, no temp file, no stack; stop is clean', { skip }, async (t) => {
  const dataDir = privateDir(t, 'disk-full');
  const d = await startSimDaemon(dataDir, { tmpfsMb: 48 });
  t.teardown(() => {
    if (d.child.exitCode === null) d.child.kill('SIGKILL');
  });
  const cal = await d.calibrate();
  t.equal(cal.state, 'done', JSON.stringify(cal.error));

  // 1. Too little free space for one side: refused at submission, nothing queued.
  const status0 = (await (await d.api('GET', '/api/status')).json()) as { disk: { freeBytes: number; scanSideBytes: number; path: string } };
  t.ok(status0.disk.scanSideBytes > 0, 'status says what a scan side needs');
  t.equal(status0.disk.path, dataDir);
  const ballast = fill(d.view, status0.disk.scanSideBytes / 2, 'ballast');
  const refused = await d.api('POST', '/api/scans', d.operator, { barcode: 'SUB-0100' });
  t.equal(refused.status, 507);
  const body = (await refused.json()) as { code: string; message: string };
  t.equal(body.code, 'GB_DISK_FULL');
  t.match(body.message, new RegExp(`data directory ${dataDir} is full \\(\\d+\\.\\d MiB free, a scan of 1 sides?|one side of a scan needs about \\d+\\.\\d MiB`));
  const status1 = (await (await d.api('GET', '/api/status')).json()) as { status: string; problems: string[] };
  t.equal(status1.status, 'degraded');
  t.match(status1.problems.join('\n'), /one scan side needs \d+ MB: scans are refused \(GB_DISK_FULL\)/);
  rmSync(ballast);

  // 2. The check passes, then the disk fills up mid-job: while the frames are captured (progress rows hit
  // SQLITE_FULL) and while they are stored (frame files hit ENOSPC, leaving a partial temp file).
  for (const [n, stage] of [[2, 'capture'], [3, 'store']] as const) {
    const posted = await d.api('POST', '/api/scans', d.operator, { barcode: `SUB-010${n}` });
    t.equal(posted.status, 202);
    const id = ((await posted.json()) as { jobId: string }).jobId;
    await d.until(id, (j) => endedStates.includes(j.state) || (j.stage === stage && (stage === 'store' || j.progress > 0)));
    const filler = fill(d.view, 0, 'filler');
    const failed = await d.until(id, (j) => endedStates.includes(j.state));
    t.equal(failed.state, 'failed', `${stage}: the job is failed, not left running`);
    t.equal(failed.error?.code, 'GB_DISK_FULL');
    t.equal(failed.stage, stage, `it failed in the ${stage} stage`);
    t.match(failed.error?.message, new RegExp(`data directory ${dataDir} is full \\(\\d+\\.\\d MiB free`));
    const report = d.inspect();
    t.same(report.tmpFiles, [], 'no partial temporary file left in the store');
    t.equal(report.integrity, 'ok');
    t.same(report.stuckJobs, [], 'no job stuck running in the database');
    t.same(report.orphans, [], 'no stored file without its row');
    t.same(report.missing, [], 'no row without its file');
    t.ok(report.blobs >= 5, 'the calibration files are all there');
    rmSync(filler);
  }
  t.notMatch(d.output(), /SqliteError|\n\s+at /, 'no raw SqliteError and no stack in the log');

  // 4. Stop on a full disk: a clean exit, no stack.
  fill(d.view, 0, 'filler');
  d.child.kill('SIGTERM');
  t.equal(await exited(d.child), 0);
  t.notMatch(d.output(), /\n\s+at /, 'stopping with the disk full prints no stack');
});
