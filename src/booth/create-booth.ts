import { createError } from '../core/errors.ts';
import type { Settings } from '../config/schema.ts';
import type { Booth, BoothCard } from './booth.ts';
import { createSimulatedBooth } from './simulated-booth.ts';
import { acquireDataDirLock } from '../storage/data-dir-lock.ts';

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

/** Whether these settings (and --sim) make a booth this build can run: the simulated one. */
export function boothAvailable(settings: Settings, options: { sim?: boolean } = {}): boolean {
  const { rig, camera } = settings.hardware;
  return options.sim === true || (rig.kind === 'simulated' && camera.kind === 'simulated');
}

/**
 * The one booth builder, used by the daemon's composition root and by CLI commands that run a job
 * themselves. The booth for a technician or operator command: the simulated booth when asked (--sim) or when the
 * settings configure a simulated rig and camera. A real booth needs the GenICam camera driver, which this
 * build does not have: that is refused with GB_HW_ABSENT rather than half-built.
 *
 * The command owns the data directory's hardware until booth.stop(): it takes the data-directory lock
 * first, so it refuses with GB_DATA_DIR_LOCKED (naming the pid and port) while a daemon or another
 * command holds it, and a daemon started meanwhile refuses in turn.
 */
export async function createBooth(settings: Settings, options: CreateBoothOptions = {}): Promise<Booth> {
  const { rig, camera } = settings.hardware;
  const simulated = options.sim === true || (rig.kind === 'simulated' && camera.kind === 'simulated');
  if (!simulated) {
    throw createError('GB_HW_ABSENT', `no booth camera driver in this build (hardware.camera.kind = ${camera.kind}, hardware.rig.kind = ${rig.kind}); use --sim for the simulated booth`);
  }
  // The daemon takes the lock itself (with its port and socket, before it listens); a CLI command takes it here.
  const lock = options.takeLock === false ? undefined : acquireDataDirLock(settings.data_dir, { command: options.command ?? 'a CLI booth command' }, options.log);
  try {
    const size = options.size ?? { widthPx: camera.width_px, heightPx: camera.height_px };
    const booth = await createSimulatedBooth({
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
