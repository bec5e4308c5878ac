import t from 'tap';
import { RigParser } from '../../../src/hardware/rig/parser.ts';
import type { RigFrame } from '../../../src/hardware/rig/frame.ts';
import { vectors } from './vectors.ts';

function feed(parser: RigParser, chunks: string[]): RigFrame[] {
  const frames: RigFrame[] = [];
  parser.on('data', (f: RigFrame) => frames.push(f));
  for (const c of chunks) parser.write(Buffer.from(c, 'hex'));
  return frames;
}

for (const v of vectors.parser) {
  t.test(`parser vector: ${v.name}`, async (t) => {
    const parser = new RigParser();
    const frames = feed(parser, v.chunks);
    await new Promise((r) => setImmediate(r));
    t.same(frames.map((f) => ({ seq: f.seq, type: f.type, payloadHex: f.payload.toString('hex') })), v.frames, v.description);
    t.equal(parser.counters.crcErrors, v.crcErrors, 'crcErrors');
    t.equal(parser.pendingBytes, v.pendingBytes, 'pendingBytes');
    parser.destroy();
  });
}

t.test('the vectors include the cases the conventions ask for', async (t) => {
  const names = vectors.parser.map((v) => v.name).join('|');
  for (const want of [/two frames in one chunk/, /split/, /bad CRC/, /garbage/, /max/, /truncated/]) t.match(names, want);
});

t.test('garbage bytes are counted', async (t) => {
  const parser = new RigParser();
  const frames = feed(parser, ['00ff133742a5000102dfef']);
  t.equal(frames.length, 1);
  t.equal(parser.counters.garbageBytes, 5);
  parser.destroy();
});

t.test('an incomplete frame is dropped after the inter-byte timeout and a later frame is found', async (t) => {
  const parser = new RigParser({ interByteTimeoutMs: 20 });
  const frames = feed(parser, ['a524020305f00a59']);
  await new Promise((r) => setTimeout(r, 60));
  t.equal(parser.pendingBytes, 0, 'truncated bytes dropped');
  t.ok(parser.counters.timeouts >= 1, 'timeout counted');
  parser.write(Buffer.from('a5000102dfef', 'hex'));
  await new Promise((r) => setImmediate(r));
  t.equal(frames.length, 1);
  t.equal(frames[0].type, 2);
  parser.destroy();
});

t.test('a frame whose bytes trickle in within the timeout is kept', async (t) => {
  const parser = new RigParser({ interByteTimeoutMs: 200 });
  const frames = feed(parser, ['a50001']);
  await new Promise((r) => setTimeout(r, 20));
  parser.write(Buffer.from('02dfef', 'hex'));
  await new Promise((r) => setImmediate(r));
  t.equal(frames.length, 1);
  parser.destroy();
});

t.test('a stalled event loop does not make the inter-byte timeout drop a frame whose bytes are waiting', async (t) => {
  const parser = new RigParser({ interByteTimeoutMs: 20 });
  const frames = feed(parser, ['a50001']);
  const until = performance.now() + 60;
  while (performance.now() < until); // the daemon busy on the main thread for 60 ms
  await new Promise((r) => setTimeout(r, 0)); // the (late) inter-byte timer runs before the data is read
  parser.write(Buffer.from('02dfef', 'hex'));
  await new Promise((r) => setImmediate(r));
  t.equal(frames.length, 1, 'frame kept');
  t.equal(parser.counters.timeouts, 0);
  parser.destroy();
});
