// Datasets for retraining, end to end (issue 15): `gradebooth serve` on the simulated booth with
// fleet.datasets.upload every-scan, a real mosquitto (TLS, password file, ACL) and a `gradebooth fleet collect
// --store` process. A scanned card's side arrives as a complete dataset; `fleet dataset-pull` of the same card
// finds it already there (nothing sent again); `fleet datasets --out` writes it as a folder whose frames and
// maps are byte for byte the booth's stored files. The exported folder converted to training input
// (scripts/train/field-to-training.ts): the side reconstructed again from its frames and calibration records
// as the booth did, labels rasterised where the defect labels say, operators' overrides applied, bad input refused.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { privateDir } from '../calibration/temp-dir.ts';
import { binPath, runCli, exited } from '../cli/run-cli.ts';
import { endedStates, startSimDaemon } from '../helpers/sim-daemon.ts';
import { ensureSimBuilt } from '../../src/sim/rig/simulated-rig.ts';
import { startBroker, mosquittoAvailable, type Broker } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/fleet.ts';
import { convertExportedDataset } from '../../src/fleet/dataset-training.ts';
import { readSideMaps } from '../../src/sim/export/surface-training-maps.ts';
import { decodePng } from '../../src/imaging/png.ts';
import { surfaceFeatureChannels } from '../../src/grading/surface/features.ts';
import { shippedSurfaceModel } from '../helpers/shipped-model.ts';

let skip: string | false = false;
try {
  await ensureSimBuilt();
} catch (err) {
  skip = `simulated rig unavailable (needs simavr and the built firmware): ${(err as Error).message}`;
}
if (!skip && !mosquittoAvailable) skip = 'mosquitto is not installed (apt-get install mosquitto, see scripts/apt-packages.txt)';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

