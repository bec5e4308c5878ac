import type { Logger } from 'pino';
import type { Settings } from './config/schema.ts';
import type { EventBus } from './core/events.ts';
import { AbsentDevice, type ManagedDevice } from './hardware/device.ts';
import { RigDriver } from './hardware/rig/driver.ts';
import { RigDevice } from './hardware/rig/rig-device.ts';
import { serialPortFactory } from './hardware/rig/serial-port.ts';
import { SIMULATED_INTER_BYTE_TIMEOUT_MS, SimulatedRig } from './sim/rig/simulated-rig.ts';
import { Daemon } from './daemon/daemon.ts';

/**
 * The composition root: the only place that picks real or simulated hardware. Everything below gets its
 * collaborators through constructors.
 */
export function createDevices(settings: Settings, logger: Logger, bus: EventBus): ManagedDevice[] {
  const { rig, camera, scanner } = settings.hardware;
  const devices: ManagedDevice[] = [];

  if (rig.kind === 'simulated') {
    // The real firmware in simavr; its UART is a pty opened through serialport like /dev/ttyACM0.
    const sim = new SimulatedRig({ log: (line) => logger.warn({ device: 'rig', harness: line }, 'simulated rig') });
    const driver = new RigDriver({
      portFactory: () => sim.portFactory()(),
      config: { hostTimeoutMs: rig.host_timeout_ms },
      interByteTimeoutMs: SIMULATED_INTER_BYTE_TIMEOUT_MS,
    });
    devices.push(new RigDevice({ kind: 'simulated', driver, bus, backend: sim }));
  } else if (rig.kind === 'serial') {
    const driver = new RigDriver({ portFactory: serialPortFactory(rig.port), config: { hostTimeoutMs: rig.host_timeout_ms } });
    devices.push(new RigDevice({ kind: 'serial', driver, bus }));
  } else {
    devices.push(new AbsentDevice('rig', 'none', 'no LED rig configured (hardware.rig.kind = none)'));
  }

  if (camera.kind === 'none') devices.push(new AbsentDevice('camera', 'none', 'no camera configured (hardware.camera.kind = none)'));
  else devices.push(new AbsentDevice('camera', camera.kind, `no ${camera.kind} camera driver in this build: nothing attached`));

  devices.push(new AbsentDevice('scanner', scanner.kind, 'no barcode scanner configured (hardware.scanner.kind = none)'));
  return devices;
}

/** Build the daemon for these settings. */
export function createDaemon(settings: Settings, logger: Logger, bus: EventBus, env: NodeJS.ProcessEnv): Daemon {
  return new Daemon({ settings, logger, devices: createDevices(settings, logger, bus), env, bus });
}
