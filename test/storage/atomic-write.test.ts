// The one atomic writer (src/storage/atomic-write.ts) behind the booth's file store, the model store and the fleet's
// export and training folders: a name holds the old content or the whole new one, never a part.
import t from 'tap';
import * as fsp from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeFolderAtomic } from '../../src/storage/atomic-write.ts';

const oldBytes = 'the old file, whole';
const newBytes = Buffer.alloc(256 * 1024, 7); // large enough that a torn write would show

t.test('writeFileAtomic replaces the file whole and leaves no temporary file', async (t) => {
  for (const durable of [true, false]) {
    const dir = t.testdir({ 'a.bin': oldBytes, tmp: {} });
    await writeFileAtomic(join(dir, 'a.bin'), newBytes, { durable, mode: 0o600 });
    t.same(readFileSync(join(dir, 'a.bin')), newBytes, `durable ${durable}: the new content`);
    t.equal(statSync(join(dir, 'a.bin')).mode & 0o777, 0o600, 'with the mode asked for');
    t.same(readdirSync(dir).sort(), ['a.bin', 'tmp'], 'no temporary file beside it');
    await writeFileAtomic(join(dir, 'b.bin'), 'via tmp/', { durable, tmpDir: join(dir, 'tmp') });
    t.equal(readFileSync(join(dir, 'b.bin'), 'utf8'), 'via tmp/');
    t.same(readdirSync(join(dir, 'tmp')), [], 'the temporary folder is empty again');
  }
});

t.test('a crash between the write and the rename: the old file intact, the new bytes only under a temporary name', async (t) => {
  const dir = t.testdir({ 'a.bin': oldBytes });
  const target = join(dir, 'a.bin');
  const seen: { final?: string; temps?: Array<{ name: string; bytes: number }> } = {};
  // The rename is where the process dies: record what is on disk at that moment, then fail as a crash would.
  const { writeFileAtomic: crashing } = await t.mockImport<typeof import('../../src/storage/atomic-write.ts')>('../../src/storage/atomic-write.ts', {
    'node:fs/promises': {
      ...fsp,
      rename: async () => {
        seen.final = readFileSync(target, 'utf8');
        seen.temps = readdirSync(dir).filter((n) => n !== 'a.bin').map((name) => ({ name, bytes: statSync(join(dir, name)).size }));
        throw Object.assign(new Error('EIO: the process died here'), { code: 'EIO' });
      },
    },
  });
  await t.rejects(crashing(target, newBytes, { durable: true }), { code: 'EIO' });
  t.equal(seen.final, oldBytes, 'at the crash the final name still holds the old file');
  t.equal(seen.temps?.length, 1, 'and the new bytes are in one temporary file');
  t.equal(seen.temps?.[0].bytes, newBytes.byteLength, 'written whole (and fsynced) before the rename');
  t.notOk(seen.temps?.[0].name.startsWith('a.bin'), `a temporary name no reader takes for the file (${seen.temps?.[0].name})`);
  t.equal(readFileSync(target, 'utf8'), oldBytes, 'after the failure the old file is intact');
  t.same(readdirSync(dir), ['a.bin'], 'and the temporary file is gone');
});

t.test('a write that cannot even start (no folder for the temporary file) leaves the old file and nothing else', async (t) => {
  const dir = t.testdir({ 'a.bin': oldBytes });
  await t.rejects(writeFileAtomic(join(dir, 'a.bin'), newBytes, { durable: true, tmpDir: join(dir, 'missing') }), { code: 'ENOENT' });
  t.equal(readFileSync(join(dir, 'a.bin'), 'utf8'), oldBytes);
  t.same(readdirSync(dir), ['a.bin']);
});

t.test('writeFolderAtomic: a folder by the name is always whole; a failed fill leaves the old one', async (t) => {
  const root = t.testdir({ model: { 'model.onnx': 'old model', 'manifest.json': '{"v":1}' } });
  const target = join(root, 'model');
  const tmp = join(root, 'model.staging-1');
  await t.rejects(
    writeFolderAtomic(target, tmp, async (dir) => {
      writeFileSync(join(dir, 'model.onnx'), 'half a new');
      throw new Error('the download broke off');
    }, { durable: true, replace: true }),
    { message: 'the download broke off' },
  );
  t.equal(readFileSync(join(target, 'model.onnx'), 'utf8'), 'old model', 'the old folder is intact');
  t.notOk(existsSync(tmp), 'the temporary folder is gone');

  await writeFolderAtomic(target, tmp, async (dir) => {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'model.onnx'), 'new model');
    writeFileSync(join(dir, 'sub', 'x'), 'nested');
  }, { durable: true, replace: true });
  t.same(readdirSync(target).sort(), ['model.onnx', 'sub'], 'replaced whole: nothing of the old folder stays');
  t.equal(readFileSync(join(target, 'sub', 'x'), 'utf8'), 'nested');
  t.same(readdirSync(root), ['model'], 'no temporary folder');

  // Without replace an existing folder stands (an export already made is never overwritten).
  await t.rejects(writeFolderAtomic(target, tmp, async (dir) => writeFileSync(join(dir, 'other'), 'x'), { durable: false, replace: false }));
  t.same(readdirSync(target).sort(), ['model.onnx', 'sub'], 'the existing folder is untouched');
  t.notOk(existsSync(tmp));
  // …and a new one is made under a parent that did not exist yet.
  await writeFolderAtomic(join(root, 'a', 'b', 'maps'), join(root, '.maps.partial'), async (dir) => writeFileSync(join(dir, 'f'), 'y'), { durable: false, replace: true });
  t.equal(readFileSync(join(root, 'a', 'b', 'maps', 'f'), 'utf8'), 'y');
});
