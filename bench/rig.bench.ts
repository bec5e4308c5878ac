// LED-rig link figures: pure framing throughput, and round trips to the real firmware in simavr over a pty.
import type { BenchResult, BenchSuite } from './bench.ts';
import { medianMs } from './bench.ts';
import { RigFrame } from '../src/hardware/rig/frame.ts';
import { RigParser } from '../src/hardware/rig/parser.ts';
import { RigDriver } from '../src/hardware/rig/driver.ts';
import { SIMULATED_INTER_BYTE_TIMEOUT_MS, SimulatedRig } from '../src/sim/rig/simulated-rig.ts';
import { oneLedPerStep } from '../src/hardware/rig/sequence-test.ts';

export const rigBench: BenchSuite = {
  name: 'rig',
  async *run({ quick }): AsyncIterable<BenchResult> {
    const frames = 20_000;
    const stream = Buffer.concat(Array.from({ length: frames }, (_, i) => new RigFrame(0x03, i & 0xff, Buffer.alloc(36, i & 0xff)).toBuffer()));
    const parseMs = await medianMs(quick ? 3 : 7, () => {
      const parser = new RigParser();
      let n = 0;
      parser.on('data', () => n++);
      for (let at = 0; at < stream.length; at += 4096) parser.write(stream.subarray(at, at + 4096));
      parser.destroy();
      if (n !== frames) throw new Error(`parsed ${n} of ${frames} frames`);
    });
    yield { name: 'parse SET_LEVELS frames (42 bytes)', ms: parseMs, extra: { frames, framesPerS: Math.round(frames / (parseMs / 1000)) } };
    const encodeMs = await medianMs(quick ? 3 : 7, () => {
      for (let i = 0; i < frames; i++) new RigFrame(0x03, i & 0xff, Buffer.alloc(36)).toBuffer();
    });
    yield { name: 'encode SET_LEVELS frames', ms: encodeMs, extra: { frames, framesPerS: Math.round(frames / (encodeMs / 1000)) } };

    const sim = new SimulatedRig();
    await sim.start();
    const driver = new RigDriver({ portFactory: sim.portFactory(), interByteTimeoutMs: SIMULATED_INTER_BYTE_TIMEOUT_MS });
    try {
      await driver.start();
      await driver.ready(10_000);
      const runs = quick ? 20 : 100;
      yield { name: 'PING round trip (simavr, pty)', ms: await medianMs(runs, () => driver.ping()), extra: { runs } };
      const levels = Array.from({ length: 24 }, (_, i) => i * 100);
      yield { name: 'SET_LEVELS round trip (simavr, pty)', ms: await medianMs(runs, () => driver.setLevels(levels)), extra: { runs } };
      yield { name: 'GET_STATUS round trip (simavr, pty)', ms: await medianMs(runs, () => driver.status()), extra: { runs } };
      const steps = oneLedPerStep({ level: 1000, settleUs: 1000, triggerUs: 100, exposureUs: 1000 });
      yield { name: 'upload 24-step sequence (SEQ_CLEAR + 6 SEQ_LOAD)', ms: await medianMs(quick ? 3 : 10, () => driver.loadSequence(steps)) };
      const runMs = await medianMs(quick ? 2 : 5, async () => {
        for await (const _ of driver.runSequence());
      });
      yield { name: 'run 24 × 2 ms steps incl. events (48 ms of LED time)', ms: runMs, extra: { overheadMs: Math.round((runMs - 48) * 10) / 10 } };
      const h = driver.health();
      yield { name: 'link after the benchmark', ms: 0, extra: { rtoMs: Math.round(h.rtoMs * 10) / 10, srttMs: Math.round((h.srttMs ?? 0) * 100) / 100, retransmits: h.counters.retransmits, crcErrors: h.counters.crcErrors } };
    } finally {
      await driver.stop();
      await sim.stop();
    }
  },
};
