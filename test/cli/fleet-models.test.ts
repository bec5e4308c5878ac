// `gradebooth fleet keygen`, `fleet publish-model` and `fleet model-command` as processes against a real
// mosquitto and a booth's model rollout: the key pair is made, a model folder is signed and published, the booth
// verifies and shadows it, the fleet asks its state and activates it; bad input is refused with GB_ codes.
import t from 'tap';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './run-cli.ts';
import { startBroker, mosquittoAvailable, type Broker } from '../helpers/mosquitto.ts';
import { tempDir, waitFor } from '../helpers/fleet.ts';
import { startModelBooth } from '../helpers/model-booth.ts';
import { dentSensitive, writeSurfaceModel } from '../helpers/onnx-model.ts';

t.test('fleet keygen writes a private key (0600) and its public key, and refuses to overwrite them', async (t) => {
  const dir = tempDir(t, 'gb-keygen-');
  const r = await runCli(['fleet', 'keygen', '--out', join(dir, 'k'), '--json']);
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { keyId: string };
  t.match(out.keyId, /^[0-9a-f]{16}$/);
  t.equal(statSync(join(dir, 'k.key')).mode & 0o777, 0o600, 'private key is 0600');
  t.ok(existsSync(join(dir, 'k.pub')));
  const again = await runCli(['fleet', 'keygen', '--out', join(dir, 'k')]);
  t.equal(again.code, 2, 'refused');
  t.match(again.stderr, /GB_USAGE.*exists/);
});

if (!mosquittoAvailable) {
  t.comment('skipped: mosquitto is not installed (apt-get install mosquitto, see scripts/apt-packages.txt)');
} else {
  let broker: Broker;
  t.before(async () => {
    broker = await startBroker({ users: { 'booth-m': 'pw-m-1', fleet: 'pw-fleet-2' } });
  });
  t.teardown(() => broker.close());

  t.test('publish-model signs and publishes; the booth shadows it; model-command reads its state and activates it', async (t) => {
    const dir = tempDir(t, 'gb-fleet-models-cli-');
    const config = join(dir, 'fleet.json');
    writeFileSync(config, JSON.stringify({ fleet: { url: broker.url, ca_file: broker.caFile, username: 'fleet', password_file: broker.passwordFile('fleet') } }));
    t.equal((await runCli(['fleet', 'keygen', '--out', join(dir, 'fleet')])).code, 0);
    const booth = await startModelBooth(t, broker, 'booth-m', { keys: [join(dir, 'fleet.pub')] });
    const model = writeSurfaceModel(join(dir, 'models', 'surface-defects'), '3.1.0', { ...dentSensitive, salt: 7 });

    const pub = await runCli(['fleet', 'publish-model', '--config', config, '--dir', join(dir, 'models'), '--key', join(dir, 'fleet.key'), '--booths', 'booth-m', '--shadow-scans', '2', '--chunk-bytes', '1024', '--json']);
    t.equal(pub.code, 0, pub.stderr);
    const published = JSON.parse(pub.stdout) as { model: { sha256: string; version: string }; rollout: { canary: string[]; shadowScans: number } };
    t.match(published, { model: { sha256: model.sha256, version: '3.1.0' }, rollout: { canary: [], shadowScans: 2 } }, 'the newest version under the models root');
    await waitFor(() => booth.rollout.records.get(model.sha256)?.state === 'shadow', 'the booth verified, downloaded and loaded it');

    const state = await runCli(['fleet', 'model-command', 'state', '--config', config, '--booth', 'booth-m', '--timeout-ms', '20000']);
    t.equal(state.code, 0, state.stderr);
    t.match(JSON.parse(state.stdout), { booth: 'booth-m', ok: true, command: 'model-state', result: { models: [{ sha256: model.sha256, state: 'shadow' }] } });

    const early = await runCli(['fleet', 'model-command', 'activate', '--sha256', model.sha256, '--config', config, '--booth', 'booth-m']);
    t.equal(early.code, 1, 'not before its shadow run passed');
    t.match(JSON.parse(early.stdout), { ok: false, error: { code: 'GB_CONFLICT' } });
    const forced = await runCli(['fleet', 'model-command', 'activate', '--sha256', model.sha256, '--force', '--config', config, '--booth', 'booth-m']);
    t.equal(forced.code, 0, forced.stdout);
    t.equal(booth.rollout.records.active()?.sha256, model.sha256, 'active on the booth');

    const absent = await runCli(['fleet', 'model-command', 'state', '--config', config, '--booth', 'booth-gone', '--timeout-ms', '500']);
    t.equal(absent.code, 1);
    t.match(JSON.parse(absent.stdout), { booth: 'booth-gone', ok: false, error: { code: 'GB_FLEET_UNREACHABLE' } });
  });

  t.test('bad input: a folder that is not a model, a file changed after its manifest, a canary outside --booths, a file that is not a key', async (t) => {
    const dir = tempDir(t, 'gb-fleet-models-bad-');
    const config = join(dir, 'fleet.json');
    writeFileSync(config, JSON.stringify({ fleet: { url: broker.url, ca_file: broker.caFile, username: 'fleet', password_file: broker.passwordFile('fleet') } }));
    t.equal((await runCli(['fleet', 'keygen', '--out', join(dir, 'fleet')])).code, 0);
    const noModel = await runCli(['fleet', 'publish-model', '--config', config, '--dir', dir, '--key', join(dir, 'fleet.key')]);
    t.not(noModel.code, 0);
    t.match(noModel.stderr, /GB_MODEL_MISSING/);
    const m = writeSurfaceModel(join(dir, 'm'), '1.0.0', dentSensitive);
    writeFileSync(join(m.dir, 'model.onnx'), 'changed after the manifest was written');
    const changed = await runCli(['fleet', 'publish-model', '--config', config, '--dir', m.dir, '--key', join(dir, 'fleet.key')]);
    t.match(changed.stderr, /GB_MODEL_INVALID/, 'a folder whose file does not match its manifest is not signed');
    const canary = await runCli(['fleet', 'publish-model', '--config', config, '--dir', m.dir, '--key', join(dir, 'fleet.key'), '--booths', 'a', '--canary', 'b']);
    t.match(canary.stderr, /GB_USAGE.*--canary b is not among --booths/);
    writeFileSync(join(dir, 'not-a-key.pem'), 'hello');
    const badKey = await runCli(['fleet', 'publish-model', '--config', config, '--dir', m.dir, '--key', join(dir, 'not-a-key.pem')]);
    t.match(badKey.stderr, /GB_USAGE.*not a PEM private key/);
  });
}
