import t from 'tap';
import { parseRange } from '../../src/api/routes/files.ts';

t.test('byte ranges of a 1000-byte file', async (t) => {
  t.equal(parseRange(undefined, 1000), undefined, 'no header: the whole file');
  t.same(parseRange('bytes=0-99', 1000), { start: 0, end: 99 });
  t.same(parseRange('bytes=900-', 1000), { start: 900, end: 999 });
  t.same(parseRange('bytes=-100', 1000), { start: 900, end: 999 }, 'suffix');
  t.same(parseRange('bytes=990-2000', 1000), { start: 990, end: 999 }, 'end clipped to the file');
  t.equal(parseRange('bytes=1000-', 1000), 'unsatisfiable');
  t.equal(parseRange('bytes=50-10', 1000), 'unsatisfiable');
  t.equal(parseRange('bytes=-0', 1000), 'unsatisfiable');
  t.equal(parseRange('bytes=0-1,5-9', 1000), undefined, 'several ranges: the whole file');
  t.equal(parseRange('items=0-1', 1000), undefined, 'another unit: the whole file');
});
