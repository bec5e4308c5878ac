import t from 'tap';
import { join } from 'node:path';
import { runCli } from '../cli/run-cli.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { FileStore } from '../../src/storage/file-store.ts';
import { dataDirLayout } from '../../src/storage/data-dir.ts';
import { CalibrationRepository } from '../../src/storage/calibrations.ts';

const DAY = 86_400_000;
const lastJson = (stdout: string): any => JSON.parse(stdout.trim().split('\n').at(-1) as string);

t.test('calibrate show / history on a real data directory', async (t) => {
  const dataDir = t.testdir({});
  const empty = await runCli(['calibrate', 'show', '--data-dir', dataDir, '--json']);
  t.equal(empty.code, 0, empty.stderr);
  const e = lastJson(empty.stdout);
  t.equal(e.ok, false);
  t.match(e.message, /missing: dark, flat, lights, scale; run `gradebooth calibrate run`/);

  const { dbPath, storeDir } = dataDirLayout(dataDir);
  const db = openDatabase(dbPath);
  const store = new FileStore(storeDir);
  await store.init();
  const repo = new CalibrationRepository(db, store);
  const now = Date.now();
  await repo.save({ procedure: 'dark', passed: true, figures: { meanDn: 64.2 }, validForMs: DAY });
  await repo.save({ procedure: 'flat', passed: true, figures: { minGain: 0.81 }, validForMs: DAY, now: new Date(now - 3 * DAY) });
  await repo.save({ procedure: 'lights', passed: true, figures: { meanResidualMm: 0.21 }, validForMs: 30 * DAY });
  await repo.save({ procedure: 'lights', passed: false, figures: { meanResidualMm: 4.1 }, validForMs: 30 * DAY });
  db.close();

  const show = await runCli(['calibrate', 'show', '--data-dir', dataDir, '--json']);
  t.equal(show.code, 0, show.stderr);
  const s = lastJson(show.stdout);
  t.equal(s.ok, false);
  const byName = Object.fromEntries(s.procedures.map((p: any) => [p.procedure, p]));
  t.equal(byName.dark.state, 'valid');
  t.equal(byName.flat.state, 'expired');
  t.equal(byName.lights.state, 'valid');
  t.equal(byName.lights.valid.version, 1);
  t.equal(byName.lights.latest.version, 2);
  t.equal(byName.scale.state, 'missing');
  t.match(s.message, /missing: scale; expired: flat/);

  const text = await runCli(['calibrate', 'show', '--data-dir', dataDir]);
  t.match(text.stdout, /lights\s+valid\s+v1 passed/);
  t.match(text.stdout, /cannot scan: not calibrated/);

  const hist = await runCli(['calibrate', 'history', '--procedure', 'lights', '--data-dir', dataDir, '--json']);
  t.equal(hist.code, 0, hist.stderr);
  const h = lastJson(hist.stdout);
  t.same(h.records.map((r: any) => [r.version, r.passed]), [[2, false], [1, true]]);
  const all = await runCli(['calibrate', 'history', '--data-dir', dataDir]);
  t.equal(all.stdout.trim().split('\n').length, 4);
  t.match(all.stdout, /FAILED/);

  const bad = await runCli(['calibrate', 'history', '--procedure', 'No Such', '--data-dir', dataDir]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /GB_USAGE/);
  t.equal(join(dataDir, 'gradebooth.sqlite'), dbPath);
});