t.test('a scanned side goes to the fleet as a dataset and comes out as the same files', { skip }, async (t) => {
  const broker: Broker = await startBroker({ users: { 'booth-ds': 'pw-ds-1', fleet: 'pw-fleet-2' } });
  t.teardown(() => broker.close());
  const dir = privateDir(t, 'daemon-datasets');
  const dataDir = join(dir, 'booth');
  const fleetConfig = join(dir, 'fleet.json');
  writeFileSync(fleetConfig, JSON.stringify({ fleet: { url: broker.url, ca_file: broker.caFile, username: 'fleet', password_file: broker.passwordFile('fleet') } }));
  const indexPath = join(dir, 'fleet', 'index.sqlite');
  const storeDir = join(dir, 'fleet', 'store');
  const collector = spawn(process.execPath, [binPath, 'fleet', 'collect', '--config', fleetConfig, '--index', indexPath, '--store', storeDir, '--name', 'ds1', '--session-expiry-s', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let collected = '';
  collector.stdout.on('data', (d: Buffer) => (collected += d.toString()));
  collector.stderr.on('data', (d: Buffer) => (collected += d.toString()));
  t.teardown(() => {
    if (collector.exitCode === null && collector.signalCode === null) collector.kill('SIGKILL');
  });
  await waitFor(() => collected.includes('"event":"started"'), 'the collector subscribed', 60_000);

  const booth = await startSimDaemon(dataDir, {
    settings: {
      booth: { id: 'booth-ds' },
      fleet: {
        url: broker.url, ca_file: broker.caFile, username: 'booth-ds', password_file: broker.passwordFile('booth-ds'), keepalive_s: 5, reconnect_ms: 200, backoff_max_ms: 1000,
        telemetry_interval_s: 0, bandwidth_bytes_per_s: 0, datasets: { upload: 'every-scan', chunk_bytes: 65_536 },
      },
    },
  });
  t.teardown(() => {
    if (booth.child.exitCode === null && booth.child.signalCode === null) booth.child.kill('SIGKILL');
  });
  const calibrated = await booth.calibrate();
  t.equal(calibrated.state, 'done', JSON.stringify(calibrated.error));
  const posted = await booth.api('POST', '/api/scans', booth.operator, { barcode: 'SUB-D001' });
  t.equal(posted.status, 202);
  const job = await booth.until(((await posted.json()) as { jobId: string }).jobId, (j) => endedStates.includes(j.state));
  t.equal(job.state, 'done', JSON.stringify(job.error));
  const scanId = job.result.sides[0].scanId as string;

  // The dataset of the scanned side, complete at the fleet.
  const fleetIndex = (): Database.Database => new Database(indexPath, { readonly: true, fileMustExist: true });
  await waitFor(() => {
    try {
      const ix = fleetIndex();
      try {
        return ix.prepare('SELECT count(*) FROM datasets WHERE scan_id = ? AND complete = 1').pluck().get(scanId) === 1;
      } finally {
        ix.close();
      }
    } catch {
      return false;
    }
  }, 'the scan side complete at the fleet', 180_000);

  // Pulling the same card again: the booth has this dataset already; it is complete, nothing is sent.
  const pull = await runCli(['fleet', 'dataset-pull', '--config', fleetConfig, '--booth', 'booth-ds', '--barcode', 'SUB-D001', '--json']);
  t.equal(pull.code, 0, pull.stderr);
  const pulled = JSON.parse(pull.stdout.trim()) as { datasets: Array<{ scanId: string; created: boolean; state: string }> };
  t.match(pulled.datasets, [{ scanId, created: false, state: 'complete' }], 'already complete: not offered again');
  const refused = await runCli(['fleet', 'dataset-pull', '--config', fleetConfig, '--booth', 'booth-ds', '--barcode', 'SUB-NONE']);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /GB_NOT_FOUND/);

  // Export: the files as the booth stored them.
  const out = join(dir, 'export');
  const exported = await runCli(['fleet', 'datasets', '--index', indexPath, '--store', storeDir, '--out', out, '--json']);
  t.equal(exported.code, 0, exported.stderr);
  const row = JSON.parse(exported.stdout.trim().split('\n')[0]) as { dir: string; written: boolean; barcode: string; complete: boolean };
  t.match(row, { barcode: 'SUB-D001', complete: true, written: true });
  const boothDb = new Database(join(dataDir, 'gradebooth.sqlite'), { readonly: true, fileMustExist: true });
  t.teardown(() => boothDb.close());
  const frames = boothDb.prepare('SELECT light_index, sha256 FROM frames WHERE scan_id = ? ORDER BY light_index, id').all(scanId) as Array<{ light_index: number; sha256: string }>;
  t.ok(frames.length >= 6, `${frames.length} frames`);
  const files = readdirSync(join(row.dir, 'frames')).sort();
  t.equal(files.length, frames.length, 'every frame exported');
  t.same(files.map((f) => sha256(readFileSync(join(row.dir, 'frames', f)))).sort(), frames.map((f) => f.sha256).sort(), 'each exported frame is the booth\'s file');
  const lit = frames.find((f) => f.light_index === 3);
  t.equal(lit && sha256(readFileSync(join(row.dir, 'frames', 'light-03.png'))), lit?.sha256, 'named by its light');
  const maps = boothDb.prepare('SELECT normals_sha256 AS n, albedo_sha256 AS a, depth_sha256 AS d FROM scans WHERE id = ?').get(scanId) as { n: string; a: string; d: string };
  t.same([sha256(readFileSync(join(row.dir, 'maps', 'normals.png'))), sha256(readFileSync(join(row.dir, 'maps', 'albedo.png'))), sha256(readFileSync(join(row.dir, 'maps', 'depth.pfm')))], [maps.n, maps.a, maps.d], 'the maps too');
  t.same(readdirSync(join(row.dir, 'calibration')).sort(), ['dark.json', 'flat.json', 'lights.json', 'scale.json'], 'the calibration records, one extension each');
  const labels = JSON.parse(readFileSync(join(row.dir, 'labels.json'), 'utf8')) as { barcode: string; side: string; grade: { id: string; overall: number } | null; defects: Array<{ kind: string }> };
  t.match(labels, { barcode: 'SUB-D001', side: 'front' });
  // With a surface model in models/ the side was graded: its labels are the machine's grade and this side's defects.
  const gradeRow = boothDb.prepare('SELECT id, overall, report_sha256 AS report FROM grades WHERE job_id = ?').get(job.id) as { id: string; overall: number; report: string } | undefined;
  if (await shippedSurfaceModel()) {
    t.ok(gradeRow, 'graded');
    t.match(labels.grade, { id: gradeRow?.id, overall: gradeRow?.overall }, "the machine's grade is the label");
    const kinds = boothDb.prepare("SELECT kind FROM defects WHERE grade_id = ? AND side = 'front' ORDER BY id").pluck().all(gradeRow?.id) as string[];
    t.same(labels.defects.map((d) => d.kind), kinds, `with the side's defects (${kinds.length})`);
    t.equal(sha256(readFileSync(join(row.dir, 'grade', 'report.json'))), gradeRow?.report, 'and the grade report');
  } else {
    t.equal(gradeRow, undefined, 'no surface model: not graded');
    t.same([labels.grade, labels.defects], [null, []], 'no machine grade to label with');
  }
  const again = await runCli(['fleet', 'datasets', '--index', indexPath, '--store', storeDir, '--out', out]);
  t.match(again.stdout, /0 dataset\(s\) exported, 1 already there/);


  // Training input from the exported folder: reconstructed from the frames and the calibration records as
  // the booth did (same canonical size, normals as the booth's normals.png).
  const training = join(dir, 'training');
  const converted = await convertExportedDataset(row.dir, training);
  t.ok(converted.out, 'written');
  const side = await readSideMaps(converted.out!, 'front');
  const meta = JSON.parse(readFileSync(join(converted.out!, 'maps.json'), 'utf8')) as Record<string, any>;
  const manifest = JSON.parse(readFileSync(join(row.dir, 'manifest.json'), 'utf8')) as { scan: { summary: { canonical: { widthPx: number; heightPx: number } } } };
  t.same([side.widthPx, side.heightPx], [manifest.scan.summary.canonical.widthPx, manifest.scan.summary.canonical.heightPx], 'the booth\'s canonical frame');
  t.match(meta, { format: 'gradebooth-surface-maps/2', source: 'field', labelQuality: { kind: 'field-machine-corrected' }, widthPx: side.widthPx, heightPx: side.heightPx });
  const n = side.widthPx * side.heightPx;
  t.equal(readFileSync(join(converted.out!, 'features.i16')).byteLength, 2 * surfaceFeatureChannels * n, 'features: C × H × W int16');
  t.ok(side.confidence?.some((c) => c > 0), 'the PS confidence the stored maps lack');
  const boothNormals = await decodePng(readFileSync(join(row.dir, 'maps', 'normals.png')));
  let sumDeg = 0, count = 0;
  for (let i = 0; i < n; i++) {
    if (!side.mask[i]) continue;
    let dot = 0;
    for (let k = 0; k < 3; k++) dot += side.normals[3 * i + k] * ((boothNormals.data[3 * i + k] / 65535) * 2 - 1);
    sumDeg += (Math.acos(Math.max(-1, Math.min(1, dot))) * 180) / Math.PI;
    count++;
  }
  t.ok(count > n / 2, 'the card covers the frame');
  t.ok(sumDeg / count < 0.5, `normals as the booth reconstructed them: mean ${(sumDeg / count).toFixed(3)}° apart`);

  // Labels land where the defect labels say (card mm, origin at the centre, y up).
  const labelled = join(dir, 'labelled', 'booth-ds', 'one');
  mkdirSync(join(dir, 'labelled', 'booth-ds'), { recursive: true });
  cpSync(row.dir, labelled, { recursive: true });
  const labelsJson = JSON.parse(readFileSync(join(labelled, 'labels.json'), 'utf8')) as { defects: unknown[]; overrides: unknown[] };
  const scratch = { category: 'surface', kind: 'scratch', xMm: 8, yMm: -12, widthMm: 0.1, lengthMm: 3, depthUm: 6, severity: 0.5 };
  const stain = { category: 'surface', kind: 'stain', xMm: -10, yMm: 20, widthMm: 2, lengthMm: 2, depthUm: 0, severity: 0.3 };
  writeFileSync(join(labelled, 'labels.json'), JSON.stringify({ ...labelsJson, defects: [scratch, stain], overrides: [] }));
  const withLabels = await convertExportedDataset(labelled, join(dir, 'training-labelled'));
  const lab = readFileSync(join(withLabels.out!, 'labels.u8'));
  const s = side.umPerPx / 1000, m = meta.marginPx as number;
  const px = (xMm: number, yMm: number): number => {
    const x = Math.round((xMm + ((side.widthPx - 2 * m) * s) / 2) / s + m - 0.5), y = Math.round(((side.heightPx - 2 * m) * s) / 2 / s - yMm / s + m - 0.5);
    return y * side.widthPx + x;
  };
  t.equal(lab[px(8, -12)], 1, 'scratch (class 1) at its centre');
  t.equal(lab[px(-10, 20)], 5, 'stain (class 5) at its centre');
  t.equal(lab[px(0, 0)], 0, 'background elsewhere');
  t.equal(withLabels.labelledDefects, 2);
  // An operator's 'not-a-defect' on surface: the machine's surface defects are cleared.
  writeFileSync(join(labelled, 'labels.json'), JSON.stringify({ ...labelsJson, defects: [scratch, stain], overrides: [{ subgrade: 'surface', machine_value: 7, value: 9.5, reason: 'not-a-defect' }] }));
  const cleared = await convertExportedDataset(labelled, join(dir, 'training-cleared'));
  t.ok(readFileSync(join(cleared.out!, 'labels.u8')).every((v) => v === 0), 'not-a-defect: no defect pixels');
  t.match(JSON.parse(readFileSync(join(cleared.out!, 'maps.json'), 'utf8')), { clean: true, labelQuality: { surfaceClearedByOperator: true, machineSurfaceDefects: 2 } });
  // 'missed-defect': the side has a defect nobody located: excluded, nothing written.
  writeFileSync(join(labelled, 'labels.json'), JSON.stringify({ ...labelsJson, defects: [scratch], overrides: [{ subgrade: 'surface', machine_value: 9, value: 7, reason: 'missed-defect' }] }));
  const missed = await convertExportedDataset(labelled, join(dir, 'training-missed'));
  t.match(missed, { out: undefined, excluded: /missed defect/ });
  t.notOk(existsSync(join(dir, 'training-missed')), 'nothing written for it');

  // Bad input: a damaged frame, and a folder that is no export (through the recipe's script).
  const frame = join(labelled, 'frames', 'light-03.png');
  const damaged = readFileSync(frame);
  damaged[damaged.length >> 1] ^= 0xff;
  writeFileSync(frame, damaged);
  writeFileSync(join(labelled, 'labels.json'), JSON.stringify({ ...labelsJson, overrides: [] }));
  await t.rejects(convertExportedDataset(labelled, join(dir, 'training-damaged')), { code: 'GB_DATASET_INVALID', message: /light-03\.png is damaged/ });
  const notExport = join(dir, 'not-an-export');
  mkdirSync(join(notExport, 'x', 'y'), { recursive: true });
  const script = spawn(process.execPath, ['--import', 'tsx', new URL('../../scripts/train/field-to-training.ts', import.meta.url).pathname, '--in', notExport, '--out', join(dir, 'training-none')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let scriptErr = '';
  script.stderr.on('data', (d: Buffer) => (scriptErr += d.toString()));
  t.equal(await exited(script), 1);
  t.match(scriptErr, /GB_DATASET_INVALID: .*no dataset folders/);
  const scriptOk = spawn(process.execPath, ['--import', 'tsx', new URL('../../scripts/train/field-to-training.ts', import.meta.url).pathname, '--in', out, '--out', join(dir, 'training-cli')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let scriptOut = '';
  scriptOk.stdout.on('data', (d: Buffer) => (scriptOut += d.toString()));
  t.equal(await exited(scriptOk), 0);
  t.match(scriptOut, /1 side\(s\) written, 0 excluded/);

  // A graded side: an operator's override at the touchscreen (after the upload) reaches the fleet as a new
  // dataset of the same scan with the override among its labels; its files were all sent already.
  if (gradeRow) {
    const surface = boothDb.prepare('SELECT surface FROM grades WHERE id = ?').pluck().get(gradeRow.id) as number;
    const value = surface >= 10 ? 9.5 : surface + 0.5;
    const overridden = await booth.api('POST', `/api/grades/${gradeRow.id}/overrides`, booth.operator, { subgrade: 'surface', value, reason: 'not-a-defect' });
    t.equal(overridden.status, 201);
    const relabelled = (): Array<{ labels: { overrides: unknown[] } }> => {
      const ix = fleetIndex();
      try {
        return (ix.prepare('SELECT manifest_json FROM datasets WHERE scan_id = ? AND complete = 1').pluck().all(scanId) as string[]).map((j) => JSON.parse(j) as { labels: { overrides: unknown[] } }).filter((m) => m.labels.overrides.length > 0);
      } finally {
        ix.close();
      }
    };
    await waitFor(() => relabelled().length === 1, 'the relabelled dataset complete at the fleet', 60_000);
    t.match(relabelled()[0].labels.overrides, [{ subgrade: 'surface', machineValue: surface, value, reason: 'not-a-defect' }], "the operator's override is a label at the fleet");
  }

  collector.kill('SIGTERM');
  t.equal(await exited(collector), 0, collected);
  const last = JSON.parse(collected.trim().split('\n').at(-1) ?? '{}') as { datasets?: { datasetsComplete: number; chunksDuplicate: number } };
  t.match(last.datasets, { datasetsComplete: gradeRow ? 2 : 1, chunksDuplicate: 0 }, gradeRow ? 'the scan and its relabelled dataset, no chunk twice' : 'the scan');
});
