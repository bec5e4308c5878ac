// Getting a model onto the booth (ModelDownload) on its own: offers verified before anything in them is believed,
// chunks requested a window at a time and each stored once, the joined file installed — and what it tells the
// model's lifecycle at each step (the DownloadListener interface ModelRollout implements). The offers and chunks
// are handed over as the fleet link would deliver them; the MQTT side runs against a real mosquitto in
// model-rollout.test.ts.
import t from 'tap';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { generateModelKeyPair, readModelKeys } from '../../src/core/model-signing.ts';
import { buildRelease, defaultRollout, type BuiltRelease } from '../../src/fleet/publish-model.ts';
import { ModelDownload, type DownloadListener, type ModelLink } from '../../src/sync/model-download.ts';
import { ModelStore } from '../../src/sync/model-store.ts';
import type { ModelRelease } from '../../src/sync/payloads.ts';
import { dentSensitive, writeSurfaceModel } from '../helpers/onnx-model.ts';

type Heard = Array<[string, ...unknown[]]>;

/** A download on `dir`/models whose listener records what it hears and takes every offer up, as ModelRollout does. */
function setUp(dir: string, o: { keys: string[]; boothId?: string; chunkWindow?: number }): { download: ModelDownload; heard: Heard; link: ModelLink & { subscribed: Set<string>; maxOutstanding: number }; start: () => Promise<void> } {
  const heard: Heard = [];
  const download = new ModelDownload({ boothId: o.boothId ?? 'b1', prefix: 'gradebooth/v1', store: new ModelStore(join(dir, 'models')), trustedKeys: readModelKeys(o.keys), logger: pino({ level: 'silent' }), downloadBytesPerS: 0, chunkWindow: o.chunkWindow ?? 2 });
  const listener: DownloadListener = {
    offered: async (offer) => {
      heard.push(['offered', offer.release.model.sha256]);
      await download.fetch(offer.release, offer.text);
    },
    refused: (sha, claimed, err) => heard.push(['refused', sha, (err as { code?: string }).code]),
    resumed: (sha, held) => heard.push(['resumed', sha, held]),
    stored: (sha, have) => heard.push(['stored', sha, have]),
    failed: (sha, err) => heard.push(['failed', sha, (err as { code?: string }).code]),
    installed: async (release: ModelRelease) => {
      heard.push(['installed', release.model.sha256]);
    },
  };
  // The link's side as the broker would see it: which chunk topics are subscribed right now.
  const link = {
    connected: true,
    subscribed: new Set<string>(),
    maxOutstanding: 0,
    async subscribe(topics: string[]): Promise<boolean> {
      for (const x of topics) link.subscribed.add(x);
      link.maxOutstanding = Math.max(link.maxOutstanding, link.subscribed.size);
      return true;
    },
    async unsubscribe(topics: string[]): Promise<void> {
      for (const x of topics) link.subscribed.delete(x);
    },
  };
  download.attach(link);
  return { download, heard, link, start: () => download.start(listener) };
}

function keys(dir: string): { key: string; pub: string; strangerKey: string } {
  const k = generateModelKeyPair();
  const s = generateModelKeyPair();
  writeFileSync(join(dir, 'fleet.key'), k.privatePem, { mode: 0o600 });
  writeFileSync(join(dir, 'fleet.pub'), k.publicPem);
  writeFileSync(join(dir, 'stranger.key'), s.privatePem, { mode: 0o600 });
  return { key: join(dir, 'fleet.key'), pub: join(dir, 'fleet.pub'), strangerKey: join(dir, 'stranger.key') };
}

async function built(dir: string, keyFile: string, salt: number, booths: string[] | null = null): Promise<BuiltRelease> {
  const m = writeSurfaceModel(join(dir, `m${salt}`), `1.${salt}.0`, { ...dentSensitive, salt, padBytes: 6 * 1024 });
  return buildRelease({ dir: m.dir, keyFile, rollout: { ...defaultRollout, booths }, chunkBytes: 1024 });
}

/** Deliver what the link is subscribed to, as retained messages arrive, until nothing is asked for. */
async function deliverRequested(download: ModelDownload, link: { subscribed: Set<string> }, r: BuiltRelease): Promise<void> {
  const [, chunkSub] = download.subscriptions();
  for (;;) {
    await download.settled();
    const topic = [...link.subscribed][0];
    if (topic === undefined) return;
    const i = Number(topic.slice(topic.lastIndexOf('/') + 1));
    chunkSub.onMessage(topic, r.chunks[i], {} as never);
  }
}

