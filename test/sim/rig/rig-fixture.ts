// Shared set-up for tests that run the real firmware in simavr: a simulated rig, a driver on its pty
// (optionally through the fault-injecting proxy), and a pin trace.
import { RigDriver, type RigDriverOptions } from '../../../src/hardware/rig/driver.ts';
import { openSerialPort } from '../../../src/hardware/rig/serial-port.ts';
import type { RigPort } from '../../../src/hardware/rig/link.ts';
import { SIMULATED_INTER_BYTE_TIMEOUT_MS, SimulatedRig } from '../../../src/sim/rig/simulated-rig.ts';
import { PinTrace } from '../../../src/sim/rig/pin-trace.ts';
import { FaultProxyPort, type FaultPolicy } from '../../hardware/rig/fault-proxy.ts';

export interface RigFixture {
  sim: SimulatedRig;
  driver: RigDriver;
  trace: PinTrace;
  /** The proxies opened so far (one per connection), newest last, when a fault policy was given. */
  proxies: FaultProxyPort[];
  close(): Promise<void>;
}

/** Start a simulated rig and a connected driver; `policy` puts a FaultProxyPort in between. */
export async function startRig(options: { policy?: FaultPolicy; driver?: Partial<RigDriverOptions>; log?: boolean } = {}): Promise<RigFixture> {
  const sim = new SimulatedRig({ log: options.log ? (l) => process.stderr.write(`${l}\n`) : undefined });
  await sim.start();
  const trace = new PinTrace(sim);
  trace.start();
  const proxies: FaultProxyPort[] = [];
  const portFactory = async (): Promise<RigPort> => {
    const port = await openSerialPort(sim.ptyPath);
    if (!options.policy) return port;
    const proxy = new FaultProxyPort(port, options.policy);
    proxies.push(proxy);
    return proxy;
  };
  const driver = new RigDriver({ portFactory, reconnectInitialMs: 50, reconnectMaxMs: 400, interByteTimeoutMs: SIMULATED_INTER_BYTE_TIMEOUT_MS, ...options.driver });
  await driver.start();
  await driver.ready(10_000);
  return {
    sim,
    driver,
    trace,
    proxies,
    async close() {
      await driver.stop();
      trace.stop();
      await sim.stop();
    },
  };
}

/** Resolve after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `test` every 10 ms until true or `timeoutMs`; returns whether it became true. */
export async function eventually(test: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await test()) return true;
    await sleep(10);
  }
  return test();
}

/** Effective LED output on the pins: latched levels, or all zero while BLANK is high. */
export function litNow(sim: SimulatedRig): number[] {
  const { levels, blankHigh } = sim.pinState();
  return blankHigh ? new Array(24).fill(0) : levels;
}
