// Model rollout through a real daemon: `gradebooth serve` on the simulated booth with `fleet.model_keys`, a real
// mosquitto, and a release signed and published by the fleet's code. The daemon verifies and installs it, the
// grade stage runs it in shadow on the next scan (the shipped model, or none, still grades that scan), the canary
// rule activates it, the scan after that is graded by it (its grade row and its fleet result name the model),
// and after a restart GET /api/models still shows it active.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { privateDir } from '../calibration/temp-dir.ts';
import { endedStates, startSimDaemon, type Job } from '../helpers/sim-daemon.ts';
import { ensureSimBuilt } from '../../src/sim/rig/simulated-rig.ts';
import { startBroker, mosquittoAvailable, type Broker } from '../helpers/mosquitto.ts';
import { fleetSettings, startCollector, waitFor } from '../helpers/fleet.ts';
import { dentSensitive, writeSurfaceModel } from '../helpers/onnx-model.ts';
import { generateModelKeyPair } from '../../src/core/model-signing.ts';
import { buildRelease, defaultRollout, publishRelease } from '../../src/fleet/publish-model.ts';
import { openFleetIndex } from '../../src/fleet/index-db.ts';
import { mqttConnectOptions } from '../../src/sync/connect-options.ts';
import type { ModelsStatePayload, ResultPayload } from '../../src/sync/payloads.ts';
import { shippedSurfaceModel } from '../helpers/shipped-model.ts';

let skip: string | false = false;
try {
  await ensureSimBuilt();
} catch (err) {
  skip = `simulated rig unavailable (needs simavr and the built firmware): ${(err as Error).message}`;
}
if (!skip && !mosquittoAvailable) skip = 'mosquitto is not installed (apt-get install mosquitto, see scripts/apt-packages.txt)';

