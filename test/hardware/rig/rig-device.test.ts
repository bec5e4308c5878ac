// The rig as a daemon device, composed as the composition root composes it: simulated rig + driver + bus.
import t from 'tap';
import { EventBus } from '../../../src/core/events.ts';
import { RigDriver } from '../../../src/hardware/rig/driver.ts';
import { RigDevice } from '../../../src/hardware/rig/rig-device.ts';
import { SIMULATED_INTER_BYTE_TIMEOUT_MS, SimulatedRig } from '../../../src/sim/rig/simulated-rig.ts';
import { eventually } from '../../sim/rig/rig-fixture.ts';

t.test('RigDevice starts the simulated rig and the driver, reports status, publishes on the bus', async (t) => {
  const bus = new EventBus();
  const published: string[] = [];
  bus.on('hardware.status', (e) => published.push(`${e.data.device}:${e.data.state}`));
  const sim = new SimulatedRig();
  const driver = new RigDriver({ portFactory: () => sim.portFactory()(), interByteTimeoutMs: SIMULATED_INTER_BYTE_TIMEOUT_MS });
  const device = new RigDevice({ kind: 'simulated', driver, bus, backend: sim });
  t.equal(device.status().state, 'disconnected', 'not started yet');
  await device.start();
  t.ok(await eventually(() => device.status().state === 'connected', 10_000), 'connected');
  const status = device.status();
  t.match(status, { device: 'rig', kind: 'simulated', state: 'connected', detail: /24 channels/ });
  t.match(status.info, { protocolVersion: 1, firmwareVersion: /^\d+\.\d+\.\d+$/ });
  t.ok(published.includes('rig:connected'), `published: ${published.join(', ')}`);
  // The firmware's TEMPERATURE events (every second while an LED is on) reach the status, for fleet telemetry.
  await driver.setLevels(Array.from({ length: 24 }, (_, i) => (i === 0 ? 64 : 0)));
  t.ok(await eventually(() => typeof device.status().info?.tempC === 'number', 15_000), 'a temperature reading in the status');
  await driver.allOff();
  t.match(device.status().info, { tempC: Number, tempAt: /^\d{4}-\d{2}-\d{2}T/ });
  await device.stop();
  t.equal(device.status().state, 'disconnected');
  t.equal(sim.pid, undefined, 'simulator stopped with the device');
});
