import t from 'tap';
import { FrameBufferPool } from '../../../src/hardware/camera/frame-buffer-pool.ts';

t.test('buffers are allocated on demand up to the limit, then reused', async (t) => {
  const pool = new FrameBufferPool(2);
  t.equal(pool.allocated, 0, 'nothing before the first take');
  const a = pool.take(12)!;
  const b = pool.take(12)!;
  t.ok(a.data.buffer instanceof SharedArrayBuffer && a.data.length === 12, 'SharedArrayBuffer-backed, payload-sized');
  t.equal(pool.take(12), null, 'none left: an underrun for the caller');
  pool.give(a);
  t.equal(pool.take(12)?.data, a.data, 'the given-back buffer is lent again');
  pool.give(b);
  t.same([pool.allocated, pool.freeCount], [2, 1]);
});

t.test('a lower limit drops free buffers now and lent ones when they come back', async (t) => {
  const pool = new FrameBufferPool(3);
  const lent = [pool.take(4)!, pool.take(4)!, pool.take(4)!];
  pool.give(lent[0]);
  pool.setBufferCount(1);
  t.same([pool.allocated, pool.freeCount], [2, 0], 'the free one is dropped');
  pool.give(lent[1]);
  t.same([pool.allocated, pool.freeCount], [1, 0], 'a returning one above the limit is dropped');
  pool.give(lent[2]);
  t.same([pool.allocated, pool.freeCount], [1, 1], 'the last one is kept');
});

t.test('a new payload size or clear() starts a new generation; old buffers are not reused', async (t) => {
  const pool = new FrameBufferPool(2);
  const old = pool.take(8)!;
  const fresh = pool.take(16)!;
  t.equal(fresh.data.length, 16);
  pool.give(old);
  t.same([pool.allocated, pool.freeCount], [1, 0], 'a buffer of the old size is dropped');
  pool.clear();
  pool.give(fresh);
  t.same([pool.allocated, pool.freeCount], [0, 0], 'a buffer lent before clear() is dropped');
});
