import t from 'tap';
import { readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FileStore, sha256Hex } from '../../src/storage/file-store.ts';

t.test('put stores by sha256, get verifies, same bytes twice is one file', async (t) => {
  const root = t.testdir({});
  const store = new FileStore(root);
  await store.init();
  const bytes = Buffer.from('a frame, say');
  const put = await store.put(bytes);
  t.equal(put.sha256, sha256Hex(bytes));
  t.equal(put.path, join(root, put.sha256.slice(0, 2), put.sha256.slice(2)));
  t.same(await store.get(put.sha256), bytes);
  const again = await store.put(bytes);
  t.equal(again.path, put.path);
  t.same(readdirSync(join(root, 'tmp')), [], 'no temporary files left');
});

t.test('a damaged file is reported, not returned', async (t) => {
  const store = new FileStore(t.testdir({}));
  await store.init();
  const { sha256, path } = await store.put(Buffer.from('original'));
  writeFileSync(path, 'tampered');
  await t.rejects(store.get(sha256), { code: 'GB_STORE_CORRUPT', message: /hashes to/ });
  await t.rejects(store.get('0'.repeat(64)), { code: 'GB_STORE_MISSING' });
  t.throws(() => store.pathOf('../../etc/passwd'), { code: 'GB_BAD_REQUEST' });
});

t.test('init removes temporary files a crash left behind', async (t) => {
  const root = t.testdir({ tmp: { 'abc.123': 'half-written' } });
  const store = new FileStore(root);
  await store.init();
  t.notOk(existsSync(join(root, 'tmp', 'abc.123')));
  const space = await store.diskSpace();
  t.ok(space.freeBytes > 0 && space.totalBytes >= space.freeBytes);
});
