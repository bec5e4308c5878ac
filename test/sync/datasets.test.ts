// Datasets for retraining (issue 15): a booth's finished scan sides go to the fleet as sha256-addressed
// chunks through a real mosquitto (TLS, password file, ACL), into a filesystem content store and the fleet
// index. Counted: datasets lost (0), files that do not reassemble byte for byte (0), chunks the fleet already
// held that were sent again (0).
import t, { type Test } from 'tap';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../src/storage/database.ts';
import { FileStore } from '../../src/storage/file-store.ts';
import { FleetSync } from '../../src/sync/fleet-sync.ts';
import { buildScanDataset, type DatasetManifest } from '../../src/sync/dataset-manifest.ts';
import { DatasetCollector } from '../../src/fleet/dataset-collector.ts';
import { FilesystemContentStore, type ContentStore } from '../../src/fleet/content-store.ts';
import { collectorFromSettings, type Collector } from '../../src/fleet/collector.ts';
import { openFleetIndex } from '../../src/fleet/index-db.ts';
import { parsePayload, commandResponseSchema, type CommandResponse } from '../../src/sync/payloads.ts';
import { startBroker, mosquittoAvailable, type Broker } from '../helpers/mosquitto.ts';
import { fleetSettings, observer, silent, tempDir, waitFor } from '../helpers/fleet.ts';
import { storeFinishedScan } from './dataset-fixture.ts';
import { GradeOverrideRepository } from '../../src/storage/grade-overrides.ts';

const skip = mosquittoAvailable ? false : 'mosquitto is not installed (apt-get install mosquitto, see scripts/apt-packages.txt)';

async function openBoothStore(dir: string): Promise<{ db: Db; store: FileStore }> {
  const store = new FileStore(join(dir, 'store'));
  await store.init();
  return { db: openDatabase(join(dir, 'booth.sqlite')), store };
}

/** How often the broker delivered each dataset chunk (by sha256), seen by an observer on every booth's chunks. */
async function countChunkDeliveries(t: Test, broker: Broker): Promise<Map<string, number>> {
  const watch = await observer(t, broker);
  const deliveries = new Map<string, number>();
  watch.on('message', (topic) => {
    const m = /\/datasets\/chunks\/([0-9a-f]{64})$/.exec(topic);
    if (m) deliveries.set(m[1], (deliveries.get(m[1]) ?? 0) + 1);
  });
  await watch.subscribeAsync('gradebooth/v1/+/datasets/chunks/+', { qos: 1 });
  return deliveries;
}

/**
 * Wait until the observer has seen every chunk of a dataset: the booth marks a dataset complete on the
 * fleet's answer, which can reach it before the observer's own copies of the last chunks do.
 */
async function observedAll(deliveries: Map<string, number>, manifest: DatasetManifest): Promise<void> {
  await waitFor(() => manifest.files.every((f) => f.chunks.every((c) => deliveries.has(c))), 'the observer saw every chunk of the dataset');
}

