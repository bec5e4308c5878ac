import type { Camera } from '../hardware/camera/camera.ts';
import type { RigDriver } from '../hardware/rig/driver.ts';
import type { Intrinsics } from '../calibration/mirror-sphere.ts';
import type { SimulatedBooth } from './simulated-booth.ts';

/**
 * A booth as the capture, calibration and scan code see it: the LED rig, the camera wired to the rig's
 * trigger output, and the camera's nominal lens model. `sim` is present only in the simulated booth, where
 * software can place scenes on the tray and read the truth back; nothing else may depend on it.
 */
export interface Booth {
  readonly kind: 'simulated' | 'real';
  readonly rig: RigDriver;
  readonly camera: Camera;
  /** Nominal pinhole intrinsics (px, pixel centres at +0.5) from the lens and sensor datasheet. */
  readonly intrinsics: Intrinsics;
  /** Frame size the camera delivers, px. */
  readonly widthPx: number;
  readonly heightPx: number;
  readonly sim: SimulatedBooth | undefined;
  /** Start the rig and open the camera; resolves when both are ready. */
  start(): Promise<void>;
  /** LEDs off, camera closed, rig stopped (and the simulator harness ended). Safe to call twice. */
  stop(): Promise<void>;
}
