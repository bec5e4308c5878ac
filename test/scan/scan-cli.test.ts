// `gradebooth scan` refuses early: a bad barcode before anything starts, and an uncalibrated booth with
// what to run — neither starts the booth or writes a job.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli-run.ts';
import { validateBarcode } from '../../src/core/barcode.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { dataDirLayout } from '../../src/storage/data-dir.ts';

const dataDir = await mkdtemp(join(tmpdir(), 'gb-scancli-'));
t.teardown(() => rm(dataDir, { recursive: true, force: true }));

t.test('barcode validation', async (t) => {
  t.equal(validateBarcode('PSA-123 456/7'), 'PSA-123 456/7');
  t.equal(validateBarcode('x'.repeat(128)).length, 128);
  for (const [bad, why] of [[undefined, /non-empty/], ['', /non-empty/], ['x'.repeat(129), /at most 128 characters, got 129/], ['AB\tC', /U\+0009/], ['carte-é', /U\+00E9/], [' A1', /spaces/], ['A1\n', /U\+000A/]] as const) {
    t.throws(() => validateBarcode(bad), { code: 'GB_VALIDATION', message: why }, JSON.stringify(bad));
  }
});

t.test('scan with a bad barcode fails before anything starts', async (t) => {
  for (const bad of ['', 'x'.repeat(129), 'A\u0007B']) {
    const r = await runCli(['scan', '--sim', '--data-dir', dataDir, '--barcode', bad, '--json']);
    t.equal(r.code, 1);
    t.match(r.stderr, /GB_VALIDATION: barcode/);
  }
  const r = await runCli(['scan', '--sim', '--data-dir', dataDir, '--json']);
  t.match(r.stderr, /GB_VALIDATION: barcode: expected a non-empty code/);
});

t.test('scan without a valid calibration refuses and says what to run', async (t) => {
  const r = await runCli(['scan', '--sim', '--data-dir', dataDir, '--barcode', 'SUB-1', '--json']);
  t.equal(r.code, 1);
  t.match(r.stderr, /GB_NOT_CALIBRATED/);
  t.match(r.stderr, /missing: dark, flat, lights, scale/);
  t.match(r.stderr, /run `gradebooth calibrate run`/);
  const db = openDatabase(dataDirLayout(dataDir).dbPath);
  t.teardown(() => db.close());
  t.equal(db.prepare('SELECT COUNT(*) FROM jobs').pluck().get(), 0, 'no job was created');
  t.equal(db.prepare('SELECT COUNT(*) FROM cards').pluck().get(), 0, 'no card was created');
});
