import t from 'tap';
import { join } from 'node:path';
import { findFolderIntrinsics, parseIntrinsics, readIntrinsicsFile } from '../../src/geometry/camera-file.ts';

t.test('intrinsics from the simulator truth.json or a plain camera file; pixel-centre conventions', async (t) => {
  const sim = parseIntrinsics({ camera: { intrinsicsPx: { fx: 3000, fy: 3001, cx: 375, cy: 512, pixelCentreOffset: 0.5 } } }, 'truth.json');
  t.same(sim, { fxPx: 3000, fyPx: 3001, cxPx: 375, cyPx: 512 });
  const opencv = parseIntrinsics({ intrinsicsPx: { fx: 100, fy: 100, cx: 10, cy: 20, pixelCentreOffset: 0 } }, 'cam.json');
  t.same([opencv.cxPx, opencv.cyPx], [10.5, 20.5], 'integer pixel centres are shifted to the +0.5 convention');
  t.throws(() => parseIntrinsics({ intrinsicsPx: { fx: -1, fy: 1, cx: 0, cy: 0 } }, 'x'), { code: 'GB_DATASET_INVALID' });
  t.throws(() => parseIntrinsics({}, 'x'), { code: 'GB_DATASET_INVALID' });
});

t.test('folder lookup: camera.json, then truth.json with intrinsics, else none', async (t) => {
  const dir = t.testdir({
    a: { 'truth.json': JSON.stringify({ camera: { intrinsicsPx: { fx: 1, fy: 1, cx: 0, cy: 0 } } }) },
    b: { 'truth.json': JSON.stringify({ leds: [] }) },
    c: { 'camera.json': '{not json' },
  });
  t.equal((await findFolderIntrinsics(join(dir, 'a')))?.source, join(dir, 'a', 'truth.json'));
  t.equal(await findFolderIntrinsics(join(dir, 'b')), undefined);
  await t.rejects(findFolderIntrinsics(join(dir, 'c')), { code: 'GB_DATASET_INVALID' });
  await t.rejects(readIntrinsicsFile(join(dir, 'missing.json')), { code: 'GB_DATASET_INVALID' });
});