t.test('the manifest: deterministic id, chunks that fit the files, no dataset from a damaged or unfinished scan', async (t) => {
  const dir = tempDir(t, 'gb-ds-unit-');
  const { db, store } = await openBoothStore(dir);
  t.teardown(() => db.close());
  const a = await storeFinishedScan(db, store, { barcode: 'SUB-0001', frames: 3, frameBytes: 150_000 });
  const one = await buildScanDataset(db, store, a.scanId, { boothId: 'b1', chunkBytes: 65_536 });
  const two = await buildScanDataset(db, store, a.scanId, { boothId: 'b1', chunkBytes: 65_536 });
  t.equal(one.id, two.id, 'the same scan and labels are the same dataset');
  t.equal(one.id, createHash('sha256').update(one.bytes).digest('hex'), 'id = sha256 of the manifest bytes');
  const m = one.manifest;
  t.same(m.files.map((f) => f.role), ['frame', 'frame', 'frame', 'normals', 'albedo', 'depth', 'calibration', 'grade-report']);
  for (const f of m.files) t.equal(f.chunks.length, Math.ceil(f.sizeBytes / 65_536), `${f.name}: chunk count fits its size`);
  t.equal(m.scan.barcode, 'SUB-0001');
  t.match(m.labels, { grade: { overall: 8.5, score1000: 850 }, defects: [{ kind: 'scratch', xMm: 4.2, depthUm: 9 }], overrides: [] });
  t.same(m.files[0].meta, { lightIndex: 0, ledChannel: 0, exposureUs: 20_000, gainDb: 0, width: 375, height: 512, pixelFormat: 'Mono16', timestampUs: 0 });
  const other = await buildScanDataset(db, store, a.scanId, { boothId: 'b2', chunkBytes: 65_536 });
  t.not(other.id, one.id, 'another booth name is another manifest');

  // An operator's override is a label: the dataset with it is a new one, whose files are the same chunks.
  const gradeId = m.labels.grade?.id as string;
  db.prepare("INSERT INTO grade_overrides (id, grade_id, card_id, subgrade, machine_value, value, reason, note, created_by, created_by_name, created_at) VALUES ('o1', ?, (SELECT card_id FROM grades WHERE id = ?), 'surface', 8.5, 7, 'missed-defect', 'scratch by the top edge', 'op-1', 'Ada', ?)")
    .run(gradeId, gradeId, new Date().toISOString());
  const relabelled = await buildScanDataset(db, store, a.scanId, { boothId: 'b1', chunkBytes: 65_536 });
  t.not(relabelled.id, one.id, 'new labels, new dataset');
  t.match(relabelled.manifest.labels.overrides, [{ subgrade: 'surface', machineValue: 8.5, value: 7, reason: 'missed-defect', note: 'scratch by the top edge', createdBy: 'op-1' }]);
  t.notOk(JSON.stringify(relabelled.manifest).includes('Ada'), 'the operator by id, not by name');
  t.same(relabelled.manifest.files.map((f) => f.chunks), m.files.map((f) => f.chunks), 'the same chunks: nothing to send again');
  const { assertPayload, datasetManifestSchema } = await import('../../src/sync/payloads.ts');
  t.doesNotThrow(() => assertPayload(datasetManifestSchema.$id, relabelled.manifest), 'the manifest passes its schema');

  await t.rejects(buildScanDataset(db, store, 'no-such-scan', { boothId: 'b1' }), { code: 'GB_NOT_FOUND' });
  const jobId = randomUUID();
  db.prepare("INSERT INTO jobs (id, kind, state, created_at, updated_at) VALUES (?, 'scan', 'running', ?, ?)").run(jobId, new Date().toISOString(), new Date().toISOString());
  db.prepare("INSERT INTO scans (id, job_id, side, created_at) VALUES ('unfinished', ?, 'front', ?)").run(jobId, new Date().toISOString());
  await t.rejects(buildScanDataset(db, store, 'unfinished', { boothId: 'b1' }), { code: 'GB_CONFLICT', message: /did not finish/ });

  // Bit rot in a stored frame: the dataset is refused, not uploaded with a file that is not what was captured.
  const { writeFileSync } = await import('node:fs');
  writeFileSync(store.pathOf(a.fileShas[1]), Buffer.from('damaged'));
  await t.rejects(buildScanDataset(db, store, a.scanId, { boothId: 'b1' }), { code: 'GB_STORE_CORRUPT' });
});

interface Booth {
  db: Db;
  store: FileStore;
  sync: FleetSync;
  stop(): Promise<void>;
}

async function startBoothSync(t: Test, broker: Broker, boothId: string, dir: string, datasets: Record<string, unknown> = { upload: 'on-request', chunk_bytes: 65_536, reoffer_s: 60 }, extra: Record<string, unknown> = {}): Promise<Booth> {
  const { db, store } = await openBoothStore(dir);
  const fleet = fleetSettings(broker, boothId, { telemetry_interval_s: 0, datasets, ...extra });
  const sync = new FleetSync({ fleet, db, logger: silent, commands: new Map(), telemetry: { devices: () => [], disk: () => store.diskSpace(), startedAtMs: Date.now() }, store });
  sync.start();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await sync.stop();
    db.close();
  };
  t.teardown(stop);
  return { db, store, sync, stop };
}

