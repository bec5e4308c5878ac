import { createError } from '../core/errors.ts';
import type { Settings } from '../config/schema.ts';
import type { Booth, BoothCard } from './booth.ts';
import { createSimulatedBooth } from './simulated-booth.ts';
import { createHardwareBooth } from './hardware-booth.ts';
import { acquireDataDirLock } from '../storage/data-dir-lock.ts';
import { RigDriver } from '../hardware/rig/driver.ts';
import { serialPortFactory } from '../hardware/rig/serial-port.ts';
import { GenicamCamera } from '../hardware/camera/genicam/genicam-camera.ts';
import { readIntrinsicsFile } from '../geometry/camera-file.ts';

/** Camera size the simulated booth renders at unless told otherwise (same field of view as 3000×4096). */
export const DEFAULT_SIM_SIZE = { widthPx: 750, heightPx: 1024 };

/** Parse a `WIDTHxHEIGHT` size option (px). */
export function parseSize(text: string): { widthPx: number; heightPx: number } {
  const m = /^(\d{2,5})x(\d{2,5})$/.exec(text);
  if (!m) throw createError('GB_USAGE', `--size: expected WIDTHxHEIGHT in px (e.g. 750x1024), got "${text}"`);
  return { widthPx: Number(m[1]), heightPx: Number(m[2]) };
}

/** The card stock of the settings (`booth.card`, snake_case mm keys) as the booth carries it. */
export function boothCardFromSettings(settings: Settings): BoothCard {
  const c = settings.booth.card;
  return { widthMm: c.width_mm, heightMm: c.height_mm, cornerRadiusMm: c.corner_radius_mm, thicknessMm: c.thickness_mm };
}

export interface CreateBoothOptions {
  /** Use the simulated booth whatever the settings say. */
  sim?: boolean;
  /** Simulated camera size (default: settings hardware.camera width_px × height_px). */
  size?: { widthPx: number; heightPx: number };
  log?: (line: string) => void;
  /** The command that drives the booth, named in the data-directory lock (e.g. `scan`). */
  command?: string;
  /** False for the daemon, which holds the data-directory lock itself. Default true. */
  takeLock?: boolean;
}

/** Whether these settings (and --sim) make a booth: the simulated one, or a serial rig with a GenICam camera. */
export function boothAvailable(settings: Settings, options: { sim?: boolean } = {}): boolean {
  const { rig, camera } = settings.hardware;
  return options.sim === true || (rig.kind === 'simulated' && camera.kind === 'simulated') || isHardwareBooth(settings);
}

/** The settings name a real booth: the LED rig on a serial port and a GenICam camera. */
function isHardwareBooth(settings: Settings): boolean {
  const { rig, camera } = settings.hardware;
  return rig.kind === 'serial' && camera.kind === 'genicam';
}

/**
 * The hardware booth of the settings: the RigDriver on the serial port (a real /dev/ttyACM0, or the
 * firmware-in-simavr pty) and the GenICam camera with the configured id and parameters. Nothing is opened
 * here; the camera file is read now so that a wrong one is refused before any hardware is touched.
 */
async function createGenicamBooth(settings: Settings): Promise<Booth> {
  const { rig } = settings.hardware;
  const g = settings.hardware.camera.genicam;
  let intrinsics;
  try {
    intrinsics = await readIntrinsicsFile(g.intrinsics_file);
  } catch (err) {
    throw createError('GB_CONFIG_INVALID', `"hardware.camera.genicam.intrinsics_file": ${(err as Error).message}`);
  }
  const region = g.roi.width > 0 ? { x: g.roi.x, y: g.roi.y, width: g.roi.width, height: g.roi.height } : undefined;
  const camera = new GenicamCamera({
    id: g.id,
    triggerLine: g.trigger_line,
    wirePixelFormat: g.wire_pixel_format === '' ? undefined : g.wire_pixel_format,
    region,
    packetSizeBytes: g.packet_size_bytes,
    packetDelayNs: g.packet_delay_ns,
    reconnectMs: g.reconnect_ms,
    retryAbsentAtOpen: true,
    config: {
      exposureUs: g.exposure_us,
      gain: 10 ** (g.gain_db / 20),
      pixelFormat: g.pixel_format,
      triggerMode: g.trigger === 'line' ? 'hardware' : 'software',
      timeoutMs: g.frame_timeout_ms,
    },
  });
  const driver = new RigDriver({ portFactory: serialPortFactory(rig.port), config: { hostTimeoutMs: rig.host_timeout_ms } });
  return createHardwareBooth({
    rig: driver,
    camera,
    cameraTrigger: g.trigger,
    frameTimeoutMs: g.frame_timeout_ms,
    pixelFormat: g.pixel_format,
    intrinsics,
    widthPx: region?.width ?? 0,
    heightPx: region?.height ?? 0,
    card: boothCardFromSettings(settings),
  });
}

/**
 * The one booth builder, used by the daemon's composition root and by CLI commands that run a job
 * themselves, and the only place that chooses the booth's hardware: the simulated booth when asked
 * (--sim) or when the settings configure a simulated rig and camera; the hardware booth (serial rig +
 * GenICam camera) when they configure those. Any other combination has no camera that the rig's steps can
 * be captured with, and is refused with GB_HW_ABSENT rather than half-built.
 *
 * The command owns the data directory's hardware until booth.stop(): it takes the data-directory lock
 * first, so it refuses with GB_DATA_DIR_LOCKED (naming the pid and port) while a daemon or another
 * command holds it, and a daemon started meanwhile refuses in turn.
 */
export async function createBooth(settings: Settings, options: CreateBoothOptions = {}): Promise<Booth> {
  const { rig, camera } = settings.hardware;
  const simulated = options.sim === true || (rig.kind === 'simulated' && camera.kind === 'simulated');
  const hardware = !simulated && isHardwareBooth(settings);
  if (!simulated && !hardware) {
    throw createError('GB_HW_ABSENT', `no booth to capture with: hardware.rig.kind = ${rig.kind} with hardware.camera.kind = ${camera.kind} (a booth is a serial rig with a genicam camera, or the simulated rig and camera); use --sim for the simulated booth`);
  }
  if (hardware && options.size) throw createError('GB_USAGE', '--size sets the simulated camera\'s size; the GenICam camera delivers its sensor region (hardware.camera.genicam.roi)');
  // The daemon takes the lock itself (with its port and socket, before it listens); a CLI command takes it here.
  const lock = options.takeLock === false ? undefined : acquireDataDirLock(settings.data_dir, { command: options.command ?? 'a CLI booth command' }, options.log);
  try {
    const size = options.size ?? { widthPx: camera.width_px, heightPx: camera.height_px };
    const booth = hardware ? await createGenicamBooth(settings) : await createSimulatedBooth({
      ...size,
      log: options.log,
      hostTimeoutMs: rig.host_timeout_ms,
      card: boothCardFromSettings(settings),
      // The technician spreads the mirror-sphere placements over the tray (the triangulation baseline).
      sceneConfig: (c) => {
        c.chromeSphere.placement.maxShiftMm = Math.max(c.chromeSphere.placement.maxShiftMm, 22);
      },
    });
    if (!lock) return booth;
    const stopBooth = booth.stop.bind(booth);
    return Object.assign(booth, {
      async stop(): Promise<void> {
        try {
          await stopBooth();
        } finally {
          lock.release();
        }
      },
    });
  } catch (err) {
    lock?.release();
    throw err;
  }
}
