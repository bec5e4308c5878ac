// Issue 15's check, end to end: a real mosquitto on a free loopback port (TLS, password file, ACL) and
// `gradebooth serve` on the simulated booth with `fleet` settings pointing at it. The booth's status reads
// `online` (retained); a scanned card's results appear on …/results with its barcode and its grade (or, while
// no surface model is installed, its measured subgrades, no overall and the reason); with the broker stopped
// two more cards are scanned and, once it is back, both cards' results arrive once each; telemetry carries
// the rig's temperature; kill -9 of the daemon makes the status read `offline` (the last will).
import t from 'tap';
import { join } from 'node:path';
import { privateDir } from '../calibration/temp-dir.ts';
import { exited } from '../cli/run-cli.ts';
import { endedStates, startSimDaemon, type Job } from '../helpers/sim-daemon.ts';
import { ensureSimBuilt } from '../../src/sim/rig/simulated-rig.ts';
import { startBroker, mosquittoAvailable, type Broker } from '../helpers/mosquitto.ts';
import { observer, startCollector, waitFor } from '../helpers/fleet.ts';
import { openFleetIndex } from '../../src/fleet/index-db.ts';
import { assertPayload, type ResultPayload, type TelemetryPayload } from '../../src/sync/payloads.ts';
import { shippedSurfaceModel } from '../helpers/shipped-model.ts';

let skip: string | false = false;
try {
  await ensureSimBuilt();
} catch (err) {
  skip = `simulated rig unavailable (needs simavr and the built firmware): ${(err as Error).message}`;
}
if (!skip && !mosquittoAvailable) skip = 'mosquitto is not installed (apt-get install mosquitto, see scripts/apt-packages.txt)';