async function startDatasetCollector(t: Test, broker: Broker, indexPath: string, storeDir: string, name = 'c1'): Promise<{ collector: Collector; datasets: DatasetCollector; store: ContentStore }> {
  const fleet = fleetSettings(broker, 'fleet');
  const index = openFleetIndex(indexPath);
  const store = await FilesystemContentStore.open(storeDir);
  const datasets = new DatasetCollector({ index, store, prefix: fleet.topic_prefix, logger: silent });
  const collector = collectorFromSettings(fleet, { group: 'collectors', name, index, logger: silent, sessionExpiryS: 0, handlers: datasets.handlers() });
  datasets.answerThrough(collector);
  await collector.start();
  let stopped = false;
  t.teardown(async () => {
    if (stopped) return;
    stopped = true;
    await collector.stop();
    index.close();
  });
  return { collector, datasets, store };
}

/** Reassemble every file of a complete dataset from the fleet's store; the names of files whose sha256 differs. */
async function reassemble(indexPath: string, store: ContentStore, datasetId: string): Promise<{ files: number; wrong: string[] }> {
  const index = openFleetIndex(indexPath);
  try {
    const row = index.prepare('SELECT manifest_json, complete FROM datasets WHERE sha256 = ?').get(datasetId) as { manifest_json: string; complete: number } | undefined;
    if (!row || row.complete !== 1) return { files: 0, wrong: ['(dataset not complete)'] };
    const m = JSON.parse(row.manifest_json) as DatasetManifest;
    const wrong: string[] = [];
    for (const f of m.files) {
      const parts = await Promise.all(f.chunks.map((c) => store.get(c)));
      if (createHash('sha256').update(Buffer.concat(parts)).digest('hex') !== f.sha256) wrong.push(f.name);
    }
    return { files: m.files.length, wrong };
  } finally {
    index.close();
  }
}

t.test('two scans sharing a calibration: both datasets complete, files reassemble, no held chunk is sent again', { skip }, async (t) => {
  const broker = await startBroker({ users: { 'booth-d1': 'pw-d1', fleet: 'pw-fleet' } });
  t.teardown(() => broker.close());
  const dir = tempDir(t, 'gb-ds-e2e-');
  const indexPath = join(dir, 'index.sqlite');
  const { datasets: fleetSide, store: fleetStore } = await startDatasetCollector(t, broker, indexPath, join(dir, 'fleet-store'));
  const chunkDeliveries = await countChunkDeliveries(t, broker);

  const booth = await startBoothSync(t, broker, 'booth-d1', join(dir, 'booth'));
  const first = await storeFinishedScan(booth.db, booth.store, { barcode: 'SUB-0100', frames: 4, frameBytes: 150_000 });
  const second = await storeFinishedScan(booth.db, booth.store, { barcode: 'SUB-0101', side: 'back', frames: 4, frameBytes: 150_000, calibrationId: first.calibrationId });
  const uploader = booth.sync.datasets;
  if (!uploader) throw new Error('no uploader');
  await waitFor(() => booth.sync.figures().state === 'connected', 'booth connected');

  const a = await uploader.offerScan(first.scanId, 'test');
  t.equal(a.created, true);
  t.equal((await uploader.offerScan(first.scanId, 'test')).created, false, 'offering the same scan again is the same dataset');
  const manifestOf = (id: string): DatasetManifest => JSON.parse((uploader.repo.manifest(id) as Buffer).toString('utf8')) as DatasetManifest;
  await waitFor(() => uploader.repo.get(a.id)?.state === 'complete', 'first dataset complete');
  await observedAll(chunkDeliveries, manifestOf(a.id));
  const sentAfterFirst = chunkDeliveries.size;
  const b = await uploader.offerScan(second.scanId, 'test');
  await waitFor(() => uploader.repo.get(b.id)?.state === 'complete', 'second dataset complete');
  await observedAll(chunkDeliveries, manifestOf(b.id));

  for (const id of [a.id, b.id]) {
    const r = await reassemble(indexPath, fleetStore, id);
    t.equal(r.wrong.length, 0, `dataset ${id.slice(0, 8)}: every file reassembles to its sha256 (${r.files} files)`);
  }
  const chunksA = new Set(manifestOf(a.id).files.flatMap((f) => f.chunks));
  const chunksB = new Set(manifestOf(b.id).files.flatMap((f) => f.chunks));
  const shared = [...chunksB].filter((c) => chunksA.has(c));
  t.ok(shared.length >= 1, `the datasets share ${shared.length} chunk(s) (the calibration record)`);
  t.equal(sentAfterFirst, chunksA.size, 'the first dataset sent each of its chunks');
  t.equal(chunkDeliveries.size, new Set([...chunksA, ...chunksB]).size, 'the second sent only chunks the fleet did not hold');
  t.same([...chunkDeliveries.values()].filter((n) => n > 1), [], 'no chunk was sent twice');
  t.equal(fleetSide.figures.datasetsComplete, 2);
  t.equal(fleetSide.figures.chunksDuplicate, 0);
  // The booth cleared the retained answers it read: the broker keeps none per finished dataset.
  const retained: string[] = [];
  const peek = await observer(t, broker);
  peek.on('message', (topic, payload) => { if (payload.length > 0) retained.push(topic); });
  await peek.subscribeAsync('gradebooth/v1/+/datasets/+/need', { qos: 1 });
  await new Promise((r) => setTimeout(r, 500));
  t.same(retained, [], 'no retained dataset answer left behind');
  t.equal(booth.db.prepare("SELECT count(*) FROM outbox WHERE kind = 'dataset'").pluck().get(), 0, 'the outbox is empty');
});

