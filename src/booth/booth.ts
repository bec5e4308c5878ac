import type { Camera, PixelFormat } from '../hardware/camera/camera.ts';
import type { CaptureTrigger } from '../capture/sequencer.ts';
import type { Rig } from '../hardware/rig/rig.ts';
import type { Intrinsics } from '../geometry/intrinsics.ts';
import type { SimulatedBooth } from './simulated-booth.ts';

/** The card stock the booth is set up for (settings `booth.card`), mm. */
export interface BoothCard {
  widthMm: number;
  heightMm: number;
  cornerRadiusMm: number;
  /** The card's top surface is this far above the tray: where the scan evaluates the LED light field. */
  thicknessMm: number;
}

/**
 * A booth as the capture, calibration and scan code see it: the LED rig, the camera wired to the rig's
 * trigger output, and the camera's nominal lens model. `sim` is present only in the simulated booth, where
 * software can place scenes on the tray and read the truth back; nothing else may depend on it.
 */
export interface Booth {
  readonly kind: 'simulated' | 'real';
  readonly rig: Rig;
  readonly camera: Camera;
  /** How exposures start (default 'line': the rig's trigger output); see CaptureTrigger. */
  readonly cameraTrigger?: CaptureTrigger;
  /** The booth's longest wait for one frame in a capture, ms (default: the capture's 15 000). */
  readonly frameTimeoutMs?: number;
  /** The samples this booth's captures ask for (default Mono16). */
  readonly pixelFormat?: PixelFormat;
  /** Nominal pinhole intrinsics (px, pixel centres at +0.5) from the lens and sensor datasheet. */
  readonly intrinsics: Intrinsics;
  /** Frame size the camera delivers, px. */
  readonly widthPx: number;
  readonly heightPx: number;
  /** The configured card stock: what scan segments, rectifies and lights for. */
  readonly card: BoothCard;
  readonly sim: SimulatedBooth | undefined;
  /** Start the rig and open the camera; resolves when both are ready. */
  start(): Promise<void>;
  /** LEDs off, camera closed, rig stopped (and the simulator harness ended). Safe to call twice. */
  stop(): Promise<void>;
}
