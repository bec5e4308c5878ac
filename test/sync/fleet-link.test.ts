import t from 'tap';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startBroker, mosquittoAvailable, type Broker } from '../helpers/mosquitto.ts';
import { countDelivery, observer, startBooth, startCollector, tempDir, waitFor, fleetSettings, silent, sideResult } from '../helpers/fleet.ts';
import { outboxFigures } from '../../src/storage/outbox.ts';
import { FleetLink, type FleetCommandHandler } from '../../src/sync/fleet-link.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { parsePayload, commandResponseSchema, type CommandResponse } from '../../src/sync/payloads.ts';
import { TelemetryReporter } from '../../src/sync/telemetry.ts';
import { openFleetIndex } from '../../src/fleet/index-db.ts';
import { resultMessageId } from '../../src/sync/results.ts';

if (!mosquittoAvailable) {
  t.comment('skipped: mosquitto is not installed (apt-get install mosquitto, see scripts/apt-packages.txt)');
} else {
  let broker: Broker;
  t.before(async () => {
    broker = await startBroker({ users: { 'booth-a': 'pw-a-1', 'booth-b': 'pw-b-2', fleet: 'pw-fleet-3' } });
  });
  t.teardown(() => broker.close());

  t.test('TLS + password: status online (retained), results once each, telemetry with an expiry', async (t) => {
    const dir = tempDir(t, 'gb-fleet-');
    const indexPath = join(dir, 'fleet.sqlite');
    const collector = await startCollector(t, broker, indexPath, 'c1');
    const booth = startBooth(t, broker, 'booth-a');
    await waitFor(() => booth.link.figures().state === 'connected', 'booth connected');

    const obs = await observer(t, broker);
    const statuses: Array<{ topic: string; payload: string; retain: boolean }> = [];
    obs.on('message', (topic, payload, packet) => statuses.push({ topic, payload: payload.toString(), retain: packet.retain }));
    await obs.subscribeAsync('gradebooth/v1/+/status', { qos: 1 });
    await waitFor(() => statuses.some((s) => s.topic === 'gradebooth/v1/booth-a/status' && s.payload === 'online' && s.retain), 'retained online');

    const sent = ['C-1', 'C-2', 'C-3'].map((b) => booth.grade(b));
    await waitFor(() => collector.figures.results.stored >= 3, 'three results stored');
    await waitFor(() => outboxFigures(booth.db).rows === 0, 'outbox empty after PUBACKs');
    const d = countDelivery(indexPath, sent);
    t.same({ lost: d.lost, duplicated: d.duplicated }, { lost: 0, duplicated: 0 });

    // Telemetry goes through the outbox with an expiry; the broker forwards the remaining expiry interval.
    const tele: Array<{ expiry: number | undefined; id: unknown }> = [];
    obs.on('message', (topic, _p, packet) => {
      if (topic.endsWith('/telemetry')) tele.push({ expiry: packet.properties?.messageExpiryInterval, id: packet.properties?.userProperties?.['message-id'] });
    });
    await obs.subscribeAsync('gradebooth/v1/booth-a/telemetry', { qos: 1 });
    const reporter = new TelemetryReporter({
      sources: { db: booth.db, devices: () => [], disk: async () => ({ freeBytes: 1, totalBytes: 2 }), link: () => booth.link.counters, startedAtMs: Date.now() },
      intervalS: 0,
      expiryS: 600,
      onQueued: () => booth.link.kick(),
      onError: (err) => t.fail(String(err)),
    });
    await reporter.queueOne();
    await waitFor(() => tele.length === 1, 'telemetry received');
    t.ok(tele[0].expiry !== undefined && tele[0].expiry > 0 && tele[0].expiry <= 600, `message expiry ${tele[0].expiry} s`);
    t.type(tele[0].id, 'string', 'telemetry carries a message id');
    const index = openFleetIndex(indexPath);
    await waitFor(() => (index.prepare("SELECT telemetry_json FROM booths WHERE id = 'booth-a'").get() as { telemetry_json: string | null }).telemetry_json !== null, 'telemetry indexed');
    index.close();

    const figures = booth.link.figures();
    t.equal(figures.counters.acknowledged, 4);
    t.equal(figures.queue.rows, 0);
    t.equal(figures.topicRoot, 'gradebooth/v1/booth-a');

    // A clean stop leaves `offline` retained.
    await booth.link.stop();
    const late = await observer(t, broker);
    const seen: string[] = [];
    late.on('message', (topic, payload) => topic.endsWith('booth-a/status') && seen.push(payload.toString()));
    await late.subscribeAsync('gradebooth/v1/booth-a/status', { qos: 1 });
    await waitFor(() => seen.length > 0, 'retained status');
    t.same(seen, ['offline']);
  });

  t.test('broker stopped across several results: nothing lost, nothing twice', async (t) => {
    const dir = tempDir(t, 'gb-fleet-');
    const indexPath = join(dir, 'fleet.sqlite');
    const collector = await startCollector(t, broker, indexPath, 'c1');
    const booth = startBooth(t, broker, 'booth-a');
    await waitFor(() => booth.link.figures().state === 'connected', 'booth connected');
    const sent = [booth.grade('OUT-0')];
    await waitFor(() => collector.figures.results.stored >= 1 && outboxFigures(booth.db).rows === 0, 'first result acknowledged');

    await broker.stop();
    await waitFor(() => booth.link.figures().state !== 'connected', 'booth notices the outage');
    for (let i = 1; i <= 6; i++) sent.push(booth.grade(`OUT-${i}`));
    t.equal(outboxFigures(booth.db).rows, 6, 'six results wait in the outbox while the broker is down');
    await broker.start();
    await waitFor(() => outboxFigures(booth.db).rows === 0, 'outbox drained after the outage');
    await waitFor(() => collector.figures.results.stored >= 7, 'all results stored');
    const d = countDelivery(indexPath, sent);
    t.same({ lost: d.lost, duplicated: d.duplicated, stored: d.stored }, { lost: 0, duplicated: 0, stored: 7 });
    t.ok(booth.link.figures().counters.connects >= 2, 'the link reconnected');
  });

  t.test('no collector subscribed: the broker drops the message (PUBACK 0x10), so the row stays until one is', async (t) => {
    const dir = tempDir(t, 'gb-fleet-');
    const indexPath = join(dir, 'fleet.sqlite');
    const booth = startBooth(t, broker, 'booth-a');
    await waitFor(() => booth.link.figures().state === 'connected', 'booth connected');
    const sent = [booth.grade('NOSUB-1')];
    await waitFor(() => booth.link.figures().counters.failed >= 1, 'a send refused for want of a subscriber');
    t.equal(outboxFigures(booth.db).rows, 1, 'still queued');
    const row = booth.db.prepare('SELECT last_error FROM outbox').get() as { last_error: string };
    t.match(row.last_error, /no fleet collector subscribes/);
    const collector = await startCollector(t, broker, indexPath, 'late');
    await waitFor(() => outboxFigures(booth.db).rows === 0, 'sent once a collector subscribed');
    await waitFor(() => collector.figures.results.stored >= 1, 'stored');
    t.same(countDelivery(indexPath, sent), { lost: 0, duplicated: 0, stored: 1 });
  });

  t.test('broker restart without persistence while results are in flight: resent, de-duplicated', async (t) => {
    const dir = tempDir(t, 'gb-fleet-');
    const indexPath = join(dir, 'fleet.sqlite');
    const collector = await startCollector(t, broker, indexPath, 'c1');
    // A slow link (2 kB/s) keeps results in flight when the broker dies.
    const booth = startBooth(t, broker, 'booth-b', { extra: { bandwidth_bytes_per_s: 2048 } });
    await waitFor(() => booth.link.figures().state === 'connected', 'booth connected');
    const sent: string[] = [];
    for (let i = 0; i < 12; i++) sent.push(booth.grade(`RST-${i}`));
    await waitFor(() => collector.figures.results.stored >= 2, 'some results through');
    await broker.restart();
    await waitFor(() => outboxFigures(booth.db).rows === 0, 'outbox drained after the restart');
    await waitFor(() => countDelivery(indexPath, sent).lost === 0, 'every result stored', 90_000);
    const d = countDelivery(indexPath, sent);
    t.same({ lost: d.lost, duplicated: d.duplicated, stored: d.stored }, { lost: 0, duplicated: 0, stored: 12 });
    t.comment(`deliveries the collector recognised as duplicates: ${collector.figures.results.duplicates}`);
  });

  t.test('duplicate delivery of one message id is stored once', async (t) => {
    const dir = tempDir(t, 'gb-fleet-');
    const indexPath = join(dir, 'fleet.sqlite');
    const collector = await startCollector(t, broker, indexPath, 'c1');
    // The booth's credentials, publishing the same result three times as a broker redelivery would.
    const fleet = fleetSettings(broker, 'booth-a');
    const { connectAsync } = await import('mqtt');
    const { mqttConnectOptions } = await import('../../src/sync/connect-options.ts');
    const raw = await connectAsync(fleet.url, mqttConnectOptions(fleet, { clientId: 'dup-sender' }));
    t.teardown(() => raw.endAsync(true));
    const result = { schema: 'gradebooth.result.v1', messageId: '', ...sideResult('DUP-1', randomUUID()) };
    result.messageId = resultMessageId(result);
    for (let i = 0; i < 3; i++) {
      await raw.publishAsync('gradebooth/v1/booth-a/results', JSON.stringify(result), { qos: 1, dup: i > 0, properties: { userProperties: { 'message-id': result.messageId } } });
    }
    await waitFor(() => collector.figures.results.stored + collector.figures.results.duplicates >= 3, 'three deliveries handled');
    t.equal(collector.figures.results.duplicates, 2, 'two deliveries recognised as duplicates');
    const d = countDelivery(indexPath, [result.messageId]);
    t.same({ lost: d.lost, duplicated: d.duplicated, stored: d.stored }, { lost: 0, duplicated: 0, stored: 1 });

    // The ACL keeps a booth out of another booth's topics: booth-a cannot write as booth-b.
    await raw.publishAsync('gradebooth/v1/booth-b/results', JSON.stringify({ ...result, messageId: 'forged' }), { qos: 1, properties: { userProperties: { 'message-id': 'forged' } } }).catch(() => undefined);
    await raw.publishAsync('gradebooth/v1/booth-a/results', JSON.stringify({ ...result, messageId: 'after-forged', scanId: randomUUID() }), { qos: 1, properties: { userProperties: { 'message-id': 'after-forged' } } });
    await waitFor(() => countDelivery(indexPath, ['after-forged']).lost === 0, 'the message after the forged one');
    t.equal(countDelivery(indexPath, ['forged']).lost, 1, 'the forged message never reached the collector');
  });

  t.test('fleet commands: MQTT v5 request/response with correlation data', async (t) => {
    let reminded = '';
    const commands = new Map<string, FleetCommandHandler>([
      ['status', async () => ({ boothId: 'booth-a', ok: true })],
      ['calibration-reminder', async (p: Record<string, unknown>) => ((reminded = String(p.message)), { shown: true })],
    ]);
    const booth = startBooth(t, broker, 'booth-a', { commands });
    await waitFor(() => booth.link.figures().state === 'connected', 'booth connected');
    const fleet = await observer(t, broker);
    const responseTopic = `gradebooth/v1/_fleet/responses/${randomUUID()}`;
    const answers = new Map<string, CommandResponse>();
    fleet.on('message', (topic, payload, packet) => {
      if (topic === responseTopic) answers.set(String(packet.properties?.correlationData), parsePayload<CommandResponse>(commandResponseSchema.$id, payload));
    });
    await fleet.subscribeAsync(responseTopic, { qos: 1 });
    const ask = (name: string, body: unknown, corr: string) =>
      fleet.publishAsync(`gradebooth/v1/booth-a/commands/${name}`, JSON.stringify(body), { qos: 1, properties: { responseTopic, correlationData: Buffer.from(corr) } });
    await ask('status', {}, 'r1');
    await ask('calibration-reminder', { params: { message: 'flat field due' } }, 'r2');
    await ask('self-destruct', {}, 'r3');
    await ask('status', { unexpected: 1 }, 'r4');
    await waitFor(() => answers.size === 4, 'four answers');
    t.same(answers.get('r1'), { ok: true, command: 'status', result: { boothId: 'booth-a', ok: true } });
    t.same(answers.get('r2'), { ok: true, command: 'calibration-reminder', result: { shown: true } });
    t.equal(reminded, 'flat field due');
    t.match(answers.get('r3'), { ok: false, error: { code: 'GB_NOT_FOUND', message: /unknown fleet command "self-destruct"/ } });
    t.match(answers.get('r4'), { ok: false, error: { code: 'GB_VALIDATION' } });
  });

  t.test('client-certificate listener: the certificate CN is the booth', async (t) => {
    const dir = tempDir(t, 'gb-fleet-');
    const indexPath = join(dir, 'fleet.sqlite');
    const collector = await startCollector(t, broker, indexPath, 'c1');
    const booth = startBooth(t, broker, 'booth-b', {
      extra: { url: broker.certUrl, username: '', password_file: '', cert_file: broker.certFile('booth-b'), key_file: broker.keyFile('booth-b') },
    });
    await waitFor(() => booth.link.figures().state === 'connected', 'booth connected with its certificate');
    const sent = [booth.grade('CERT-1')];
    await waitFor(() => collector.figures.results.stored >= 1, 'result stored');
    t.same(countDelivery(indexPath, sent).lost, 0);
  });

  t.test('a wrong password never connects; the results wait in the outbox', async (t) => {
    const dir = tempDir(t, 'gb-fleet-');
    const db = openDatabase(join(dir, 'booth.sqlite'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'wrong'), 'not-the-password\n');
    const fleet = { ...fleetSettings(broker, 'booth-a'), password_file: join(dir, 'wrong') };
    const link = new FleetLink({ fleet, db, logger: silent, commands: new Map() });
    link.start();
    t.teardown(async () => {
      await link.stop();
      db.close();
    });
    const { enqueueResult } = await import('../../src/sync/results.ts');
    enqueueResult(db, sideResult('PW-1', randomUUID()));
    await waitFor(() => link.figures().lastError !== null, 'an authentication error');
    t.match(link.figures().lastError, /Not authorized|Bad User Name or Password/i);
    t.equal(link.figures().state === 'connected', false);
    t.equal(outboxFigures(db).rows, 1, 'the result is still queued');
  });
}
