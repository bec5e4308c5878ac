// Model rollout against a real mosquitto (TLS, password file, ACL): releases signed with ed25519 by the fleet
// (`fleet publish-model`'s code), verified by booths against fleet.model_keys, downloaded as retained chunks,
// installed, shadowed beside the active model, activated by the canary rule or the fleet's command, and rolled
// back on load failures, run-time errors and regressions. The models are real ONNX networks
// (test/helpers/onnx-model.ts) run by onnxruntime through the booth's own detector.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectAsync, type MqttClient } from 'mqtt';
import { startBroker, mosquittoAvailable, type Broker } from '../helpers/mosquitto.ts';
import { fleetSettings, silent, tempDir, waitFor } from '../helpers/fleet.ts';
import { sideWithDents, startModelBooth, type ModelBooth } from '../helpers/model-booth.ts';
import { dentSensitive, scratchEverywhere, writeSurfaceModel, type TestModelOptions } from '../helpers/onnx-model.ts';
import { generateModelKeyPair, signBody, readPrivateKey } from '../../src/core/model-signing.ts';
import { buildRelease, defaultRollout, publishRelease, type RolloutOptions, type BuiltRelease } from '../../src/fleet/publish-model.ts';
import { requestBoothCommand } from '../../src/fleet/booth-command.ts';
import { collectorFromSettings } from '../../src/fleet/collector.ts';
import { openFleetIndex } from '../../src/fleet/index-db.ts';
import { mqttConnectOptions } from '../../src/sync/connect-options.ts';
import type { ModelsStatePayload, ModelStateName } from '../../src/sync/payloads.ts';

const prefix = 'gradebooth/v1';
const modelBoothScript = fileURLToPath(new URL('./fixtures/model-booth.ts', import.meta.url));

function keyFiles(t: Test, name: string): { key: string; pub: string } {
  const dir = tempDir(t, `gb-key-${name}-`);
  const k = generateModelKeyPair();
  writeFileSync(join(dir, `${name}.key`), k.privatePem, { mode: 0o600 });
  writeFileSync(join(dir, `${name}.pub`), k.publicPem);
  return { key: join(dir, `${name}.key`), pub: join(dir, `${name}.pub`) };
}

async function fleetClient(t: Test, broker: Broker): Promise<MqttClient> {
  const fleet = fleetSettings(broker, 'fleet');
  const client = await connectAsync(fleet.url, mqttConnectOptions(fleet, { clientId: `fleet-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}` }));
  t.teardown(async () => {
    // The next test starts from no offer: clear the retained one.
    await client.publishAsync(`${prefix}/_all/models/offer`, '', { qos: 1, retain: true }).catch(() => undefined);
    await client.endAsync(true);
  });
  return client;
}

let modelSeq = 0;
/** A model folder (real ONNX) and its signed release for `booths`. */
async function release(t: Test, key: string, weights: TestModelOptions, rollout: Partial<RolloutOptions>, chunkBytes = 1024): Promise<BuiltRelease> {
  modelSeq += 1;
  const dir = tempDir(t, 'gb-model-');
  const m = writeSurfaceModel(dir, `0.${modelSeq}.0`, { salt: 100 + modelSeq, ...weights });
  return buildRelease({ dir: m.dir, keyFile: key, rollout: { ...defaultRollout, minAgreement: 1, toleranceMm: 1, maxSurfaceDelta: 0, ...rollout }, chunkBytes });
}

const stateOf = (b: ModelBooth, sha: string): ModelStateName | undefined => b.rollout.records.get(sha)?.state;
const waitState = (b: ModelBooth, sha: string, state: ModelStateName): Promise<void> => waitFor(() => stateOf(b, sha) === state, `${b.id}: ${sha.slice(0, 8)} ${state} (is ${stateOf(b, sha)})`);

/** Retained `models/state` of every booth, as the fleet sees them. */
async function watchStates(t: Test, client: MqttClient): Promise<Map<string, ModelsStatePayload>> {
  const states = new Map<string, ModelsStatePayload>();
  client.on('message', (topic, payload) => {
    const m = /^gradebooth\/v1\/([^/]+)\/models\/state$/.exec(topic);
    if (m && payload.length > 0) states.set(m[1], JSON.parse(payload.toString('utf8')) as ModelsStatePayload);
  });
  await client.subscribeAsync(`${prefix}/+/models/state`, { qos: 1 });
  return states;
}