t.test('every-scan: an operator override after the upload goes to the fleet as a new dataset, and no chunk again', { skip }, async (t) => {
  // Overrides are made on a stored grade, so always after the job ended and its scans were offered: without a
  // second offer the fleet never saw an operator's label.
  const broker = await startBroker({ users: { 'booth-ov': 'pw-ov', fleet: 'pw-fleet' } });
  t.teardown(() => broker.close());
  const dir = tempDir(t, 'gb-ds-override-');
  const indexPath = join(dir, 'index.sqlite');
  const { datasets: fleetSide } = await startDatasetCollector(t, broker, indexPath, join(dir, 'fleet-store'));
  const chunkDeliveries = await countChunkDeliveries(t, broker);
  const booth = await startBoothSync(t, broker, 'booth-ov', join(dir, 'booth'), { upload: 'every-scan', chunk_bytes: 65_536, reoffer_s: 60 });
  const uploader = booth.sync.datasets;
  if (!uploader) throw new Error('no uploader');
  await waitFor(() => booth.sync.figures().state === 'connected', 'booth connected');
  const since = new Date(Date.now() - 60_000).toISOString();
  const scan = await storeFinishedScan(booth.db, booth.store, { barcode: 'SUB-0700', frames: 3, frameBytes: 100_000 });
  const gradeId = booth.db.prepare('SELECT id FROM grades WHERE job_id = ?').pluck().get(scan.jobId) as string;
  const datasetsOf = (): Array<{ id: string; state: string }> => booth.db.prepare('SELECT id, state FROM datasets WHERE scan_id = ? ORDER BY created_at, rowid').all(scan.scanId) as Array<{ id: string; state: string }>;

  t.equal(await uploader.offerFinished(since), 1, 'the finished scan is offered');
  const manifestOf = (id: string): DatasetManifest => JSON.parse((uploader.repo.manifest(id) as Buffer).toString('utf8')) as DatasetManifest;
  await waitFor(() => datasetsOf()[0]?.state === 'complete', 'its dataset complete at the fleet');
  await observedAll(chunkDeliveries, manifestOf(datasetsOf()[0].id));
  t.equal(await uploader.offerFinished(since), 0, 'nothing new: nothing offered again');
  const sentBefore = chunkDeliveries.size;

  // The operator disagrees with the machine's surface subgrade.
  await new Promise((r) => setTimeout(r, 5)); // the override is made after the dataset (ISO times, ms)
  new GradeOverrideRepository(booth.db).add({ gradeId, subgrade: 'surface', value: 7, reason: 'missed-defect', note: 'scratch by the top edge', createdBy: 'operator:op-1', createdByName: 'Ada' });
  t.equal(await uploader.offerFinished(since), 1, 'the overridden scan is offered again');
  await waitFor(() => datasetsOf().length === 2 && datasetsOf().every((d) => d.state === 'complete'), 'the relabelled dataset complete at the fleet');
  const [first, relabelled] = datasetsOf();
  t.same(manifestOf(first.id).labels.overrides, [], 'the first dataset had no override');
  t.match(manifestOf(relabelled.id).labels.overrides, [{ subgrade: 'surface', machineValue: 8.5, value: 7, reason: 'missed-defect', note: 'scratch by the top edge' }], 'the new one carries it');
  t.equal(chunkDeliveries.size, sentBefore, 'its files are the same chunks: none sent again');
  t.same([...chunkDeliveries.values()].filter((n) => n > 1), [], 'no chunk was sent twice');
  t.equal(fleetSide.figures.datasetsComplete, 2, 'the fleet completed both');
  t.equal(await uploader.offerFinished(since), 0, 'offered once per new label');
});

