import type { Logger } from 'pino';
import type { Settings } from './config/schema.ts';
import type { EventBus } from './core/events.ts';
import { AbsentDevice, type ManagedDevice } from './hardware/device.ts';
import { Daemon } from './daemon/daemon.ts';

/**
 * The composition root: the only place that picks real or simulated hardware. Everything below gets its
 * collaborators through constructors.
 */
export function createDevices(settings: Settings, _logger: Logger, _bus: EventBus): ManagedDevice[] {
  const { rig, camera, scanner } = settings.hardware;
  const devices: ManagedDevice[] = [];

  if (rig.kind === 'none') devices.push(new AbsentDevice('rig', 'none', 'no LED rig configured (hardware.rig.kind = none)'));
  else devices.push(new AbsentDevice('rig', rig.kind, `no ${rig.kind} LED rig driver in this build: nothing attached`));

  if (camera.kind === 'none') devices.push(new AbsentDevice('camera', 'none', 'no camera configured (hardware.camera.kind = none)'));
  else devices.push(new AbsentDevice('camera', camera.kind, `no ${camera.kind} camera driver in this build: nothing attached`));

  devices.push(new AbsentDevice('scanner', scanner.kind, 'no barcode scanner configured (hardware.scanner.kind = none)'));
  return devices;
}

/** Build the daemon for these settings. */
export function createDaemon(settings: Settings, logger: Logger, bus: EventBus, env: NodeJS.ProcessEnv): Daemon {
  return new Daemon({ settings, logger, devices: createDevices(settings, logger, bus), env, bus });
}