const dents = sideWithDents([[-5, 5], [6, -8]]);

if (!mosquittoAvailable) {
  t.comment('skipped: mosquitto is not installed (apt-get install mosquitto, see scripts/apt-packages.txt)');
} else {
  let broker: Broker;
  t.before(async () => {
    broker = await startBroker({ users: { b1: 'pw-b1', b2: 'pw-b2', b3: 'pw-b3', b4: 'pw-b4', b5: 'pw-b5', b6: 'pw-b6', fleet: 'pw-fleet' } });
  });
  t.teardown(() => broker.close());

  t.test('two booths, one canary: both shadow; the canary activates on the rule, the other on the fleet command; probation; restart keeps the choice', async (t) => {
    const k = keyFiles(t, 'fleet');
    const fleet = await fleetClient(t, broker);
    const states = await watchStates(t, fleet);
    const dir = tempDir(t, 'gb-rollout-index-');
    const index = openFleetIndex(join(dir, 'index.sqlite'));
    const collector = collectorFromSettings(fleetSettings(broker, 'fleet'), { group: 'c', name: 'c1', index, logger: silent, sessionExpiryS: 0 });
    await collector.start();
    t.teardown(async () => {
      await collector.stop();
      index.close();
    });
    const b1 = await startModelBooth(t, broker, 'b1', { keys: [k.pub] });
    const b2dir = tempDir(t, 'gb-models-b2-');
    let b2 = await startModelBooth(t, broker, 'b2', { keys: [k.pub], dir: b2dir });

    // A first model, activated everywhere at once (nothing to shadow against).
    const a = await release(t, k.key, dentSensitive, { booths: ['b1', 'b2'], canary: ['b1', 'b2'], shadowScans: 0, probationScans: 0 });
    await publishRelease(fleet, prefix, a);
    const A = a.release.model.sha256;
    await waitState(b1, A, 'active');
    await waitState(b2, A, 'active');

    // The candidate: same network, other bytes; b1 is the canary.
    const b = await release(t, k.key, dentSensitive, { booths: ['b1', 'b2'], canary: ['b1'], shadowScans: 2, probationScans: 2 });
    await publishRelease(fleet, prefix, b);
    const B = b.release.model.sha256;
    await waitState(b1, B, 'shadow');
    await waitState(b2, B, 'shadow');
    for (const booth of [b1, b2]) {
      t.equal(booth.rollout.records.get(B)?.chunksHave, b.chunks.length, `${booth.id}: every chunk stored`);
      t.equal(booth.download.figures.chunksStored, a.chunks.length + b.chunks.length, `${booth.id}: lost 0, duplicated 0 (each chunk stored once)`);
    }

    for (const [i, booth] of [b1, b2].entries()) {
      for (let s = 0; s < 2; s++) {
        const r = await booth.scan(dents, `scan-${booth.id}-shadow-${s}`);
        t.same('model' in r ? r.model : r, A, `${booth.id} shadow scan ${s}: graded by the active model A`);
        if ('defects' in r) t.equal(r.defects.length, 2, 'two dents found');
      }
      t.equal(stateOf(booth, B), i === 0 ? 'active' : 'passed', `${booth.id}: ${i === 0 ? 'the canary activated B' : 'B passed, waits for the fleet'}`);
      const entry = booth.rollout.state().models.find((m) => m.sha256 === B);
      t.match(entry?.shadow, { scans: 2, needed: 2, agreed: 2, agreement: 1, meanSurfaceDelta: 0, errors: 0 }, `${booth.id}: shadow figures`);
    }
    t.equal(b2.rollout.records.active()?.sha256, A, 'b2 still grades with A');
    const answer = await requestBoothCommand(fleet, { prefix, boothId: 'b2', command: 'model-activate', params: { sha256: B } });
    t.equal(answer.ok, true, 'b2 accepts the activation');
    t.equal(stateOf(b2, B), 'active', 'b2 activated B on the command');
    t.equal(stateOf(b2, A), 'retired', 'A retired on b2');

    // Probation: A runs beside B; they agree, B stays.
    for (const booth of [b1, b2]) {
      for (let s = 0; s < 2; s++) t.same(await booth.scan(dents, `scan-${booth.id}-prob-${s}`).then((r) => ('model' in r ? r.model : r)), B, `${booth.id}: graded by B`);
      t.match(booth.rollout.state().models.find((m) => m.sha256 === B), { state: 'active', probation: { scans: 2, needed: 2 } }, `${booth.id}: probation passed`);
    }

    // The fleet sees each booth's state (retained) and stored it once per message.
    await waitFor(() => states.get('b1')?.active?.sha256 === B && states.get('b2')?.active?.sha256 === B, 'models/state of both booths shows B active');
    await waitFor(() => {
      const rows = index.prepare('SELECT id, models_json FROM booths WHERE models_json IS NOT NULL').all() as Array<{ id: string; models_json: string }>;
      return rows.length === 2 && rows.every((r) => (JSON.parse(r.models_json) as ModelsStatePayload).active?.sha256 === B);
    }, 'the collector stored both booths\' states');
    t.equal(collector.figures.duplicates, 0, 'collector: 0 duplicated');
    t.equal(collector.figures.invalid, 0, 'collector: 0 invalid');

    // The active choice survives a restart.
    await b2.stop();
    b2 = await startModelBooth(t, broker, 'b2', { keys: [k.pub], dir: b2dir });
    t.equal(b2.rollout.records.active()?.sha256, B, 'after a restart b2 still has B active');
    t.same(await b2.scan(dents, 'scan-b2-after-restart').then((r) => ('model' in r ? r.model : r)), B, 'and grades with it');
    t.equal(b2.download.figures.chunksReceived, 0, 'nothing downloaded again after the restart');
  });

  t.test('unsigned, wrongly signed, altered and corrupt models are refused and reported, never loaded', async (t) => {
    const k = keyFiles(t, 'trusted');
    const other = keyFiles(t, 'other');
    const fleet = await fleetClient(t, broker);
    const states = await watchStates(t, fleet);
    const b3 = await startModelBooth(t, broker, 'b3', { keys: [k.pub] });
    const rollout = { booths: ['b3'], canary: ['b3'], shadowScans: 0, probationScans: 0 };

    const cases: Array<{ what: string; code: string; make: () => Promise<BuiltRelease> }> = [
      { what: 'unsigned', code: 'GB_MODEL_UNSIGNED', make: async () => { const r = await release(t, k.key, dentSensitive, rollout); return { ...r, offer: { ...r.offer, keyId: null, signature: null } }; } },
      { what: 'signed with a key the booth does not trust', code: 'GB_MODEL_SIGNATURE', make: () => release(t, other.key, dentSensitive, rollout) },
      {
        what: 'altered after signing (canary list widened)',
        code: 'GB_MODEL_SIGNATURE',
        make: async () => {
          const r = await release(t, k.key, dentSensitive, { ...rollout, canary: [] });
          return { ...r, offer: { ...r.offer, release: r.offer.release.replace('"canary":[]', '"canary":["b3"]') } };
        },
      },
      {
        what: 'a chunk that is not the signed one',
        code: 'GB_MODEL_CORRUPT',
        make: async () => {
          const r = await release(t, k.key, dentSensitive, rollout, 1024);
          const bad = Buffer.from(r.chunks[0]);
          bad[10] ^= 0xff;
          return { ...r, chunks: [bad, ...r.chunks.slice(1)] };
        },
      },
      {
        what: 'chunks that match their list, joined into another file than the signed sha256',
        code: 'GB_MODEL_CORRUPT',
        make: async () => {
          const real = await release(t, k.key, dentSensitive, rollout, 1024);
          const impostor = await release(t, k.key, scratchEverywhere, rollout, 1024);
          // The fleet signed the impostor's chunk list under the real model's name, sha256 and manifest.
          const body = { ...impostor.release, model: real.release.model, manifest: real.release.manifest };
          const text = JSON.stringify(body);
          const signer = readPrivateKey(k.key);
          return { release: body, text, chunks: impostor.chunks, offer: { schema: 'gradebooth.model.offer.v1', release: text, keyId: signer.keyId, signature: signBody(text, signer.key) } };
        },
      },
    ];
    for (const c of cases) {
      const r = await c.make();
      const sha = r.release.model.sha256;
      t.equal(r.release.model.sizeBytes, r.chunks.reduce((n, x) => n + x.length, 0), `${c.what}: same size`);
      await publishRelease(fleet, prefix, r);
      await waitState(b3, sha, 'refused');
      const entry = b3.rollout.state().models.find((m) => m.sha256 === sha);
      t.equal(entry?.reason?.code, c.code, `${c.what}: refused with ${c.code}`);
      t.notOk(existsSync(join(b3.dir, 'models', sha)), `${c.what}: nothing installed`);
      t.notOk(existsSync(join(b3.dir, 'models', 'partial', sha)), `${c.what}: no chunks kept`);
      t.equal(b3.rollout.records.active(), undefined, `${c.what}: never active`);
      await waitFor(() => states.get('b3')?.models.some((m) => m.sha256 === sha && m.state === 'refused' && m.reason?.code === c.code) === true, `${c.what}: reported on models/state`);
    }
    const r = await b3.scan(dents, 'scan-b3');
    t.same(r, { model: null, defects: [] }, 'the booth grades with no rolled-out model: none of them was loaded');
  });

  t.test('rolled back automatically: a load failure, a run-time error, a regression; a shadow that errors never activates', async (t) => {
    const k = keyFiles(t, 'fleet');
    const fleet = await fleetClient(t, broker);
    const b4 = await startModelBooth(t, broker, 'b4', { keys: [k.pub] });
    const only = { booths: ['b4'], canary: ['b4'] };
    const a = await release(t, k.key, dentSensitive, { ...only, shadowScans: 0, probationScans: 0 });
    await publishRelease(fleet, prefix, a);
    const A = a.release.model.sha256;
    await waitState(b4, A, 'active');
    const gradedBy = async (scanId: string): Promise<string | null> => b4.scan(dents, scanId).then((r) => ('model' in r ? r.model : r.error));

    // A model that loads but cannot run on the booth's tiles: in shadow it fails and is never activated.
    const f1 = await release(t, k.key, { fixedInputPx: 64 }, { ...only, shadowScans: 2, probationScans: 0 });
    await publishRelease(fleet, prefix, f1);
    await waitState(b4, f1.release.model.sha256, 'shadow');
    t.equal(await gradedBy('s1'), A, 'graded by A while F1 shadows');
    t.equal(stateOf(b4, f1.release.model.sha256), 'failed', 'F1 failed at run time in shadow');
    t.equal(b4.rollout.records.get(f1.release.model.sha256)?.reasonCode, 'GB_MODEL_FAILED');
    t.equal(b4.rollout.records.active()?.sha256, A, 'A stays active');

    // The same fault in an activated model: the scan fails (no grade from it), the booth rolls back to A.
    const f2 = await release(t, k.key, { fixedInputPx: 64 }, { ...only, shadowScans: 0, probationScans: 0 });
    await publishRelease(fleet, prefix, f2);
    await waitState(b4, f2.release.model.sha256, 'active');
    t.equal(await gradedBy('s2'), 'GB_MODEL_FAILED', 'the scan graded by F2 fails');
    t.equal(stateOf(b4, f2.release.model.sha256), 'rolled-back', 'F2 rolled back');
    t.equal(await gradedBy('s3'), A, 'the next scan is graded by A again');

    // Health regression in probation: a model that sees a scratch over every card disagrees with A.
    const r = await release(t, k.key, scratchEverywhere, { ...only, shadowScans: 0, probationScans: 3, minAgreement: 0.9 });
    await publishRelease(fleet, prefix, r);
    await waitState(b4, r.release.model.sha256, 'active');
    t.equal(await gradedBy('s4'), r.release.model.sha256, 'R grades its first probation scan');
    t.equal(stateOf(b4, r.release.model.sha256), 'rolled-back', 'R rolled back on its regression');
    t.equal(b4.rollout.records.get(r.release.model.sha256)?.reasonCode, 'GB_MODEL_REGRESSED');
    t.equal(await gradedBy('s5'), A, 'A grades again');

    // A model whose installed file no longer loads (damaged on disk): rolled back when the next scan opens it.
    const c = await release(t, k.key, dentSensitive, { ...only, shadowScans: 0, probationScans: 0 });
    await publishRelease(fleet, prefix, c);
    const C = c.release.model.sha256;
    await waitState(b4, C, 'active');
    writeFileSync(join(b4.dir, 'models', C, 'model.onnx'), 'damaged');
    t.equal(await gradedBy('s6'), A, 'the scan is graded by A');
    t.equal(stateOf(b4, C), 'rolled-back', 'C rolled back');
    t.equal(b4.rollout.records.get(C)?.reasonCode, 'GB_MODEL_INVALID', 'because it no longer matches its manifest');

    // Bad input is not the model's fault: a side without its photometric-stereo confidence fails, A stays.
    const noConfidence = { ...dents, confidence: undefined };
    t.same(await b4.scan(noConfidence, 's7'), { error: 'GB_VALIDATION' }, 'maps the detector cannot take fail the scan');
    t.equal(b4.rollout.records.active()?.sha256, A, 'and roll nothing back');
  });

  t.test('a booth killed mid-download resumes from its chunks; 0 lost, 0 duplicated', async (t) => {
    const k = keyFiles(t, 'fleet');
    const fleet = await fleetClient(t, broker);
    const dir = tempDir(t, 'gb-models-b5-');
    // 320 KiB in 8 KiB chunks at 48 KiB/s: about 7 s, so the kill lands mid-way.
    const p = await release(t, k.key, { ...dentSensitive, padBytes: 320 * 1024 }, { booths: ['b5'], canary: [], shadowScans: 1, probationScans: 0 }, 8192);
    const P = p.release.model.sha256;
    const total = p.chunks.length;
    const child = spawn(process.execPath, ['--import', 'tsx', modelBoothScript, dir, JSON.stringify(fleetSettings(broker, 'b5', { model_keys: [k.pub], model_download_bytes_per_s: 48 * 1024 }))], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    t.teardown(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the booth process exited (${code}) before it started`)));
    });
    await publishRelease(fleet, prefix, p);
    const partial = join(dir, 'models', 'partial', P);
    const held = (): number => (existsSync(partial) ? readdirSync(partial).filter((n) => /^\d+$/.test(n)).length : 0);
    await waitFor(() => held() >= total / 4, 'a quarter of the chunks on disk');
    child.kill('SIGKILL');
    await exited;
    const atKill = held();
    t.ok(atKill > 0 && atKill < total, `killed with ${atKill} of ${total} chunks on disk`);

    const b5 = await startModelBooth(t, broker, 'b5', { keys: [k.pub], dir });
    await waitState(b5, P, 'shadow');
    const rec = b5.rollout.records.get(P);
    t.ok((rec?.resumedChunks ?? 0) >= atKill, `resumed from ${rec?.resumedChunks} chunks`);
    t.equal(b5.download.figures.chunksStored + (rec?.resumedChunks ?? 0), total, 'lost 0: every chunk stored, once, across both runs');
    t.equal(rec?.chunksHave, total);
    t.ok(existsSync(join(dir, 'models', P, 'model.onnx')), 'installed content-addressed');
    t.notOk(existsSync(partial), 'the partial chunks are gone');
  });

  t.test('a booth offline during the publish gets the model when it comes back', async (t) => {
    const k = keyFiles(t, 'fleet');
    const fleet = await fleetClient(t, broker);
    const dir = tempDir(t, 'gb-models-b6-');
    const first = await startModelBooth(t, broker, 'b6', { keys: [k.pub], dir });
    await waitFor(() => first.link.connected, 'b6 online');
    await first.stop();
    const o = await release(t, k.key, dentSensitive, { booths: ['b6'], canary: ['b6'], shadowScans: 1, probationScans: 0 });
    await publishRelease(fleet, prefix, o);
    const O = o.release.model.sha256;
    const b6 = await startModelBooth(t, broker, 'b6', { keys: [k.pub], dir });
    await waitState(b6, O, 'shadow');
    t.equal(b6.download.figures.chunksStored, o.chunks.length, 'every chunk fetched once: lost 0, duplicated 0');
    const r = await b6.scan(dents, 'b6-1');
    t.same(r, { model: null, defects: [] }, 'nothing active yet: the first scan is not graded by the candidate');
    t.equal(stateOf(b6, O), 'active', 'the canary rule passed on its shadow scan (no reference: no run-time errors) and activated it');
    t.same(await b6.scan(dents, 'b6-2').then((x) => ('model' in x ? x.model : x)), O, 'the next scan is graded by it');
  });
}
