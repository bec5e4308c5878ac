import t from 'tap';
import { decodePng, encodePng } from '../../src/imaging/png.ts';
import { decodePfm, encodePfm } from '../../src/imaging/pfm.ts';

t.test('16-bit RGB PNG round-trips every sample exactly', async (t) => {
  const width = 7;
  const height = 5;
  const data = new Uint16Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2731 + 17) % 65536;
  const png = await encodePng({ width, height, channels: 3, bitDepth: 16, data });
  const back = await decodePng(png);
  t.equal(back.bitDepth, 16);
  t.equal(back.channels, 3);
  t.same(Array.from(back.data), Array.from(data));
});

t.test('16-bit grey and 8-bit grey/RGB round-trip (no gamma, no colour conversion)', async (t) => {
  const g16 = new Uint16Array([0, 1, 255, 256, 32768, 65535]);
  const b16 = await decodePng(await encodePng({ width: 3, height: 2, channels: 1, bitDepth: 16, data: g16 }));
  t.same(Array.from(b16.data), Array.from(g16));
  t.equal(b16.channels, 1);
  const g8 = new Uint8Array([0, 1, 2, 127, 128, 255]);
  const b8 = await decodePng(await encodePng({ width: 6, height: 1, channels: 1, bitDepth: 8, data: g8 }));
  t.same(Array.from(b8.data), Array.from(g8));
  t.equal(b8.bitDepth, 8);
  const rgb8 = new Uint8Array([10, 20, 30, 40, 50, 60]);
  const c8 = await decodePng(await encodePng({ width: 2, height: 1, channels: 3, bitDepth: 8, data: rgb8 }));
  t.same(Array.from(c8.data), Array.from(rgb8));
});

t.test('a non-PNG is refused with GB_IMAGE_INVALID', async (t) => {
  await t.rejects(decodePng(Buffer.from('not an image')), { code: 'GB_IMAGE_INVALID' });
});

t.test('PFM round-trips and stores the bottom row first', async (t) => {
  const img = { width: 3, height: 2, data: new Float32Array([1, 2, 3, 4, 5, 6.5]) };
  const bytes = encodePfm(img);
  t.equal(bytes.subarray(0, 3).toString(), 'Pf\n');
  const headerLen = 'Pf\n3 2\n-1.0\n'.length;
  t.equal(bytes.readFloatLE(headerLen), 4, 'first stored value is the bottom-left pixel');
  const back = decodePfm(bytes);
  t.same(Array.from(back.data), [1, 2, 3, 4, 5, 6.5]);
  t.throws(() => decodePfm(Buffer.from('P6\n1 1\n255\nxxx')), { code: 'GB_IMAGE_INVALID' });
});
