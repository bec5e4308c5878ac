import t from 'tap';
import { join } from 'node:path';
import { listChromeFolder, naturalCompare, parseDirections } from '../../src/calibration/chrome-folder.ts';

t.test('numbered files are taken in numeric order; the mask is found by name', async (t) => {
  const names = ['chrome.10.png', 'chrome.2.png', 'chrome.0.png', 'chrome.1.png', 'chrome.mask.png', 'notes.txt'];
  const dir = t.testdir(Object.fromEntries(names.map((n) => [n, ''])));
  const { maskPath, imagePaths } = await listChromeFolder(dir);
  t.equal(maskPath, join(dir, 'chrome.mask.png'));
  t.same(imagePaths.map((p) => p.slice(dir.length + 1)), ['chrome.0.png', 'chrome.1.png', 'chrome.2.png', 'chrome.10.png']);
  t.ok(naturalCompare('a9', 'a10') < 0);
});

t.test('filenames.txt decides the order when present', async (t) => {
  const dir = t.testdir({ 'b.png': '', 'a.png': '', 'sphere_mask.png': '', 'filenames.txt': 'b.png\na.png\n' });
  const { imagePaths } = await listChromeFolder(dir);
  t.same(imagePaths.map((p) => p.slice(dir.length + 1)), ['b.png', 'a.png']);
});

t.test('malformed folders are coded errors that say what is wrong', async (t) => {
  await t.rejects(listChromeFolder(t.testdir({ 'c.1.png': '' })), { code: 'GB_DATASET_INVALID', message: /mask/ });
  await t.rejects(listChromeFolder(t.testdir({ 'mask.png': '', 'm2_mask.png': '' })), { code: 'GB_DATASET_INVALID' });
  await t.rejects(listChromeFolder(t.testdir({ 'mask.png': '', 'filenames.txt': 'x.png\n' })), { message: /x\.png/ });
  await t.rejects(listChromeFolder(t.testdir({ 'mask.png': '' })), { message: /no mirror-sphere images/ });
  await t.rejects(listChromeFolder('/nonexistent/folder'), { code: 'GB_DATASET_INVALID' });
});

t.test('direction files with and without a count line', async (t) => {
  t.same(parseDirections('2\n0 0 1\n1 0 0\n'), [[0, 0, 1], [1, 0, 0]]);
  t.same(parseDirections('0 0 1\n'), [[0, 0, 1]]);
  t.throws(() => parseDirections('3\n0 0 1\n'), { code: 'GB_DATASET_INVALID' });
  t.throws(() => parseDirections('0 0\n'), { code: 'GB_DATASET_INVALID' });
});
