// `gradebooth fleet collect`, the fleet side's entry point, as a process against a real mosquitto: two
// collector processes in one group share a booth's results (stored once each in one fleet index), SIGTERM
// stops them with their figures; a settings file without `fleet` and bad options are refused with GB_ codes.
import t from 'tap';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binPath, exited, runCli } from './run-cli.ts';
import { startBroker, mosquittoAvailable, type Broker } from '../helpers/mosquitto.ts';
import { countDelivery, startBooth, tempDir, waitFor } from '../helpers/fleet.ts';
import { outboxFigures } from '../../src/storage/outbox.ts';

if (!mosquittoAvailable) {
  t.comment('skipped: mosquitto is not installed (apt-get install mosquitto, see scripts/apt-packages.txt)');
} else {
  let broker: Broker;
  t.before(async () => {
    broker = await startBroker({ users: { 'booth-c': 'pw-c-1', fleet: 'pw-fleet-2' } });
  });
  t.teardown(() => broker.close());

  t.test('two `fleet collect` processes split the results; each stored once; SIGTERM prints the figures', async (t) => {
    const dir = tempDir(t, 'gb-fleet-cli-');
    const config = join(dir, 'fleet.json');
    writeFileSync(config, JSON.stringify({ fleet: { url: broker.url, ca_file: broker.caFile, username: 'fleet', password_file: broker.passwordFile('fleet') } }));
    const indexPath = join(dir, 'index', 'fleet.sqlite');
    const collect = (name: string) => {
      const child = spawn(process.execPath, [binPath, 'fleet', 'collect', '--config', config, '--index', indexPath, '--name', name, '--session-expiry-s', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      t.teardown(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      return { child, out: () => out, err: () => err };
    };
    const a = collect('a');
    const b = collect('b');
    // On a timeout, say what each collector printed (it failed in a loaded full suite once, passing alone).
    await waitFor(() => a.out().includes('"event":"started"') && b.out().includes('"event":"started"'), 'both collectors subscribed', 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; a: ${a.out()}${a.err()} (exit ${a.child.exitCode}); b: ${b.out()}${b.err()} (exit ${b.child.exitCode})`);
    });

    const booth = startBooth(t, broker, 'booth-c');
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) sent.push(booth.grade(`CLI-${i}`));
    await waitFor(() => outboxFigures(booth.db).rows === 0, 'the booth outbox drained', 60_000);
    await waitFor(() => countDelivery(indexPath, sent).lost === 0, 'every result in the index', 60_000);

    for (const c of [a, b]) c.child.kill('SIGTERM');
    t.same([await exited(a.child), await exited(b.child)], [0, 0], `exit 0 on SIGTERM (${a.err()}${b.err()})`);
    const last = (out: string): { figures: { results: { stored: number } } } => JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
    const storedA = last(a.out()).figures.results.stored;
    const storedB = last(b.out()).figures.results.stored;
    t.ok(storedA > 0 && storedB > 0, `both collectors stored results (a ${storedA}, b ${storedB})`);
    t.equal(storedA + storedB, 20, 'each result stored by one collector');
    const d = countDelivery(indexPath, sent);
    t.same({ lost: d.lost, duplicated: d.duplicated, stored: d.stored }, { lost: 0, duplicated: 0, stored: 20 });
  });

  t.test('refusals: no fleet section, missing options, a bad group name, an unreachable broker', async (t) => {
    const dir = tempDir(t, 'gb-fleet-cli-');
    const noFleet = join(dir, 'booth.json');
    writeFileSync(noFleet, JSON.stringify({ booth: { id: 'x' } }));
    const r1 = await runCli(['fleet', 'collect', '--config', noFleet, '--index', join(dir, 'i.sqlite')]);
    t.not(r1.code, 0);
    t.match(r1.stderr, /GB_CONFIG_INVALID: .*no `fleet` section/);
    const r2 = await runCli(['fleet', 'collect', '--config', noFleet]);
    t.match(r2.stderr, /GB_USAGE: --index FILE/);
    const r3 = await runCli(['fleet', 'collect', '--config', noFleet, '--index', join(dir, 'i.sqlite'), '--group', 'a/b']);
    t.match(r3.stderr, /GB_USAGE: .*--group must be/);
    const closed = join(dir, 'closed.json');
    // A port nothing listens on (the broker's, with the broker stopped for this test).
    await broker.stop();
    t.teardown(() => broker.start());
    writeFileSync(closed, JSON.stringify({ fleet: { url: broker.url, ca_file: broker.caFile, username: 'fleet', password_file: broker.passwordFile('fleet'), connect_timeout_ms: 2000 } }));
    const r4 = await runCli(['fleet', 'collect', '--config', closed, '--index', join(dir, 'i.sqlite')]);
    t.not(r4.code, 0);
    t.match(r4.stderr, /GB_FLEET_UNREACHABLE: collector could not subscribe at mqtts:\/\/127\.0\.0\.1/);
  });
}