t.test('a daemon verifies, shadows, activates and keeps a published model; the next scan is graded by it', { skip }, async (t) => {
  const broker: Broker = await startBroker({ users: { 'booth-mr': 'pw-mr-1', fleet: 'pw-fleet-2' } });
  t.teardown(() => broker.close());
  const dataDir = privateDir(t, 'daemon-models');
  const indexPath = join(dataDir, 'fleet-index.sqlite');
  await startCollector(t, broker, indexPath, 'c1', 'collectors', 3600);
  const keys = generateModelKeyPair();
  writeFileSync(join(dataDir, 'fleet.key'), keys.privatePem, { mode: 0o600 });
  writeFileSync(join(dataDir, 'fleet.pub'), keys.publicPem);

  // `fleet.model_keys` is relative to the settings file, which startSimDaemon writes into the data directory.
  const settings = {
    booth: { id: 'booth-mr' },
    fleet: { url: broker.url, ca_file: broker.caFile, username: 'booth-mr', password_file: broker.passwordFile('booth-mr'), keepalive_s: 5, reconnect_ms: 200, backoff_max_ms: 1000, telemetry_interval_s: 0, model_keys: ['fleet.pub'] },
  };
  let daemon = await startSimDaemon(dataDir, { settings });
  t.teardown(() => {
    if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGKILL');
  });
  const { technician, operator } = daemon;
  const api = (method: string, path: string, bearer: string, body?: unknown): Promise<Response> => daemon.api(method, path, bearer, body);
  const until = (id: string): Promise<Job> => daemon.until(id, (j) => endedStates.includes(j.state));
  const models = async (): Promise<ModelsStatePayload> => (await api('GET', '/api/models', operator)).json() as Promise<ModelsStatePayload>;
  const scan = async (barcode: string): Promise<Job> => {
    const posted = await api('POST', '/api/scans', operator, { barcode });
    t.equal(posted.status, 202);
    const job = await until(((await posted.json()) as { jobId: string }).jobId);
    t.equal(job.state, 'done', `${barcode}: ${JSON.stringify(job.error)}`);
    return job;
  };
  await waitFor(async () => ((await (await api('GET', '/api/status', technician)).json()) as { fleet: { state?: string } }).fleet.state === 'connected', 'the daemon connected to the broker');
  const calibrated = await until(((await (await api('POST', '/api/calibrations', technician, {})).json()) as { jobId: string }).jobId);
  t.equal(calibrated.state, 'done', JSON.stringify(calibrated.error));

  // The fleet signs and publishes a model for this booth, as its canary, with one shadow scan.
  const model = writeSurfaceModel(join(dataDir, 'release'), '9.0.0-test', { ...dentSensitive, salt: 42 });
  const built = await buildRelease({ dir: model.dir, keyFile: join(dataDir, 'fleet.key'), rollout: { ...defaultRollout, booths: ['booth-mr'], canary: ['booth-mr'], shadowScans: 1, minAgreement: 0, maxSurfaceDelta: 10, probationScans: 0 }, chunkBytes: 1024 });
  const fleet = fleetSettings(broker, 'fleet');
  const client = await connectAsync(fleet.url, mqttConnectOptions(fleet, { clientId: 'publisher-e2e' }));
  t.teardown(() => client.endAsync(true));
  await publishRelease(client, fleet.topic_prefix, built);
  await waitFor(async () => (await models()).models.some((m) => m.sha256 === model.sha256 && m.state === 'shadow'), 'GET /api/models: the model verified, installed and shadowing');

  const shadowed = await scan('SUB-M001');
  const afterShadow = await models();
  t.match(afterShadow, { active: { sha256: model.sha256, version: '9.0.0-test' }, models: [{ sha256: model.sha256, state: 'active', canary: true, shadow: { scans: 1, needed: 1, errors: 0 } }] }, 'the canary rule passed on the shadow scan and activated it');

  const index = openFleetIndex(indexPath);
  t.teardown(() => index.close());
  const stored = (job: Job): ResultPayload[] => (job.result.fleetMessages as string[]).flatMap((id) => (index.prepare('SELECT payload_json FROM results WHERE message_id = ?').all(id) as Array<{ payload_json: string }>).map((r) => JSON.parse(r.payload_json) as ResultPayload));
  await waitFor(() => stored(shadowed).length === 2, 'the shadow scan results at the collector');
  const shadowCard = stored(shadowed).find((m) => m.kind === 'card');
  t.not(shadowCard?.model?.sha256, model.sha256, 'the shadow scan was not graded by the candidate');
  // It was graded by the model in models/ when one is installed, else not at all (and says why).
  const shipped = await shippedSurfaceModel();
  if (shipped) t.match(shadowCard, { model: { name: shipped.name, version: shipped.version }, reason: null, grades: { overall: Number } }, `the shadow scan graded by the installed model ${shipped.version}`);
  else t.match(shadowCard, { model: null, gradeId: null, grades: { overall: null }, reason: { code: 'GB_MODEL_MISSING' } }, 'no installed model: the shadow scan is not graded');

  const graded = await scan('SUB-M002');
  await waitFor(() => stored(graded).length === 2, 'the graded card results at the collector');
  const card = stored(graded).find((m) => m.kind === 'card');
  t.match(card, { barcode: 'SUB-M002', model: { name: 'surface-defects', version: '9.0.0-test', sha256: model.sha256 } }, 'the card result names the rolled-out model');
  t.ok(graded.result.grade?.gradeId, `a grade row exists (${JSON.stringify(graded.result.grade?.error ?? null)})`);
  t.equal(card?.reason, null, 'graded, no reason');
  t.type(card?.grades.overall, 'number', 'an overall grade');

  // The choice survives a restart of the daemon.
  daemon.child.kill('SIGTERM');
  await new Promise((r) => daemon.child.once('exit', r));
  daemon = await startSimDaemon(dataDir, { settings, tokens: { technician, operator } });
  t.equal((await models()).active?.sha256, model.sha256, 'after a restart the model is still active');
});
