// The contract every Camera implementation must meet: one suite, run against the simulated camera, the
// replay camera and the GenICam camera (against Aravis' fake GigE Vision camera).
import type { Test } from 'tap';
import type { Camera } from '../../../src/hardware/camera/camera.ts';
import { ScriptedPinSource } from './test-pin-source.ts';

export interface ContractSubject {
  camera: Camera;
  /**
   * The trigger line the test can drive; absent for a camera whose line the test cannot reach (Aravis'
   * fake camera never exposes on a line): its hardware-trigger tests are skipped, with that reason.
   */
  pins?: ScriptedPinSource;
  noPinsReason?: string;
  widthPx: number;
  heightPx: number;
  /** LED levels a hardware trigger should carry (24 values). */
  levels: readonly number[];
}

/** The GB_ code a promise rejects with ('resolved' when it does not). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/** Run the camera contract; `make` builds a fresh, unopened camera per test. */
export function cameraContract(t: Test, name: string, make: () => Promise<ContractSubject>): void {
  t.test(`${name}: open, info, configure and states`, async (t) => {
    const { camera, widthPx, heightPx } = await make();
    t.equal(camera.state, 'closed');
    t.equal(await codeOf(camera.configure({ exposureUs: 5000 })), 'GB_CONFLICT', 'configure before open is refused');
    const info = await camera.open();
    t.equal(camera.state, 'open');
    t.same([info.widthPx, info.heightPx], [widthPx, heightPx], 'info reports the frame size');
    t.ok(info.pixelFormats.includes('Mono16'));
    const cfg = await camera.configure({ exposureUs: 5000, gain: 2, pixelFormat: 'Mono12', triggerMode: 'software', timeoutMs: 500, bufferCount: 6 });
    t.same(cfg, { exposureUs: 5000, gain: 2, pixelFormat: 'Mono12', triggerMode: 'software', timeoutMs: 500, bufferCount: 6 });
    t.equal(await codeOf(camera.configure({ bufferCount: 0 })), 'GB_VALIDATION', 'bufferCount 0 is refused');
    t.equal(await codeOf(camera.configure({ exposureUs: 0 })), 'GB_VALIDATION', 'exposure 0 is refused');
    t.equal(await codeOf(camera.configure({ pixelFormat: 'Mono10' as never })), 'GB_VALIDATION', 'unknown pixel format is refused');
    await camera.startAcquisition();
    t.equal(camera.state, 'acquiring');
    t.equal(await codeOf(camera.configure({ exposureUs: 100 })), 'GB_CONFLICT', 'configure while acquiring is refused');
    await camera.close();
    t.equal(camera.state, 'closed');
    t.equal(await codeOf(camera.nextFrame(10)), 'GB_CONFLICT', 'nextFrame after close is refused');
  });

  t.test(`${name}: software trigger delivers ordered frames in the configured format`, async (t) => {
    const { camera, widthPx, heightPx } = await make();
    await camera.open();
    await camera.configure({ exposureUs: 4000, pixelFormat: 'Mono16', triggerMode: 'software' });
    const seen: number[] = [];
    const off = camera.on('frame', (f) => seen.push(f.frameId));
    await camera.startAcquisition();
    for (let i = 0; i < 3; i++) await camera.softwareTrigger();
    const frames = [await camera.nextFrame(), await camera.nextFrame(), await camera.nextFrame()];
    t.same(frames.map((f) => f.frameId), [0, 1, 2], 'frame ids count up from 0');
    t.same(seen, [0, 1, 2], 'frame events in order');
    for (const f of frames) {
      t.equal(f.width, widthPx);
      t.equal(f.height, heightPx);
      t.equal(f.pixelFormat, 'Mono16');
      t.equal(f.exposureUs, 4000);
      t.ok(f.data instanceof Uint16Array && f.data.length === widthPx * heightPx, 'Uint16Array of width × height');
    }
    t.ok(frames[1].timestampUs >= frames[0].timestampUs, 'timestamps do not go back');
    off();
    await camera.stopAcquisition();
    for (const [format, max] of [['Mono8', 255], ['Mono12', 4095]] as const) {
      await camera.configure({ pixelFormat: format });
      await camera.startAcquisition();
      await camera.softwareTrigger();
      const f = await camera.nextFrame();
      t.equal(f.pixelFormat, format);
      t.ok(f.data.every((v) => v <= max), `${format} samples ≤ ${max}`);
      f.release();
      await camera.stopAcquisition();
    }
    await camera.close();
  });

  t.test(`${name}: no trigger → GB_CAMERA_TIMEOUT`, async (t) => {
    const { camera } = await make();
    await camera.open();
    await camera.configure({ triggerMode: 'software', timeoutMs: 80 });
    await camera.startAcquisition();
    const t0 = Date.now();
    t.equal(await codeOf(camera.nextFrame()), 'GB_CAMERA_TIMEOUT');
    t.ok(Date.now() - t0 >= 70, 'waited for the configured timeout');
    await camera.close();
  });

  t.test(`${name}: hardware trigger exposes on rising edges only, stamped with the edge time`, async (t) => {
    const { camera, pins, levels, noPinsReason } = await make();
    if (!pins) return void t.pass(`skipped: ${noPinsReason ?? 'no trigger line'}`, { skip: noPinsReason ?? 'no trigger line' });
    await camera.open();
    await camera.configure({ triggerMode: 'hardware', exposureUs: 2000, timeoutMs: 5000 });
    t.equal(await codeOf(camera.softwareTrigger()), 'GB_CONFLICT', 'software trigger refused before acquisition');
    t.equal(pins.listenerCount, 0, 'not listening before acquisition');
    await camera.startAcquisition();
    t.equal(pins.listenerCount, 1, 'listens to the trigger line while acquiring');
    t.equal(await codeOf(camera.softwareTrigger()), 'GB_CONFLICT', 'software trigger refused in hardware mode');
    pins.emit({ kind: 'blank', timeUs: 10, high: false });
    pins.pulse(1000, levels);
    pins.pulse(50_000, levels);
    const a = await camera.nextFrame();
    const b = await camera.nextFrame();
    t.same([a.frameId, b.frameId], [0, 1]);
    t.same([a.timestampUs, b.timestampUs], [1000, 50_000], 'timestamps are the trigger edges (simulated µs)');
    t.equal(await codeOf(camera.nextFrame(100)), 'GB_CAMERA_TIMEOUT', 'falling edges and latches made no frames');
    await camera.stopAcquisition();
    t.equal(pins.listenerCount, 0, 'stops listening when acquisition stops');
    pins.pulse(90_000, levels);
    await camera.startAcquisition();
    t.equal(await codeOf(camera.nextFrame(100)), 'GB_CAMERA_TIMEOUT', 'a trigger while stopped made no frame');
    await camera.close();
  });

  t.test(`${name}: frames() streams until acquisition stops; a waiting reader is released`, async (t) => {
    const { camera, pins, levels, noPinsReason } = await make();
    if (!pins) return void t.pass(`skipped: ${noPinsReason ?? 'no trigger line'}`, { skip: noPinsReason ?? 'no trigger line' });
    await camera.open();
    await camera.configure({ triggerMode: 'hardware', exposureUs: 1000, timeoutMs: 5000 });
    await camera.startAcquisition();
    pins.pulse(100, levels);
    pins.pulse(20_000, levels);
    const got: number[] = [];
    for await (const f of camera.frames()) {
      got.push(f.timestampUs);
      if (got.length === 2) break;
    }
    t.same(got, [100, 20_000]);
    const waiting = codeOf(camera.nextFrame(5000));
    await camera.stopAcquisition();
    t.equal(await waiting, 'GB_CAMERA_FAULT', 'stopAcquisition rejects a waiting reader');
    await camera.close();
  });

  t.test(`${name}: frame buffers are allocated once and reused after release()`, async (t) => {
    const { camera } = await make();
    await camera.open();
    await camera.configure({ triggerMode: 'software', bufferCount: 3, timeoutMs: 2000 });
    t.match(camera.streamStatistics(), { bufferCount: 3, allocated: 0, free: 0, queued: 0, held: 0, completed: 0, underruns: 0 }, 'nothing allocated before the first frame');
    await camera.startAcquisition();
    await camera.softwareTrigger();
    const a = await camera.nextFrame();
    const copy = a.data.slice();
    t.match(camera.streamStatistics(), { allocated: 1, free: 0, held: 1, completed: 1 });
    a.release();
    a.release();
    t.match(camera.streamStatistics(), { allocated: 1, free: 1, held: 0 }, 'release() is idempotent');
    t.equal(await codeOf((async () => a.data)()), 'GB_CONFLICT', 'a released frame cannot be read');
    const buffers = new Set<ArrayBufferLike>();
    for (let i = 0; i < 4; i++) {
      await camera.softwareTrigger();
      const f = await camera.nextFrame();
      buffers.add(f.data.buffer);
      t.equal(f.data.length, copy.length);
      f.release();
    }
    t.equal(buffers.size, 1, 'one buffer served every frame that was released in time');
    t.match(camera.streamStatistics(), { allocated: 1, free: 1, held: 0, completed: 5, underruns: 0 });
    await camera.close();
  });

  t.test(`${name}: with every buffer held, a frame is dropped as a buffer underrun; nothing crashes`, async (t) => {
    const { camera } = await make();
    await camera.open();
    await camera.configure({ triggerMode: 'software', bufferCount: 2, timeoutMs: 2000 });
    const errors: Array<{ code: string; message: string; details?: Record<string, unknown> }> = [];
    camera.on('error', (e) => errors.push(e));
    await camera.startAcquisition();
    for (let i = 0; i < 2; i++) await camera.softwareTrigger();
    const held = [await camera.nextFrame(), await camera.nextFrame()];
    await camera.softwareTrigger();
    t.equal(await codeOf(camera.nextFrame(300)), 'GB_CAMERA_TIMEOUT', 'no frame without a buffer');
    t.equal(errors.length, 1, 'one error event');
    t.equal(errors[0]?.code, 'GB_CAMERA_FAULT');
    t.match(errors[0]?.message, /buffer underrun, frame 2 dropped: all 2 frame buffers are in use \(0 delivered frames unread, 2 held by the application\)/);
    t.match(errors[0]?.details, { reason: 'buffer-underrun', frameId: 2, bufferCount: 2 });
    t.match(camera.streamStatistics(), { allocated: 2, free: 0, held: 2, completed: 2, underruns: 1 });
    t.equal(camera.state, 'acquiring', 'still acquiring');
    const freed = held[0].data.buffer;
    held[0].release();
    await camera.softwareTrigger();
    const next = await camera.nextFrame();
    t.equal(next.frameId, 3, 'the lost frame leaves a gap in the frame ids');
    t.equal(next.data.buffer, freed, 'served from the released buffer');
    t.ok(held[1].data.length > 0, 'the frame still held is readable');
    next.release();
    held[1].release();
    t.match(camera.streamStatistics(), { allocated: 2, free: 2, held: 0 });
    await camera.close();
  });

  t.test(`${name}: stop returns unread frames to the pool, close drops the pool; held frames stay valid`, async (t) => {
    const { camera } = await make();
    await camera.open();
    await camera.configure({ triggerMode: 'software', bufferCount: 4, timeoutMs: 2000 });
    await camera.startAcquisition();
    for (let i = 0; i < 3; i++) await camera.softwareTrigger();
    const kept = await camera.nextFrame();
    const copy = kept.data.slice();
    await camera.nextFrame().then((f) => f.release());
    await camera.nextFrame().then(() => undefined); // read, then forgotten until close
    await camera.softwareTrigger();
    await camera.softwareTrigger();
    await new Promise((r) => setTimeout(r, 200));
    await camera.stopAcquisition();
    const stopped = camera.streamStatistics();
    t.equal(stopped.queued, 0, 'no unread frames after stop');
    t.equal(stopped.held, 2, 'frames read before stop are still the application\'s');
    t.equal(stopped.free, stopped.allocated - 2, 'every other buffer is free');
    // A new acquisition must not write into a held frame.
    await camera.startAcquisition();
    for (let i = 0; i < 2; i++) await camera.softwareTrigger();
    (await camera.nextFrame()).release();
    (await camera.nextFrame()).release();
    t.same(kept.data, copy, 'a held frame is not overwritten by later exposures');
    await camera.close();
    t.match(camera.streamStatistics(), { allocated: 0, free: 0, queued: 0, held: 2 }, 'close drops the buffers; two frames are still out');
    t.same(kept.data, copy, 'and stay readable after close');
    kept.release();
    kept.release();
    t.match(camera.streamStatistics(), { allocated: 0, free: 0, held: 1 }, 'a frame released after close is dropped, not pooled');
  });
}