t.test('a broker restart without persistence and a booth restart mid-upload: the dataset resumes and completes', { skip }, async (t) => {
  const broker = await startBroker({ users: { 'booth-d2': 'pw-d2', fleet: 'pw-fleet' } });
  t.teardown(() => broker.close());
  const dir = tempDir(t, 'gb-ds-resume-');
  const indexPath = join(dir, 'index.sqlite');
  let fleet = await startDatasetCollector(t, broker, indexPath, join(dir, 'fleet-store'));
  // A slow link (64 KiB/s): the upload is still running when the broker goes away.
  const slow = { bandwidth_bytes_per_s: 65_536 };
  const resumable = { upload: 'on-request', chunk_bytes: 65_536, reoffer_s: 5 };
  let booth = await startBoothSync(t, broker, 'booth-d2', join(dir, 'booth'), resumable, slow);
  const scan = await storeFinishedScan(booth.db, booth.store, { barcode: 'SUB-0200', frames: 6, frameBytes: 120_000 });
  await waitFor(() => booth.sync.figures().state === 'connected', 'booth connected');
  const d = await booth.sync.datasets?.offerScan(scan.scanId, 'test');
  if (!d) throw new Error('no dataset');
  const total = d.chunks.waiting;
  await waitFor(() => fleet.datasets.figures.chunksStored >= 3, 'some chunks stored');

  // The broker dies (SIGKILL, no persistence: the retained answer is gone) and the booth restarts meanwhile.
  await broker.stop();
  const halfway = booth.sync.datasets?.repo.get(d.id);
  t.not(halfway?.state, 'complete', `still uploading when the broker died (${fleet.datasets.figures.chunksStored} of ${total} chunks stored)`);
  await booth.stop();
  await broker.start();
  await fleet.collector.stop();
  fleet = await startDatasetCollector(t, broker, indexPath, join(dir, 'fleet-store'), 'c2');
  booth = await startBoothSync(t, broker, 'booth-d2', join(dir, 'booth'), resumable, slow);
  await waitFor(() => booth.sync.datasets?.repo.get(d.id)?.state === 'complete', 'dataset complete after the restarts', 120_000);
  const r = await reassemble(indexPath, fleet.store, d.id);
  t.equal(r.wrong.length, 0, `every file reassembles (${r.files} files, ${total} chunks)`);
  const index = openFleetIndex(indexPath);
  t.teardown(() => index.close());
  t.equal(index.prepare('SELECT count(*) FROM datasets').pluck().get(), 1, 'one dataset at the fleet');
  t.equal(index.prepare('SELECT count(*) FROM chunks').pluck().get(), new Set(JSON.parse((booth.sync.datasets?.repo.manifest(d.id) as Buffer).toString()).files.flatMap((f: { chunks: string[] }) => f.chunks)).size, 'each chunk stored once');
});

