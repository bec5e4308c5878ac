import type { Camera } from '../hardware/camera/camera.ts';
import type { Rig } from '../hardware/rig/rig.ts';
import type { Intrinsics } from '../geometry/intrinsics.ts';
import type { Booth, BoothCard } from './booth.ts';

export interface HardwareBoothParts {
  /** The rig, e.g. a RigDriver on serialPortFactory('/dev/serial/by-id/…'). */
  rig: Rig;
  /** The camera, its trigger input wired to the rig's trigger output. */
  camera: Camera;
  /** Lens/sensor intrinsics from the camera file (calibration/camera-file.ts readIntrinsicsFile). */
  intrinsics: Intrinsics;
  widthPx: number;
  heightPx: number;
  /** The card stock from settings (`booth.card`). */
  card: BoothCard;
}

/**
 * A booth of real parts: a serial rig and a hardware-triggered camera. Nothing here knows which camera
 * it is; the composition root picks it (the GenICam camera driver is a later issue, so no command builds
 * one yet — createBooth() refuses with GB_HW_ABSENT).
 */
export function createHardwareBooth(parts: HardwareBoothParts): Booth {
  let started = false;
  let stopped = false;
  return {
    kind: 'real',
    rig: parts.rig,
    camera: parts.camera,
    intrinsics: parts.intrinsics,
    widthPx: parts.widthPx,
    heightPx: parts.heightPx,
    card: parts.card,
    sim: undefined,
    async start() {
      if (started) return;
      started = true;
      await parts.rig.start();
      try {
        await parts.rig.ready(10_000, { failFast: true });
        await parts.camera.open();
      } catch (err) {
        await parts.rig.stop().catch(() => undefined);
        throw err;
      }
    },
    async stop() {
      if (stopped || !started) return;
      stopped = true;
      await parts.rig.allOff().catch(() => undefined);
      await parts.camera.close().catch(() => undefined);
      await parts.rig.stop().catch(() => undefined);
    },
  };
}
