import type { Logger } from 'pino';
import type { Settings } from './config/schema.ts';
import type { EventBus } from './core/events.ts';
import { AbsentDevice, type ManagedDevice } from './hardware/device.ts';
import { RigDriver } from './hardware/rig/driver.ts';
import { RigDevice } from './hardware/rig/rig-device.ts';
import { serialPortFactory } from './hardware/rig/serial-port.ts';
import { CameraDevice } from './hardware/camera/camera-device.ts';
import { boothAvailable, createBooth } from './booth/create-booth.ts';
import type { Booth } from './booth/booth.ts';
import { SimulatedCamera } from './sim/camera/simulated-camera.ts';
import { ReplayCamera } from './hardware/camera/replay-camera.ts';
import type { Camera } from './hardware/camera/camera.ts';
import type { RigPinSource } from './hardware/rig/pins.ts';
import { Daemon } from './daemon/daemon.ts';
import { ReportScanner } from './hardware/scanner/report-scanner.ts';
import { CodeFilter } from './hardware/scanner/code-filter.ts';
import { decoderFor } from './hardware/scanner/decoder-factory.ts';
import { HidScannerSource } from './hardware/scanner/hid-source.ts';
import { SerialScannerSource } from './hardware/scanner/serial-source.ts';
import type { ScannerSource } from './hardware/scanner/scanner-source.ts';
import { ScannerDevice } from './hardware/scanner/scanner-device.ts';
import { SimulatedScannerSource } from './sim/scanner/simulated-scanner.ts';
import type { ControlHandler } from './daemon/control-socket.ts';
import type { BoothEvents } from './core/events.ts';
import { createError, isGradeboothError } from './core/errors.ts';

/** The configured barcode scanner's byte source, or undefined for kind "none". */
export function createScannerSource(scanner: Settings['hardware']['scanner']): ScannerSource | undefined {
  switch (scanner.kind) {
    case 'hid':
      return new HidScannerSource({ vendorId: scanner.vendor_id, productId: scanner.product_id, path: scanner.hid_path, protocol: scanner.protocol });
    case 'serial':
      return new SerialScannerSource({ path: scanner.port, baudRate: scanner.baud_rate });
    case 'simulated':
      return new SimulatedScannerSource({ layout: scanner.layout });
    default:
      return undefined;
  }
}

/** The scanner device for these settings: every kind decodes through the same ReportScanner. */
export function createScannerDevice(scanner: Settings['hardware']['scanner'], logger: Logger, bus: EventBus, source = createScannerSource(scanner)): ManagedDevice {
  if (!source) return new AbsentDevice('scanner', scanner.kind, 'no barcode scanner configured (hardware.scanner.kind = none)');
  const reportScanner = new ReportScanner({
    source,
    decoderFor: (info) => decoderFor(info, { layout: scanner.layout, idleResetMs: scanner.idle_reset_ms }),
    filter: new CodeFilter({ pattern: scanner.pattern, debounceMs: scanner.debounce_ms }),
    reconnectMs: scanner.reconnect_ms,
    log: (message) => logger.warn({ device: 'scanner' }, message),
  });
  return new ScannerDevice({ kind: scanner.kind, scanner: reportScanner, bus });
}

/**
 * The composition root: the only place that picks real or simulated hardware. The booth (rig + camera)
 * comes from the one booth builder the CLI uses too, and is built once; its rig and camera are the
 * daemon's devices (started and stopped with it) and the same booth runs the jobs. Everything below gets
 * its collaborators through constructors.
 */
export async function createDevices(settings: Settings, logger: Logger, bus: EventBus, scannerSource = createScannerSource(settings.hardware.scanner)): Promise<{ devices: ManagedDevice[]; booth: Booth | undefined }> {
  const { rig, camera, scanner } = settings.hardware;
  const devices: ManagedDevice[] = [];
  let pinSource: RigPinSource | undefined;
  let simulatedCamera: Camera | undefined;
  let booth: Booth | undefined;

  if (boothAvailable(settings) && rig.kind === 'serial') {
    // The hardware booth: the rig on its serial port and the GenICam camera; both are the daemon's devices.
    booth = await createBooth(settings, { takeLock: false, log: (line) => logger.warn({ device: 'booth' }, line) });
    devices.push(new RigDevice({ kind: 'serial', driver: booth.rig, bus }));
    devices.push(new CameraDevice(camera.kind, booth.camera));
  } else {
    if (boothAvailable(settings)) {
      // The simulated booth: the real firmware in simavr (its UART a pty opened through serialport like
      // /dev/ttyACM0) and the simulated camera watching the rig's trigger pin.
      const sim = await createBooth(settings, { takeLock: false, log: (line) => logger.warn({ device: 'rig', harness: line }, 'simulated rig') });
      if (!sim.sim) throw createError('GB_INTERNAL', 'the booth builder gave no simulator for a simulated booth');
      devices.push(new RigDevice({ kind: 'simulated', driver: sim.rig, bus, backend: sim.sim.rig }));
      pinSource = sim.sim.rig;
      simulatedCamera = sim.camera;
      booth = sim;
    } else if (rig.kind === 'simulated') {
      throw createError('GB_CONFIG_INVALID', `hardware.rig.kind = simulated needs hardware.camera.kind = simulated (the simulated camera watches the simulated rig's trigger pin), got ${camera.kind}`);
    } else if (rig.kind === 'serial') {
      const driver = new RigDriver({ portFactory: serialPortFactory(rig.port), config: { hostTimeoutMs: rig.host_timeout_ms } });
      devices.push(new RigDevice({ kind: 'serial', driver, bus }));
    } else {
      devices.push(new AbsentDevice('rig', 'none', 'no LED rig configured (hardware.rig.kind = none)'));
    }

    if (camera.kind === 'simulated' && simulatedCamera) devices.push(new CameraDevice('simulated', simulatedCamera));
    else if (camera.kind === 'replay') devices.push(new CameraDevice('replay', new ReplayCamera({ folder: camera.replay_dir, pinSource })));
    else if (camera.kind === 'genicam') devices.push(new AbsentDevice('camera', 'genicam', `the GenICam camera is used with a serial LED rig only (hardware.rig.kind = ${rig.kind})`));
    else devices.push(new AbsentDevice('camera', 'none', 'no camera configured (hardware.camera.kind = none)'));
  }

  devices.push(createScannerDevice(scanner, logger, bus, scannerSource));
  return { devices, booth };
}