t.test('the fleet pulls a dataset with a command; a booth whose settings say off refuses; a forged chunk is not stored', { skip }, async (t) => {
  const broker = await startBroker({ users: { 'booth-d3': 'pw-d3', 'booth-d4': 'pw-d4', fleet: 'pw-fleet' } });
  t.teardown(() => broker.close());
  const dir = tempDir(t, 'gb-ds-pull-');
  const indexPath = join(dir, 'index.sqlite');
  const fleet = await startDatasetCollector(t, broker, indexPath, join(dir, 'fleet-store'));
  const willing = await startBoothSync(t, broker, 'booth-d3', join(dir, 'b3'));
  const unwilling = await startBoothSync(t, broker, 'booth-d4', join(dir, 'b4'), { upload: 'off' });
  const s3 = await storeFinishedScan(willing.db, willing.store, { barcode: 'SUB-0300', frames: 2 });
  await storeFinishedScan(unwilling.db, unwilling.store, { barcode: 'SUB-0400', frames: 2 });
  await waitFor(() => willing.sync.figures().state === 'connected' && unwilling.sync.figures().state === 'connected', 'booths connected');

  const client = await observer(t, broker);
  const responseTopic = `gradebooth/v1/_fleet/responses/${randomUUID()}`;
  const answers = new Map<string, CommandResponse>();
  client.on('message', (topic, payload, packet) => {
    if (topic === responseTopic) answers.set(String(packet.properties?.correlationData), parsePayload<CommandResponse>(commandResponseSchema.$id, payload));
  });
  await client.subscribeAsync(responseTopic, { qos: 1 });
  const ask = (booth: string, params: unknown, corr: string): Promise<unknown> =>
    client.publishAsync(`gradebooth/v1/${booth}/commands/dataset-pull`, JSON.stringify({ params }), { qos: 1, properties: { responseTopic, correlationData: Buffer.from(corr) } });
  await ask('booth-d3', { barcode: 'SUB-0300' }, 'pull');
  await ask('booth-d3', { barcode: 'SUB-9999' }, 'none');
  await ask('booth-d3', { limit: 5 }, 'unnamed');
  await ask('booth-d4', { barcode: 'SUB-0400' }, 'off');
  await waitFor(() => answers.size === 4, 'four answers');
  t.match(answers.get('pull'), { ok: true, result: { datasets: [{ scanId: s3.scanId, created: true, state: 'offered' }] } });
  t.match(answers.get('none'), { ok: false, error: { code: 'GB_NOT_FOUND' } });
  t.match(answers.get('unnamed'), { ok: false, error: { code: 'GB_VALIDATION', message: /scanId, barcode or since/ } });
  t.match(answers.get('off'), { ok: false, error: { code: 'GB_DATASETS_DISABLED' } });
  const pulled = (answers.get('pull') as { result: { datasets: Array<{ datasetId: string }> } }).result.datasets[0].datasetId;
  await waitFor(() => willing.sync.datasets?.repo.get(pulled)?.state === 'complete', 'pulled dataset complete');
  t.equal((await reassemble(indexPath, fleet.store, pulled)).wrong.length, 0);
  t.equal(unwilling.db.prepare('SELECT count(*) FROM datasets').pluck().get(), 0, 'the booth that says off offered nothing');
  await t.rejects(unwilling.sync.datasets?.offerScan('x', 'test') ?? Promise.reject(new Error('no uploader')), { code: 'GB_DATASETS_DISABLED' });

  // A booth (its own credentials, its own subtree) publishing bytes that do not match the chunk's name.
  const forger = await (await import('mqtt')).connectAsync(broker.url, { ...(await import('../../src/sync/connect-options.ts')).mqttConnectOptions(fleetSettings(broker, 'booth-d3'), { clientId: 'forger' }) });
  t.teardown(() => forger.endAsync(true));
  const fake = '0'.repeat(64);
  const before = fleet.datasets.figures.chunksInvalid;
  await forger.publishAsync(`gradebooth/v1/booth-d3/datasets/chunks/${fake}`, Buffer.from('not what the name says'), { qos: 1 });
  await waitFor(() => fleet.datasets.figures.chunksInvalid === before + 1, 'forged chunk counted invalid');
  t.equal(await fleet.store.has(fake), false, 'the forged chunk is not in the store');
  await t.rejects(fleet.store.get(fake), { code: 'GB_STORE_MISSING' });
});
