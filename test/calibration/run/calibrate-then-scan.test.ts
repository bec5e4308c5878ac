// The whole booth, simulated: `gradebooth calibrate run --sim` (real firmware in simavr, rendered
// camera, every procedure) followed by `gradebooth scan --sim`, at 750×1024 (98.6 µm/px), checked
// against the simulator's truth and the targets.
import t from 'tap';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { privateDir } from '../temp-dir.ts';
import { runCli } from '../../scan/cli-run.ts';
import { openDatabase } from '../../../src/storage/database.ts';
import { dataDirLayout } from '../../../src/storage/data-dir.ts';
import { ensureSimBuilt } from '../../../src/sim/rig/simulated-rig.ts';
import { createBooth } from '../../../src/booth/create-booth.ts';
import { loadSettings } from '../../../src/config/load.ts';
import { FileStore } from '../../../src/storage/file-store.ts';
import { createBoothJobs } from '../../../src/booth-jobs.ts';
import { EventBus } from '../../../src/core/events.ts';
import type { Camera } from '../../../src/hardware/camera/camera.ts';
import { openSurfaceDetector } from '../../../src/grading/surface-model.ts';
import { isGradeboothError } from '../../../src/core/errors.ts';

let skip: string | false = false;
try {
  await ensureSimBuilt();
} catch (err) {
  skip = `simulated rig unavailable (needs simavr and the built firmware): ${(err as Error).message}`;
}

