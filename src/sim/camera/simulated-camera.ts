import { createError } from '../../core/errors.ts';
import type { Clock } from '../../core/clock.ts';
import type { SceneRenderer } from '../render/scene-renderer.ts';
import type { RigPinEvent, RigPinSource } from '../../hardware/rig/pins.ts';
import type { CameraConfig, CameraInfo } from '../../hardware/camera/camera.ts';
import { QueuedCamera, type TriggerInfo } from '../../hardware/camera/camera-base.ts';

export interface SimulatedCameraOptions {
  /** Renders the booth's scene; the camera starts and stops it with open()/close(). Set its scene first. */
  renderer: SceneRenderer;
  /** The rig's pins: in hardware-trigger mode a rising trigger edge exposes with its lit levels. */
  pinSource?: RigPinSource;
  /** LED levels (24 × 0..4095) lit during a software-triggered exposure; default all off (a dark frame). */
  softwareLevels?: () => readonly number[];
  /** Time source for software-trigger timestamps. */
  clock?: Clock;
  /** Base seed of the sensor noise (frame n uses noiseSeed + n). */
  noiseSeed?: number;
  serial?: string;
  /** Stream frame buffers (CameraConfig.bufferCount; default 32): frames queued or held beyond this are dropped. */
  bufferCount?: number;
}

/**
 * The simulated booth camera. Hardware-trigger mode: subscribes to the rig's pin events and exposes on each
 * rising edge of the trigger pin with exactly the LED levels lit at that edge, for the configured exposure;
 * a trigger that arrives while the previous exposure is still running (in simulated time) is dropped with
 * an error event, as a real sensor ignores it. Software mode: exposes on softwareTrigger().
 */
export class SimulatedCamera extends QueuedCamera {
  private readonly options: SimulatedCameraOptions;
  private unsubscribe: (() => void) | null = null;
  private exposureEndUs = -Infinity;
  private triggersSeen = 0;
  private framesToWithhold = 0;

  constructor(options: SimulatedCameraOptions) {
    super(options.bufferCount);
    this.options = options;
  }

  /**
   * A fault for the fault suite: the next `count` triggers expose nothing and deliver no frame, silently, as a
   * camera whose data link stalls while its trigger input still fires (the capture then times out).
   */
  withholdFrames(count: number): void {
    this.framesToWithhold = Math.max(0, Math.floor(count));
  }

  /** Rising trigger edges seen since acquisition started (including dropped ones). */
  get triggerCount(): number {
    return this.triggersSeen;
  }

  protected async openDevice(): Promise<CameraInfo> {
    const r = this.options.renderer;
    await r.start();
    const s = r.geometry.sensor;
    this.config = { ...this.config, exposureUs: s.defaultExposureUs, gain: s.defaultGain };
    return {
      vendor: 'gradebooth',
      model: 'simulated booth camera',
      serial: this.options.serial ?? 'SIM-0001',
      widthPx: r.widthPx,
      heightPx: r.heightPx,
      pixelFormats: ['Mono8', 'Mono12', 'Mono16'],
      adcBits: s.adcBits,
      blackLevelDn: s.blackLevelDn,
    };
  }

  protected async closeDevice(): Promise<void> {
    await this.options.renderer.stop();
  }

  protected override validateConfig(config: CameraConfig): void {
    if (config.triggerMode === 'hardware' && !this.options.pinSource) {
      throw createError('GB_HW_ABSENT', 'simulated camera: hardware trigger mode needs a rig pin source');
    }
  }

  protected override armTriggers(): void {
    this.exposureEndUs = -Infinity;
    this.triggersSeen = 0;
    this.unsubscribe = this.options.pinSource?.onPinEvent((e) => this.onPin(e)) ?? null;
  }

  protected override disarmTriggers(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private onPin(event: RigPinEvent): void {
    if (event.kind !== 'trigger' || !event.high) return;
    this.triggersSeen++;
    if (this.framesToWithhold > 0) {
      this.framesToWithhold--;
      return;
    }
    if (event.timeUs < this.exposureEndUs) {
      this.emitError(createError('GB_CAMERA_FAULT', `simulated camera: trigger at ${event.timeUs} µs ignored, exposure runs until ${this.exposureEndUs} µs`, { timeUs: event.timeUs }));
      return;
    }
    this.exposureEndUs = event.timeUs + this.config.exposureUs;
    this.trigger({ timestampUs: event.timeUs, litLevels: [...event.litLevels] });
  }

  protected override softwareTimestampUs(): number {
    return Math.round((this.options.clock?.monotonicMs() ?? performance.now()) * 1000);
  }

  protected async exposeInto(trigger: TriggerInfo, frameIndex: number, out: Uint16Array): Promise<void> {
    const r = this.options.renderer;
    const levels = trigger.litLevels ?? this.options.softwareLevels?.() ?? new Array(r.ledCount).fill(0);
    if (levels.length !== r.ledCount) {
      throw createError('GB_CAMERA_FAULT', `simulated camera: expected ${r.ledCount} LED levels, got ${levels.length}`);
    }
    // The exposure kernel packs the pixel format itself (saves a pass over 12 MP per frame) and writes
    // straight into the stream buffer.
    const pack = this.config.pixelFormat === 'Mono16' ? 'msb16' : this.config.pixelFormat === 'Mono8' ? 'msb8' : 'raw';
    await r.expose({ levels, exposureUs: this.config.exposureUs, gain: this.config.gain, seed: (this.options.noiseSeed ?? 1) * 7919 + frameIndex, pack, out });
  }
}
