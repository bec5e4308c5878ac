import type { Camera, CameraInfo, PixelFormat } from '../hardware/camera/camera.ts';
import type { Rig } from '../hardware/rig/rig.ts';
import type { Intrinsics } from '../geometry/intrinsics.ts';
import type { CaptureTrigger } from '../capture/sequencer.ts';
import type { Booth, BoothCard } from './booth.ts';

/** A camera that says what it is while open (every QueuedCamera: GenicamCamera, ReplayCamera, …). */
export type DescribedCamera = Camera & { readonly openedInfo: CameraInfo | null };

export interface HardwareBoothParts {
  /** The rig, e.g. a RigDriver on serialPortFactory('/dev/serial/by-id/…'). */
  rig: Rig;
  /** The camera (GenicamCamera), its trigger input wired to the rig's trigger output unless cameraTrigger is 'software'. */
  camera: DescribedCamera;
  /** How exposures start (settings hardware.camera.genicam.trigger); see CaptureTrigger. */
  cameraTrigger: CaptureTrigger;
  /** Longest wait for any one frame in a capture, ms. */
  frameTimeoutMs: number;
  /** The samples captures ask for. */
  pixelFormat: PixelFormat;
  /** Lens/sensor intrinsics from the camera file (geometry/camera-file.ts readIntrinsicsFile). */
  intrinsics: Intrinsics;
  /** The configured frame size (the sensor region), px; 0 = the whole sensor, known once the camera is open. */
  widthPx: number;
  heightPx: number;
  /** The card stock from settings (`booth.card`). */
  card: BoothCard;
}

/**
 * A booth of real parts: a serial rig and a camera. Nothing here knows which camera it is; the one booth
 * builder (create-booth.ts) picks them from settings. The capture path is the simulated booth's
 * (captureSide over booth.rig and booth.camera); cameraTrigger says whether the firmware's trigger
 * output or the host's software trigger starts each exposure. The frame size is the camera's, as it
 * reported at its last open (it can differ from the configured region where the camera rounds it).
 */
export function createHardwareBooth(parts: HardwareBoothParts): Booth {
  let started = false;
  let stopped = false;
  let lastInfo: CameraInfo | null = null;
  const info = (): CameraInfo | null => {
    lastInfo = parts.camera.openedInfo ?? lastInfo;
    return lastInfo;
  };
  return {
    kind: 'real',
    rig: parts.rig,
    camera: parts.camera,
    cameraTrigger: parts.cameraTrigger,
    frameTimeoutMs: parts.frameTimeoutMs,
    pixelFormat: parts.pixelFormat,
    intrinsics: parts.intrinsics,
    get widthPx() {
      return info()?.widthPx ?? parts.widthPx;
    },
    get heightPx() {
      return info()?.heightPx ?? parts.heightPx;
    },
    card: parts.card,
    sim: undefined,
    async start() {
      if (started) return;
      started = true;
      await parts.rig.start();
      try {
        await parts.rig.ready(10_000, { failFast: true });
        lastInfo = await parts.camera.open();
      } catch (err) {
        // Closed too: a camera still being looked for must not turn up later with nobody to use it.
        await parts.camera.close().catch(() => undefined);
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