/** Build the daemon for these settings. */
export async function createDaemon(settings: Settings, logger: Logger, bus: EventBus, env: NodeJS.ProcessEnv): Promise<Daemon> {
  const scannerSource = createScannerSource(settings.hardware.scanner);
  const { devices, booth } = await createDevices(settings, logger, bus, scannerSource);
  const controls = new Map<string, ControlHandler>([
    ['sim.barcode', simBarcodeHandler(scannerSource, bus, settings.hardware.scanner.kind, booth !== undefined)],
    ['sim.rig', simRigFaultHandler(booth)],
    ['sim.camera', simCameraFaultHandler(booth)],
  ]);
  return new Daemon({ settings, logger, devices, booth, env, bus, controls });
}

/**
 * `sim.rig {action}`: a fault of the simulated rig, as a technician would cause it by hand: `unplug` (the
 * USB device vanishes), `replug` (it comes back; resolves once the firmware is up), `reset` (the MCU
 * resets, as a DTR pulse or a brown-out). For the fault suite (npm run faults); GB_CONFLICT without the
 * simulated booth.
 */
function simRigFaultHandler(booth: Booth | undefined): ControlHandler {
  return async (params) => {
    const rig = booth?.sim?.rig;
    if (!rig) throw createError('GB_CONFLICT', 'sim.rig: this daemon does not run the simulated booth');
    const action = params.action;
    if (action === 'unplug') rig.unplug();
    else if (action === 'replug') await rig.replug();
    else if (action === 'reset') rig.reset();
    else throw createError('GB_VALIDATION', `sim.rig: expected {"action": "unplug" | "replug" | "reset"}, got ${JSON.stringify(action)}`);
    return { action };
  };
}

/**
 * `sim.camera {withhold}`: the simulated camera delivers no frame for the next `withhold` triggers (1..100), as
 * a camera whose data link stalls: the capture waiting for it times out. For the fault suite; GB_CONFLICT
 * without the simulated booth.
 */
function simCameraFaultHandler(booth: Booth | undefined): ControlHandler {
  return async (params) => {
    const camera = booth?.sim ? booth.camera : undefined;
    if (!(camera instanceof SimulatedCamera)) throw createError('GB_CONFLICT', 'sim.camera: this daemon does not run the simulated booth');
    const n = params.withhold;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 100) throw createError('GB_VALIDATION', `sim.camera: expected {"withhold": 1..100}, got ${JSON.stringify(n)}`);
    camera.withholdFrames(n);
    return { withhold: n };
  };
}

/**
 * `sim.barcode {code}`: the simulated scanner types the code as HID reports into the daemon's scanner;
 * answers what the decoder made of it (accepted, or GB_BARCODE_INVALID, or a debounced double read) and,
 * on a booth that runs jobs, the grading job the code started (or why none could start).
 */
function simBarcodeHandler(source: ScannerSource | undefined, bus: EventBus, kind: string, startsJobs: boolean): ControlHandler {
  return async (params) => {
    const code = params.code;
    if (typeof code !== 'string' || code.length === 0 || code.length > 1024) throw createError('GB_VALIDATION', 'sim.barcode: expected {"code": "<1..1024 characters>"}');
    if (!(source instanceof SimulatedScannerSource)) throw createError('GB_CONFLICT', `the daemon's barcode scanner is "${kind}", not the simulated one (hardware.scanner.kind = simulated)`);
    let accepted: BoothEvents['scanner.barcode'] | undefined;
    let rejected: BoothEvents['scanner.rejected'] | undefined;
    // The job the code starts is announced after the read (the submission is asynchronous): listen first.
    let settle: (outcome: { jobId: string } | { jobError: string }) => void = () => undefined;
    const jobOutcome = new Promise<{ jobId: string } | { jobError: string }>((resolve) => (settle = resolve));
    const off = [
      bus.on('scanner.barcode', (e) => (accepted = e.data)),
      bus.on('scanner.rejected', (e) => (rejected = e.data)),
      bus.on('scanner.job', (e) => { if (e.data.code === (accepted?.code ?? code)) settle({ jobId: e.data.jobId }); }),
      bus.on('scanner.job_refused', (e) => { if (e.data.code === (accepted?.code ?? code)) settle({ jobError: e.data.error }); }),
    ];
    try {
      await source.scan(code).catch((err: unknown) => {
        if (isGradeboothError(err)) throw err;
        throw createError('GB_BARCODE_INVALID', `the simulated scanner cannot type this code: ${(err as Error).message}`);
      });
      if (rejected) throw createError('GB_BARCODE_INVALID', rejected.message.replace(/^GB_BARCODE_INVALID: /, ''));
      if (!accepted) return { outcome: 'duplicate', code };
      const read = { outcome: 'accepted', code: accepted.code, at: accepted.at };
      if (!startsJobs) return read;
      return { ...read, ...(await jobOutcome) };
    } finally {
      for (const o of off) o();
    }
  };
}
