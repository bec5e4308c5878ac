import type { Logger } from 'pino';
import type { Settings } from './config/schema.ts';
import type { EventBus } from './core/events.ts';
import { AbsentDevice, type ManagedDevice } from './hardware/device.ts';
import { RigDriver } from './hardware/rig/driver.ts';
import { RigDevice } from './hardware/rig/rig-device.ts';
import { serialPortFactory } from './hardware/rig/serial-port.ts';
import { CameraDevice } from './hardware/camera/camera-device.ts';
import { createSimulatedBooth } from './booth/simulated-booth.ts';
import { DEFAULT_SIM_SIZE } from './booth/create-booth.ts';
import { ReplayCamera } from './hardware/camera/replay-camera.ts';
import type { Camera } from './hardware/camera/camera.ts';
import type { RigPinSource } from './hardware/rig/pins.ts';
import { Daemon } from './daemon/daemon.ts';

/**
 * The composition root: the only place that picks real or simulated hardware. Everything below gets its
 * collaborators through constructors.
 */
export async function createDevices(settings: Settings, logger: Logger, bus: EventBus): Promise<ManagedDevice[]> {
  const { rig, camera, scanner } = settings.hardware;
  const devices: ManagedDevice[] = [];
  let pinSource: RigPinSource | undefined;
  let simulatedCamera: Camera | undefined;

  if (rig.kind === 'simulated') {
    // The simulated booth: the real firmware in simavr (its UART a pty opened through serialport like
    // /dev/ttyACM0) and the simulated camera watching the rig's trigger pin.
    const booth = await createSimulatedBooth({
      ...DEFAULT_SIM_SIZE,
      hostTimeoutMs: rig.host_timeout_ms,
      log: (line) => logger.warn({ device: 'rig', harness: line }, 'simulated rig'),
    });
    devices.push(new RigDevice({ kind: 'simulated', driver: booth.rig, bus, backend: booth.sim.rig }));
    pinSource = booth.sim.rig;
    simulatedCamera = booth.camera;
  } else if (rig.kind === 'serial') {
    const driver = new RigDriver({ portFactory: serialPortFactory(rig.port), config: { hostTimeoutMs: rig.host_timeout_ms } });
    devices.push(new RigDevice({ kind: 'serial', driver, bus }));
  } else {
    devices.push(new AbsentDevice('rig', 'none', 'no LED rig configured (hardware.rig.kind = none)'));
  }

  if (camera.kind === 'simulated' && simulatedCamera) devices.push(new CameraDevice('simulated', simulatedCamera));
  else if (camera.kind === 'replay') devices.push(new CameraDevice('replay', new ReplayCamera({ folder: camera.replay_dir, pinSource })));
  else devices.push(new AbsentDevice('camera', 'none', 'no camera configured (hardware.camera.kind = none)'));

  devices.push(new AbsentDevice('scanner', scanner.kind, 'no barcode scanner configured (hardware.scanner.kind = none)'));
  return devices;
}

/** Build the daemon for these settings. */
export async function createDaemon(settings: Settings, logger: Logger, bus: EventBus, env: NodeJS.ProcessEnv): Promise<Daemon> {
  return new Daemon({ settings, logger, devices: await createDevices(settings, logger, bus), env, bus });
}
