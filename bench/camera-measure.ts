// The `camera` bench's measurement, run in its own network namespace by camera.bench.ts (Aravis' fake GigE
// camera binds UDP 3956 on its interface and the broadcast address; a private loopback keeps it from
// meeting any other). Prints one JSON BenchResult per line.
import { FakeGenicam, fakeCameraUnavailable } from '../test/hardware/camera/fake-genicam.ts';
import { GenicamCamera } from '../src/hardware/camera/genicam/genicam-camera.ts';
import { loadAravis } from '../src/hardware/camera/genicam/aravis-addon.ts';
import type { PixelFormat } from '../src/hardware/camera/camera.ts';
import type { BenchResult } from './bench.ts';

/**
 * Copies of a frame's pixels between the wire and the Uint16Array the application reads, per frame:
 * the kernel copies each UDP datagram into Aravis' packet buffer (recv); Aravis' stream thread copies each
 * packet's payload into the frame buffer (arvgvstream.c process_data_block: memcpy into the ArvBuffer's
 * data); that buffer is the frame-buffer pool's Uint16Array (addon.c: arv_buffer_new_full over it), so
 * the addon and JavaScript copy nothing. Mono8 adds one in-place widening pass over the same buffer.
 */
const COPIES = { kernelToAravis: 1, aravisToFrameBuffer: 1, addonAndJs: 0 };

function print(r: BenchResult): void {
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

const quick = process.argv.includes('--quick');
const unavailable = fakeCameraUnavailable();
if (unavailable) {
  print({ name: 'camera: skipped', ms: 0, extra: { reason: unavailable } });
  process.exit(0);
}
const addon = loadAravis().addon!;
const fake = new FakeGenicam('GBBENCH');
await fake.start(addon);
try {
  // The largest frame: the whole sensor.
  const probe = new GenicamCamera({ id: fake.id, reconnectMs: 0 });
  await probe.open();
  const { sensorWidth, sensorHeight } = probe.genicamIdentity!;
  await probe.close();
  const runs: Array<[PixelFormat, number]> = [['Mono16', 0], ['Mono8', 0], ['Mono16', 8192]];
  for (const [pixelFormat, packetSizeBytes] of runs) {
    const camera = new GenicamCamera({ id: fake.id, reconnectMs: 0, region: { x: 0, y: 0, width: sensorWidth, height: sensorHeight }, packetSizeBytes, bufferCount: 4 });
    try {
      const info = await camera.open();
      await camera.configure({ pixelFormat, exposureUs: 100, triggerMode: 'software', timeoutMs: 5000 });
      await camera.startAcquisition();
      const frames = quick ? 15 : 60;
      const once = async (): Promise<void> => {
        await camera.softwareTrigger();
        const f = await camera.nextFrame();
        if (f.data.length !== info.widthPx * info.heightPx) throw new Error(`frame of ${f.data.length} samples, expected ${info.widthPx * info.heightPx}`);
        f.release();
      };
      for (let i = 0; i < 3; i++) await once();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const perFrameMs: number[] = [];
      for (let i = 0; i < frames; i++) {
        const t = performance.now();
        await once();
        perFrameMs.push(performance.now() - t);
      }
      const ms = performance.now() - t0;
      perFrameMs.sort((a, b) => a - b);
      const cpu = process.cpuUsage(cpu0);
      const stats = camera.streamStatistics();
      await camera.stopAcquisition();
      const mb = (info.widthPx * info.heightPx * (pixelFormat === 'Mono8' ? 1 : 2)) / 1e6;
      print({
        name: `camera: trigger to frame (fake GigE camera on loopback, ${pixelFormat}, packets ${packetSizeBytes === 0 ? 'negotiated' : `${packetSizeBytes} B`})`,
        width: info.widthPx,
        height: info.heightPx,
        ms: perFrameMs[perFrameMs.length >> 1],
        extra: {
          framesPerS: Number(((frames * 1000) / ms).toFixed(1)),
          wireMBPerS: Number(((frames * mb * 1000) / ms).toFixed(0)),
          cpuMsPerFrame: Number(((cpu.user + cpu.system) / 1000 / frames).toFixed(2)),
          copiesPerFrame: COPIES.kernelToAravis + COPIES.aravisToFrameBuffer + COPIES.addonAndJs,
          copiesInAddonAndJs: COPIES.addonAndJs,
          inPlacePasses: pixelFormat === 'Mono8' ? 1 : 0,
          packetBytes: camera.genicamIdentity!.packetSizeBytes,
          failed: stats.failed ?? 0,
          frames,
        },
      });
    } finally {
      await camera.close();
    }
  }
} finally {
  await fake.kill();
}
