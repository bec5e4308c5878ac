// GET /api/models: the booth's model rollout states as the operator sees them (the same document as the
// retained `models/state`). The offers and chunks are handed to the download as the fleet link would.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildTestApi } from './helpers.ts';
import { createError } from '../../src/core/errors.ts';
import { generateModelKeyPair, readModelKeys } from '../../src/core/model-signing.ts';
import { buildRelease, defaultRollout } from '../../src/fleet/publish-model.ts';
import { loadSurfaceDetector } from '../../src/grading/surface/load.ts';
import { ModelDownload } from '../../src/sync/model-download.ts';
import { ModelRollout } from '../../src/sync/model-rollout.ts';
import { ModelStore } from '../../src/sync/model-store.ts';
import { dentSensitive, writeSurfaceModel } from '../helpers/onnx-model.ts';

t.test('GET /api/models shows a verified model shadowing and a refused one with its code', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-api-models-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const trusted = generateModelKeyPair();
  const stranger = generateModelKeyPair();
  writeFileSync(join(dir, 'trusted.key'), trusted.privatePem);
  writeFileSync(join(dir, 'trusted.pub'), trusted.publicPem);
  writeFileSync(join(dir, 'stranger.key'), stranger.privatePem);
  let api: Awaited<ReturnType<typeof buildTestApi>> | undefined;
  const rolloutRef: { r?: ModelRollout } = {};
  api = await buildTestApi(dir, undefined, {}, { models: () => rolloutRef.r!.state() });
  t.teardown(() => api?.close());
  const store = new ModelStore(join(dir, 'models'));
  const logger = pino({ level: 'silent' });
  const download = new ModelDownload({ boothId: 'booth-api', prefix: 'gradebooth/v1', store, trustedKeys: readModelKeys([join(dir, 'trusted.pub')]), logger, downloadBytesPerS: 0 });
  const rollout = new ModelRollout({
    db: api.db,
    boothId: 'booth-api',
    download,
    store,
    logger,
    loadModel: (d) => loadSurfaceDetector(d),
    openShipped: () => Promise.reject(createError('GB_MODEL_MISSING', 'none')),
  });
  rolloutRef.r = rollout;
  await rollout.start();
  t.teardown(() => rollout.stop());
  const [offerSub, chunkSub] = download.subscriptions();

  const good = await buildRelease({ dir: writeSurfaceModel(dir, '1.0.0', { ...dentSensitive, salt: 1 }).dir, keyFile: join(dir, 'trusted.key'), rollout: { ...defaultRollout, shadowScans: 3 }, chunkBytes: 1024 });
  offerSub.onMessage(download.offerTopic, Buffer.from(JSON.stringify(good.offer)), {} as never);
  good.chunks.forEach((c, i) => chunkSub.onMessage(download.chunkTopic(good.release.model.sha256, i), c, {} as never));
  const bad = await buildRelease({ dir: writeSurfaceModel(dir, '2.0.0', { ...dentSensitive, salt: 2 }).dir, keyFile: join(dir, 'stranger.key'), rollout: defaultRollout, chunkBytes: 1024 });
  await download.settled();
  offerSub.onMessage(download.offerTopic, Buffer.from(JSON.stringify(bad.offer)), {} as never);
  await download.settled();

  t.equal((await api.app.inject({ method: 'GET', url: '/api/models' })).statusCode, 401, 'needs a token');
  const res = await api.app.inject({ method: 'GET', url: '/api/models', headers: { authorization: `Bearer ${api.operator}` } });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.schema, 'gradebooth.models.state.v1');
  t.equal(body.active, null, 'nothing active yet');
  t.match(body.models, [
    { sha256: bad.release.model.sha256, version: '2.0.0', state: 'refused', reason: { code: 'GB_MODEL_SIGNATURE' } },
    { sha256: good.release.model.sha256, version: '1.0.0', state: 'shadow', reason: null, transfer: { chunks: good.chunks.length, have: good.chunks.length }, shadow: { scans: 0, needed: 3 } },
  ]);
});
