// Two collectors sharing the load through one shared subscription ($share/collectors/…), and a booth whose
// fleet link is killed with SIGKILL while it is sending: the restarted booth resends what was not
// acknowledged, under the same message ids, and the collectors store each result once.
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, mosquittoAvailable, type Broker } from '../helpers/mosquitto.ts';
import { countDelivery, fleetSettings, sideResult, startCollector, tempDir, waitFor } from '../helpers/fleet.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { outboxFigures } from '../../src/storage/outbox.ts';
import { enqueueResult } from '../../src/sync/results.ts';
import { openFleetIndex } from '../../src/fleet/index-db.ts';

const sender = fileURLToPath(new URL('./fixtures/booth-sender.ts', import.meta.url));

/** The booth's fleet link in its own process; resolves with it and a count of the PUBACKs it reported. */
function startSender(t: Test, dbPath: string, fleetJson: string): { child: ChildProcess; acknowledged: () => number; exited: Promise<unknown> } {
  const child = spawn(process.execPath, ['--import', 'tsx', sender, dbPath, fleetJson], { stdio: ['ignore', 'pipe', 'inherit'] });
  let acknowledged = 0;
  child.stdout?.on('data', (d: Buffer) => {
    for (const m of d.toString().matchAll(/acknowledged (\d+)/g)) acknowledged = Number(m[1]);
  });
  const exited = new Promise((r) => child.once('exit', r));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, acknowledged: () => acknowledged, exited };
}

if (!mosquittoAvailable) {
  t.comment('skipped: mosquitto is not installed (apt-get install mosquitto, see scripts/apt-packages.txt)');
} else {
  let broker: Broker;
  t.before(async () => {
    broker = await startBroker({ users: { 'booth-k': 'pw-k-1', fleet: 'pw-fleet-2' } });
  });
  t.teardown(() => broker.close());

  t.test('two collectors split the results; a booth killed mid-send resends; 0 lost, 0 duplicated', async (t) => {
    const dir = tempDir(t, 'gb-fleet-kill-');
    const indexPath = join(dir, 'fleet.sqlite');
    openFleetIndex(indexPath).close();
    const c1 = await startCollector(t, broker, indexPath, 'c1', 'collectors');
    const c2 = await startCollector(t, broker, indexPath, 'c2', 'collectors');

    // 40 results queued before the link starts, as after a day offline.
    const dbPath = join(dir, 'booth.sqlite');
    const db = openDatabase(dbPath);
    const sent: string[] = [];
    db.transaction(() => {
      for (let i = 0; i < 40; i++) sent.push(enqueueResult(db, sideResult(`KILL-${i}`, randomUUID())).messageId);
    })();
    db.close();
    // A 4 kB/s link: about 6 s to drain, so the kill lands while results are still going out.
    const fleetJson = JSON.stringify(fleetSettings(broker, 'booth-k', { bandwidth_bytes_per_s: 4096 }));

    const first = startSender(t, dbPath, fleetJson);
    await waitFor(() => first.acknowledged() >= 5, 'five results acknowledged');
    first.child.kill('SIGKILL');
    await first.exited;
    const check = openDatabase(dbPath);
    const left = outboxFigures(check).rows;
    check.close();
    t.ok(left > 0 && left < 40, `killed mid-send: ${40 - left} acknowledged, ${left} still queued`);

    const second = startSender(t, dbPath, fleetJson);
    await waitFor(() => countDelivery(indexPath, sent).lost === 0, 'every result stored', 120_000);
    const after = openDatabase(dbPath);
    await waitFor(() => outboxFigures(after).rows === 0, 'outbox drained');
    after.close();
    second.child.kill('SIGKILL');
    await second.exited;

    const d = countDelivery(indexPath, sent);
    t.same({ lost: d.lost, duplicated: d.duplicated, stored: d.stored }, { lost: 0, duplicated: 0, stored: 40 });
    t.ok(c1.figures.results.stored > 0 && c2.figures.results.stored > 0, `both collectors stored results (c1 ${c1.figures.results.stored}, c2 ${c2.figures.results.stored})`);
    t.equal(c1.figures.results.stored + c2.figures.results.stored, 40, 'each result stored by exactly one collector');
    const index = openFleetIndex(indexPath);
    const byCollector = index.prepare("SELECT collector, count(*) AS n FROM messages WHERE topic LIKE '%/results' GROUP BY collector ORDER BY collector").all();
    index.close();
    t.comment(`stored per collector: ${JSON.stringify(byCollector)}; deliveries recognised as duplicates: ${c1.figures.results.duplicates + c2.figures.results.duplicates}`);
  });
}