t.test('a daemon with fleet settings: online, results once each across a broker outage, offline after kill -9', { skip }, async (t) => {
  const broker: Broker = await startBroker({ users: { 'booth-e2e': 'pw-e2e-1', fleet: 'pw-fleet-2' } });
  t.teardown(() => broker.close());
  const dataDir = privateDir(t, 'daemon-fleet');
  const indexPath = join(dataDir, 'fleet-index.sqlite');
  const collector = await startCollector(t, broker, indexPath, 'c1', 'collectors', 3600);

  const serve = await startSimDaemon(dataDir, {
    settings: {
      booth: { id: 'booth-e2e' },
      fleet: { url: broker.url, ca_file: broker.caFile, username: 'booth-e2e', password_file: broker.passwordFile('booth-e2e'), keepalive_s: 5, reconnect_ms: 200, backoff_max_ms: 1000, telemetry_interval_s: 2 },
    },
  });
  t.teardown(() => {
    if (serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill('SIGKILL');
  });
  const { api, technician, operator } = serve;
  const until = (id: string): Promise<Job> => serve.until(id, (j) => endedStates.includes(j.state));
  const fleetStatus = async (): Promise<{ state?: string; queue: { rows: number; byKind: Record<string, { rows: number }> } }> =>
    ((await (await api('GET', '/api/status', technician)).json()) as { fleet: { state?: string; queue: { rows: number; byKind: Record<string, { rows: number }> } } }).fleet;

  // 1. gradebooth/v1/+/status reads `online`, retained (a subscriber that comes later still gets it).
  await waitFor(async () => (await fleetStatus()).state === 'connected', 'the daemon connected to the broker');
  const statuses: Array<{ topic: string; payload: string; retain: boolean }> = [];
  const obs = await observer(t, broker);
  obs.on('message', (topic, payload, packet) => statuses.push({ topic, payload: payload.toString(), retain: packet.retain }));
  await obs.subscribeAsync('gradebooth/v1/+/status', { qos: 1 });
  await waitFor(() => statuses.some((s) => s.topic === 'gradebooth/v1/booth-e2e/status'), 'the retained status');
  t.same(statuses.filter((s) => s.topic === 'gradebooth/v1/booth-e2e/status'), [{ topic: 'gradebooth/v1/booth-e2e/status', payload: 'online', retain: true }], 'status: online, retained');

  const calibrated = await until(((await (await api('POST', '/api/calibrations', technician, {})).json()) as { jobId: string }).jobId);
  t.equal(calibrated.state, 'done', JSON.stringify(calibrated.error));

  const index = openFleetIndex(indexPath);
  t.teardown(() => index.close());
  const stored = (ids: string[]): ResultPayload[] =>
    ids.flatMap((id) => (index.prepare('SELECT payload_json FROM results WHERE message_id = ?').all(id) as Array<{ payload_json: string }>).map((r) => JSON.parse(r.payload_json) as ResultPayload));
  const scan = async (barcode: string): Promise<Job> => {
    const posted = await api('POST', '/api/scans', operator, { barcode });
    t.equal(posted.status, 202);
    const job = await until(((await posted.json()) as { jobId: string }).jobId);
    t.equal(job.state, 'done', `${barcode}: ${JSON.stringify(job.error)}`);
    return job;
  };
  /** The card's result message says what the job's grade says, and never a grade the booth did not make. */
  // With a surface model in models/ every card must be graded; without one, measured with the reason.
  const model = await shippedSurfaceModel();
  const checkCardResult = async (job: Job, barcode: string): Promise<void> => {
    const ids = job.result.fleetMessages as string[];
    t.equal(ids.length, 2, `${barcode}: one side result + one card result queued`);
    const messages = stored(ids);
    t.equal(messages.length, 2, `${barcode}: both stored`);
    const card = messages.find((m) => m.kind === 'card');
    const side = messages.find((m) => m.kind === 'side');
    t.match(side, { barcode, jobId: job.id, side: 'front', scanId: job.result.sides[0].scanId });
    t.match(card, { barcode, jobId: job.id, scanId: job.result.sides[0].scanId });
    const grade = job.result.grade as { grade: number | null; gradeId?: string; subgrades: Record<string, number>; score1000: number | null; error?: string };
    t.same(card?.grades, {
      overall: grade.gradeId ? grade.grade : null,
      centering: grade.subgrades.centering ?? null,
      corners: grade.subgrades.corners ?? null,
      edges: grade.subgrades.edges ?? null,
      surface: grade.subgrades.surface ?? null,
    }, `${barcode}: the card's grades as the booth graded them`);
    for (const m of messages) t.doesNotThrow(() => assertPayload('gradebooth.result.v1', m), `${barcode} ${m.kind}: a valid result payload`);
    t.equal(grade.gradeId !== undefined, model !== null, model ? `${barcode}: graded by surface model ${model.version} (${grade.error ?? 'no error'})` : `${barcode}: no surface model, not graded`);
    if (grade.gradeId) {
      t.match(card, { gradeId: grade.gradeId, score1000: grade.score1000, reason: null, model: { name: model?.name, version: model?.version } });
      t.type(card?.grades.overall, 'number', `${barcode}: overall ${card?.grades.overall}`);
      // The card's stored grade (the API) is the one announced, with the same defects.
      const stored = ((await (await api('GET', `/api/cards?barcode=${barcode}`, operator)).json()) as { items: Array<{ grades: Array<{ id: string; grade: number; defects: Array<{ side: string; type: string }> }> }> }).items[0].grades;
      t.match(stored, [{ id: grade.gradeId, grade: card?.grades.overall }], `${barcode}: the announced grade is the stored one`);
      t.same(card?.defects.map((d) => [d.side, d.kind]), stored[0].defects.map((d) => [d.side, d.type]), `${barcode}: with its defects (${stored[0].defects.length})`);
      t.match(side, { gradeId: grade.gradeId, grades: { overall: null, ...(job.result.grade.sides?.[0]?.subgrades ?? job.result.grade.subgrades) } }, `${barcode}: the side result carries the side's subgrades`);
    } else {
      // No surface model ships in this checkout: measured subgrades, no overall, and why.
      t.match(card, { gradeId: null, score1000: null, reason: { code: /^GB_/ } });
      t.ok(grade.error === undefined || grade.error.startsWith(card?.reason?.code ?? '?'), `${barcode}: reason ${card?.reason?.code} matches the job's ${grade.error}`);
    }
  };

  // 2. A scanned card's results arrive on …/results with its barcode and grade.
  const first = await scan('SUB-F001');
  await waitFor(() => stored(first.result.fleetMessages).length === 2, 'the first card results stored by the collector');
  await checkCardResult(first, 'SUB-F001');

  // 3. The broker stops; two more cards are scanned; their results wait in the outbox; the broker starts again.
  await broker.stop();
  await waitFor(async () => (await fleetStatus()).state !== 'connected', 'the daemon notices the outage');
  const second = await scan('SUB-F002');
  const third = await scan('SUB-F003');
  const queued = await fleetStatus();
  t.equal(queued.queue.byKind.result?.rows, 4, 'four results (2 cards × side + card) wait in the outbox');
  await broker.start();
  const later = [...second.result.fleetMessages, ...third.result.fleetMessages] as string[];
  await waitFor(() => stored(later).length === 4, 'both cards results stored after the outage', 120_000);
  await waitFor(async () => ((await fleetStatus()).queue.byKind.result?.rows ?? 0) === 0, 'no result left in the outbox');
  await checkCardResult(second, 'SUB-F002');
  await checkCardResult(third, 'SUB-F003');

  const all = [...first.result.fleetMessages, ...later] as string[];
  const lost = all.filter((id) => stored([id]).length === 0).length;
  const duplicated = (index.prepare("SELECT count(*) AS n FROM (SELECT json_extract(payload_json, '$.jobId'), kind, side FROM results GROUP BY 1, 2, 3 HAVING count(*) > 1)").get() as { n: number }).n;
  t.same({ lost, duplicated, stored: (index.prepare('SELECT count(*) AS n FROM results').get() as { n: number }).n }, { lost: 0, duplicated: 0, stored: 6 }, 'every result once');
  t.comment(`deliveries the collector recognised as duplicates: ${collector.figures.results.duplicates}`);

  // Telemetry: the daemon's own figures, through the outbox with an expiry.
  await waitFor(() => (index.prepare("SELECT telemetry_json FROM booths WHERE id = 'booth-e2e'").get() as { telemetry_json: string | null } | undefined)?.telemetry_json != null, 'telemetry stored');
  await waitFor(() => {
    const tj = JSON.parse((index.prepare("SELECT telemetry_json FROM booths WHERE id = 'booth-e2e'").get() as { telemetry_json: string }).telemetry_json) as TelemetryPayload;
    // A sample taken after the reconnection (samples queued during the outage carry the older counters).
    return tj.rigTemperatureC !== null && tj.link.connects >= 2;
  }, 'telemetry with the rig temperature, sampled after the reconnection');
  const tele = JSON.parse((index.prepare("SELECT telemetry_json FROM booths WHERE id = 'booth-e2e'").get() as { telemetry_json: string }).telemetry_json) as TelemetryPayload;
  t.type(tele.rigTemperatureC, 'number', `rig temperature ${tele.rigTemperatureC} °C`);
  t.ok(tele.calibration.length >= 4 && tele.calibration.every((c) => c.valid), 'calibration ages');
  t.ok(tele.disk.freeBytes > 0 && tele.disk.totalBytes >= tele.disk.freeBytes, 'disk figures');
  t.ok(tele.link.disconnects >= 1 && tele.link.acknowledged > 0, `link counters: ${JSON.stringify(tele.link)}`);

  // 4. kill -9: the broker publishes the last will, `offline`, retained.
  serve.child.kill('SIGKILL');
  await exited(serve.child);
  const afterKill = await observer(t, broker);
  const seen: string[] = [];
  afterKill.on('message', (topic, payload) => topic === 'gradebooth/v1/booth-e2e/status' && seen.push(payload.toString()));
  await afterKill.subscribeAsync('gradebooth/v1/booth-e2e/status', { qos: 1 });
  await waitFor(() => seen.includes('offline'), 'the last will: offline', 60_000);
  t.equal(seen.at(-1), 'offline', 'status reads offline after kill -9');
});