t.test('simulated booth: full calibration, then a scan of a card', { skip }, async (t) => {
  const dataDir = privateDir(t, 'calscan');
  const t0 = performance.now();
  const cal = await runCli(['calibrate', 'run', '--sim', '--size', '750x1024', '--data-dir', dataDir, '--json']);
  const calMs = performance.now() - t0;
  if (cal.code !== 0) t.comment(cal.stderr.slice(-2000));
  t.equal(cal.code, 0, 'calibrate run exits 0');
  const c = cal.json;
  t.ok(c, 'last line is JSON');
  t.comment(`calibrate run: ${(calMs / 1000).toFixed(1)} s; LED positions ${c.lightPositionErrorMm.toFixed(3)} mm mean vs truth; verify normal ${c.verifyNormalErrorDeg.toFixed(3)}°, cap height error ${(1000 * c.verifyHeightErrorMm).toFixed(1)} µm`);
  for (const p of c.procedures) t.comment(`${p.procedure}: ${p.passed ? 'pass' : 'FAIL'} ${JSON.stringify(p.figures)}`);
  t.equal(c.pass, true, 'every procedure passed');
  t.ok(c.lightPositionErrorMm < 1, `LED positions within 1 mm on average (${c.lightPositionErrorMm.toFixed(3)} mm)`);
  t.ok(c.verifyNormalErrorDeg <= 1, `verification normal error ≤ 1° (${c.verifyNormalErrorDeg.toFixed(3)}°)`);
  t.ok(Math.abs(c.verifyHeightErrorMm) <= 0.05, `sphere-cap height within 50 µm (${(1000 * c.verifyHeightErrorMm).toFixed(1)} µm)`);
  const byName = Object.fromEntries(c.procedures.map((p: any) => [p.procedure, p]));
  t.same(Object.keys(byName).sort(), ['dark', 'flat', 'lights', 'scale', 'verify']);
  t.ok(Math.abs(byName.scale.figures.umPerPxAtTray - byName.scale.figures.truthUmPerPxAtTray) < 0.5, 'scale within 0.5 µm/px of truth');
  t.ok(Math.abs(byName.scale.figures.truthTrayDistanceErrorMm) < 0.2, 'tray plane within 0.2 mm of truth');
  t.ok(byName.flat.figures.truthIntensityErrorPercent < 5, `LED intensities within 5% of truth (${byName.flat.figures.truthIntensityErrorPercent.toFixed(2)}%)`);
  t.ok(Math.abs(byName.verify.figures.truthNormalErrorMeanDeg - c.verifyNormalErrorDeg) < 0.3, 'known-geometry error agrees with the truth error');

  const show = await runCli(['calibrate', 'show', '--data-dir', dataDir, '--json']);
  t.equal(show.json?.ok, true, 'calibrate show: ready to scan');

  const t1 = performance.now();
  const scan = await runCli(['scan', '--sim', '--size', '750x1024', '--data-dir', dataDir, '--barcode', 'SUB-0001/A', '--seed', '5', '--json']);
  const scanMs = performance.now() - t1;
  if (scan.code !== 0) t.comment(scan.stderr.slice(-2000));
  t.equal(scan.code, 0, 'scan exits 0');
  const s = scan.json;
  t.comment(`scan: ${(scanMs / 1000).toFixed(1)} s; normal error ${s.normalErrorDeg.toFixed(3)}° vs truth; timings ${JSON.stringify(s.timingsMs)}`);
  t.ok(s.normalErrorDeg <= 1, `scan normal error ≤ 1° (${s.normalErrorDeg.toFixed(3)}°)`);
  t.match(s.scanId, /^scan-/);
  t.same(s.files.map((f: any) => f.kind), ['normals', 'albedo', 'depth']);
  const { dbPath, storeDir } = dataDirLayout(dataDir);
  for (const f of s.files) {
    const bytes = await readFile(join(storeDir, f.path));
    t.equal(createHash('sha256').update(bytes).digest('hex'), f.sha256, `${f.kind}: stored file matches its sha256`);
  }
  const db = openDatabase(dbPath);
  t.teardown(() => db.close());
  const row = db.prepare('SELECT s.*, c.barcode, j.state FROM scans s JOIN cards c ON c.id = s.card_id JOIN jobs j ON j.id = s.job_id WHERE s.id = ?').get(s.scanId) as any;
  t.equal(row.barcode, 'SUB-0001/A');
  t.equal(row.state, 'done');
  t.same([row.normals_sha256, row.albedo_sha256, row.depth_sha256], s.files.map((f: any) => f.sha256));
  t.equal(db.prepare('SELECT COUNT(*) FROM frames WHERE scan_id = ?').pluck().get(s.scanId), 25, 'dark + 24 frames stored');
  t.equal(JSON.parse(row.summary_json).normalErrorDeg, s.normalErrorDeg);

  // The scan grades the card after its reconstruction (front only here: the side's measurements).
  // Grading never runs without its surface model: with none installed the job says so and stores no grade.
  const modelMissing = await openSurfaceDetector().then(async (d) => { await d.close(); return false; }, (err: unknown) => isGradeboothError(err) && err.code === 'GB_MODEL_MISSING');
  t.ok(s.grade, 'scan --json carries the grade');
  // One side: its figures sit at the top level (the `grade --json` shape).
  const front = s.grade;
  t.equal(front.side, 'front', 'the front was measured');
  t.equal(front.centering.leftRight.length, 2, 'left/right centering measured');
  t.equal(front.corners.length, 4, 'four corners measured');
  t.equal(front.edges.length, 4, 'four edges measured');
  const gradeRows = db.prepare('SELECT COUNT(*) FROM grades WHERE job_id = ?').pluck().get(row.job_id);
  if (modelMissing) {
    t.match(s.grade.error, /^GB_MODEL_MISSING/, 'no surface model: the grade says why there is none');
    t.equal(gradeRows, 0, 'and no grade row is stored');
  } else {
    t.match(s.grade.gradeId, /./, 'the grade is stored');
    t.equal(gradeRows, 1);
  }

  // The calibration belongs to the camera size it was made at: another size is refused before any job.
  const jobs = db.prepare('SELECT COUNT(*) FROM jobs').pluck().get();
  const other = await runCli(['scan', '--sim', '--size', '375x512', '--data-dir', dataDir, '--barcode', 'SUB-0002', '--json']);
  t.equal(other.code, 1);
  t.match(other.stderr, /GB_NOT_CALIBRATED: the booth was calibrated at 750×1024 px but its camera delivers 375×512/);
  t.equal(db.prepare('SELECT COUNT(*) FROM jobs').pluck().get(), jobs, 'no job for the refused scan');

  // A capture that loses a frame: the job is marked failed with the code, nothing else is stored.
  const { settings } = loadSettings({ dataDir, env: {} });
  const booth = await createBooth(settings, { sim: true, size: { widthPx: 750, heightPx: 1024 } });
  await booth.start();
  t.teardown(() => booth.stop());
  let delivered = 0;
  const inner = booth.camera;
  const camera: Camera = {
    get state() { return inner.state; },
    open: () => inner.open(),
    configure: (c) => inner.configure(c),
    startAcquisition: () => inner.startAcquisition(),
    stopAcquisition: () => inner.stopAcquisition(),
    softwareTrigger: () => inner.softwareTrigger(),
    nextFrame: async (ms) => { for (;;) { const f = await inner.nextFrame(ms); if (delivered++ !== 7) return f; f.release(); } },
    frames: (signal) => inner.frames(signal),
    close: () => inner.close(),
    streamStatistics: () => inner.streamStatistics(),
    on: (e, l) => inner.on(e, l),
  };
  const store = new FileStore(storeDir);
  const scansBefore = db.prepare('SELECT COUNT(*) FROM scans').pluck().get();
  const framesBefore = db.prepare('SELECT COUNT(*) FROM frames').pluck().get();
  const lossy = createBoothJobs({ booth: { ...booth, camera }, db, store, bus: new EventBus(), settings, ownJobsOnly: true });
  await lossy.runner.start();
  const failed = await lossy.runner.wait((await lossy.runner.submit('scan', { barcode: 'SUB-0003', simSeed: 2 })).id);
  t.equal(failed.error?.code, 'GB_CAPTURE_FRAME_LOST', failed.error?.message ?? 'no error');
  const job = db.prepare("SELECT j.state, j.error_code FROM jobs j JOIN cards c ON c.id = j.card_id WHERE c.barcode = 'SUB-0003'").get() as any;
  t.same(job, { state: 'failed', error_code: 'GB_CAPTURE_FRAME_LOST' }, 'job failed with the code');
  t.equal(db.prepare('SELECT COUNT(*) FROM scans').pluck().get(), scansBefore, 'no scan row');
  t.equal(db.prepare('SELECT COUNT(*) FROM frames').pluck().get(), framesBefore, 'no frame rows');
  t.equal(booth.camera.streamStatistics().held, 0, 'the failed scan gave its frame buffers back');
  const good = createBoothJobs({ booth, db, store, bus: new EventBus(), settings, ownJobsOnly: true });
  await good.runner.start();
  const ok = await good.runner.wait((await good.runner.submit('scan', { barcode: 'SUB-0004', simSeed: 2 })).id);
  t.equal(ok.state, 'done');
  t.equal((ok.result as any).sides[0].frames, 25, 'a scan on the same camera works');
  t.equal(booth.camera.streamStatistics().held, 0, 'and gives its frame buffers back');
});