t.test('a verified offer: chunks asked for a window at a time, each stored once, installed, every step reported', async (t) => {
  const dir = t.testdir({});
  const k = keys(dir);
  const r = await built(dir, k.key, 1);
  const sha = r.release.model.sha256;
  const n = r.chunks.length;
  t.ok(n > 4, `${n} chunks`);
  const { download, heard, link, start } = setUp(dir, { keys: [k.pub] });
  await start();
  const [offerSub, chunkSub] = download.subscriptions();
  offerSub.onMessage(download.offerTopic, Buffer.from(JSON.stringify(r.offer)), {} as never);
  await download.settled();
  t.same([...link.subscribed], [download.chunkTopic(sha, 0), download.chunkTopic(sha, 1)], 'the first window of 2 chunks asked for');
  await deliverRequested(download, link, r);
  chunkSub.onMessage(download.chunkTopic(sha, 0), r.chunks[0], {} as never); // a retained chunk delivered again
  await download.settled();
  t.equal(link.maxOutstanding, 2, 'never more than the window outstanding');
  t.same(heard, [['offered', sha], ['resumed', sha, 0], ...r.chunks.map((_, i) => ['stored', sha, i + 1]), ['installed', sha]], 'offered, resumed from 0, each chunk stored once, installed');
  t.same(download.figures, { chunksReceived: n + 1, chunksStored: n, chunksDuplicate: 1 });
  t.ok(existsSync(join(dir, 'models', sha, 'manifest.json')), 'installed content-addressed');
  t.notOk(existsSync(join(dir, 'models', 'partial', sha)), 'no chunks left behind');
  await download.stop();
});

t.test('refused before anything is believed: malformed, wrongly signed; an offer for other booths is ignored', async (t) => {
  const dir = t.testdir({});
  const k = keys(dir);
  const { download, heard, link, start } = setUp(dir, { keys: [k.pub] });
  await start();
  const [offerSub] = download.subscriptions();
  const stranger = await built(dir, k.strangerKey, 2);
  const elsewhere = await built(dir, k.key, 3, ['b2']);
  offerSub.onMessage(download.offerTopic, Buffer.from('{"schema":"gradebooth.model.offer.v1"}'), {} as never);
  offerSub.onMessage(download.offerTopic, Buffer.from(JSON.stringify(stranger.offer)), {} as never);
  offerSub.onMessage(download.offerTopic, Buffer.from(JSON.stringify(elsewhere.offer)), {} as never);
  offerSub.onMessage(download.offerTopic, Buffer.alloc(0), {} as never); // a cleared retained offer
  await download.settled();
  t.equal(heard.length, 2, 'two refusals, nothing else');
  t.match(heard[0], ['refused', /^[0-9a-f]{64}$/, 'GB_VALIDATION']);
  t.same(heard[1], ['refused', stranger.release.model.sha256, 'GB_MODEL_SIGNATURE'], 'refused under the sha256 it claims');
  t.equal(link.subscribed.size, 0, 'no chunk asked for');
  t.notOk(existsSync(join(dir, 'models', 'partial')), 'nothing downloaded');
  await download.stop();
});

t.test('a chunk that is not the signed one fails the download and drops its chunks; a restart resumes from the chunks on disk', async (t) => {
  const dir = t.testdir({});
  const k = keys(dir);
  const r = await built(dir, k.key, 4);
  const sha = r.release.model.sha256;
  const first = setUp(dir, { keys: [k.pub] });
  await first.start();
  const [offerSub, chunkSub] = first.download.subscriptions();
  offerSub.onMessage(first.download.offerTopic, Buffer.from(JSON.stringify(r.offer)), {} as never);
  chunkSub.onMessage(first.download.chunkTopic(sha, 0), r.chunks[0], {} as never);
  const bad = Buffer.from(r.chunks[1]);
  bad[3] ^= 0xff;
  chunkSub.onMessage(first.download.chunkTopic(sha, 1), bad, {} as never);
  await first.download.settled();
  t.same(first.heard.slice(-1), [['failed', sha, 'GB_MODEL_CORRUPT']]);
  t.notOk(existsSync(join(dir, 'models', 'partial', sha)), 'its chunks are gone');
  t.equal(first.link.subscribed.size, 0, 'nothing left subscribed');
  await first.download.stop();

  // Two chunks stored, then the booth stops (as a kill would leave them): the next one starts from them.
  const second = setUp(dir, { keys: [k.pub] });
  await second.start();
  const [offer2, chunk2] = second.download.subscriptions();
  offer2.onMessage(second.download.offerTopic, Buffer.from(JSON.stringify(r.offer)), {} as never);
  chunk2.onMessage(second.download.chunkTopic(sha, 0), r.chunks[0], {} as never);
  chunk2.onMessage(second.download.chunkTopic(sha, 1), r.chunks[1], {} as never);
  await second.download.settled();
  await second.download.stop();
  t.same(readdirSync(join(dir, 'models', 'partial', sha)).sort(), ['0', '1']);
  const third = setUp(dir, { keys: [k.pub] });
  await third.start();
  await third.download.fetch(r.release, r.offer.release);
  t.same(third.heard, [['resumed', sha, 2]], 'resumed from 2 chunks');
  t.notOk(third.link.subscribed.has(third.download.chunkTopic(sha, 0)), 'a held chunk is not asked for again');
  await deliverRequested(third.download, third.link, r);
  t.same(third.heard.slice(-1), [['installed', sha]]);
  t.equal(third.download.figures.chunksStored, r.chunks.length - 2, 'only the missing chunks fetched');
  await third.download.stop();
});
