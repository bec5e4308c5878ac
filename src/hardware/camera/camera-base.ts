import { EventEmitter } from 'node:events';
import { createError, isGradeboothError, type GradeboothError } from '../../core/errors.ts';
import {
  defaultCameraConfig,
  type Camera,
  type CameraConfig,
  type CameraEvents,
  type CameraFrame,
  type CameraInfo,
  type CameraState,
  type PixelFormat,
} from './camera.ts';

/** What triggered an exposure: its time (µs) and, from a rig, the LED levels lit at that instant. */
export interface TriggerInfo {
  timestampUs: number;
  litLevels?: readonly number[];
}

interface Waiter {
  resolve: (f: CameraFrame) => void;
  reject: (e: GradeboothError) => void;
  timer: NodeJS.Timeout | undefined;
}

const pixelFormats: PixelFormat[] = ['Mono8', 'Mono12', 'Mono16'];

/**
 * The buffer-queue behaviour every camera shares: states, configuration checks, a bounded frame queue
 * (like GenICam stream buffers: when full, new frames are dropped with an error event), readers with
 * timeouts, and ordered exposure of triggers. Subclasses say how to open and how to expose.
 */
export abstract class QueuedCamera implements Camera {
  protected config: CameraConfig = { ...defaultCameraConfig };
  protected info: CameraInfo | null = null;
  private currentState: CameraState = 'closed';
  private readonly emitter = new EventEmitter();
  private readonly queue: CameraFrame[] = [];
  private readonly waiters: Waiter[] = [];
  private nextFrameId = 0;
  private exposing: Promise<void> = Promise.resolve();
  private readonly bufferCount: number;

  constructor(bufferCount = 16) {
    this.bufferCount = bufferCount;
  }

  get state(): CameraState {
    return this.currentState;
  }

  protected abstract openDevice(): Promise<CameraInfo>;
  protected abstract closeDevice(): Promise<void>;
  /** Produce the raw frame for a trigger (Mono12 ADC codes), under the current configuration. */
  protected abstract exposeRaw(trigger: TriggerInfo, frameIndex: number): Promise<Uint16Array>;
  /** Convert the raw exposure into the configured pixel format. */
  protected abstract pack(raw: Uint16Array): Uint16Array;
  /** Called when acquisition starts/stops (hardware mode: subscribe/unsubscribe the trigger line). */
  protected armTriggers(): void {}
  protected disarmTriggers(): void {}

  async open(): Promise<CameraInfo> {
    if (this.currentState !== 'closed' && this.info) return this.info;
    this.info = await this.openDevice();
    this.currentState = 'open';
    this.nextFrameId = 0;
    return this.info;
  }

  async configure(config: Partial<CameraConfig>): Promise<CameraConfig> {
    this.requireOpen('configure');
    if (this.currentState === 'acquiring') throw createError('GB_CONFLICT', 'camera: configure() while acquiring; call stopAcquisition() first');
    const next = { ...this.config, ...config };
    if (!(Number.isFinite(next.exposureUs) && next.exposureUs >= 1 && next.exposureUs <= 10_000_000)) {
      throw createError('GB_VALIDATION', `camera: exposureUs must be 1..10000000, got ${config.exposureUs}`);
    }
    if (!(Number.isFinite(next.gain) && next.gain >= 1 && next.gain <= 64)) throw createError('GB_VALIDATION', `camera: gain must be 1..64, got ${config.gain}`);
    if (!pixelFormats.includes(next.pixelFormat)) throw createError('GB_VALIDATION', `camera: pixelFormat must be one of ${pixelFormats.join(', ')}, got ${config.pixelFormat}`);
    if (next.triggerMode !== 'software' && next.triggerMode !== 'hardware') throw createError('GB_VALIDATION', `camera: triggerMode must be software or hardware, got ${config.triggerMode}`);
    if (!(next.timeoutMs > 0)) throw createError('GB_VALIDATION', `camera: timeoutMs must be > 0, got ${config.timeoutMs}`);
    this.validateConfig(next);
    this.config = next;
    return { ...next };
  }

  /** Subclass hook to refuse configurations it cannot honour. */
  protected validateConfig(_config: CameraConfig): void {}

  async startAcquisition(): Promise<void> {
    this.requireOpen('startAcquisition');
    if (this.currentState === 'acquiring') return;
    this.currentState = 'acquiring';
    if (this.config.triggerMode === 'hardware') this.armTriggers();
  }

  async stopAcquisition(): Promise<void> {
    if (this.currentState !== 'acquiring') return;
    this.disarmTriggers();
    this.currentState = 'open';
    await this.exposing.catch(() => undefined);
    this.queue.length = 0;
    this.rejectWaiters(createError('GB_CAMERA_FAULT', 'camera: acquisition stopped while waiting for a frame'));
  }

  async softwareTrigger(): Promise<void> {
    if (this.currentState !== 'acquiring') throw createError('GB_CONFLICT', `camera: softwareTrigger() needs acquisition started (state ${this.currentState})`);
    if (this.config.triggerMode !== 'software') throw createError('GB_CONFLICT', 'camera: softwareTrigger() in hardware trigger mode');
    this.trigger({ timestampUs: this.softwareTimestampUs() });
  }

  /** Time stamp of a software trigger, µs. */
  protected softwareTimestampUs(): number {
    return Math.round(performance.now() * 1000);
  }

  /** Queue an exposure for a trigger; exposures run one after another in trigger order. */
  protected trigger(trigger: TriggerInfo): void {
    const config = { ...this.config };
    this.exposing = this.exposing.then(async () => {
      if (this.currentState !== 'acquiring') return;
      let raw: Uint16Array;
      try {
        raw = await this.exposeRaw(trigger, this.nextFrameId);
      } catch (err) {
        this.emitError(isGradeboothError(err) ? err : createError('GB_CAMERA_FAULT', `camera: exposure failed: ${(err as Error).message}`));
        return;
      }
      if (this.currentState !== 'acquiring' || !this.info) return;
      const frame: CameraFrame = {
        width: this.info.widthPx,
        height: this.info.heightPx,
        pixelFormat: config.pixelFormat,
        data: this.pack(raw),
        timestampUs: trigger.timestampUs,
        frameId: this.nextFrameId++,
        exposureUs: config.exposureUs,
        gain: config.gain,
      };
      this.deliver(frame);
    });
  }

  private deliver(frame: CameraFrame): void {
    this.emitter.emit('frame', frame);
    const w = this.waiters.shift();
    if (w) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve(frame);
      return;
    }
    if (this.queue.length >= this.bufferCount) {
      this.emitError(createError('GB_CAMERA_FAULT', `camera: all ${this.bufferCount} buffers full, frame ${frame.frameId} dropped`));
      return;
    }
    this.queue.push(frame);
  }

  protected emitError(err: GradeboothError): void {
    if (this.emitter.listenerCount('error') > 0) this.emitter.emit('error', err);
  }

  /** The device went away: readers fail, the camera is closed, listeners hear `disconnected`. */
  protected async markDisconnected(reason: string): Promise<void> {
    this.disarmTriggers();
    this.currentState = 'closed';
    this.info = null;
    this.queue.length = 0;
    this.rejectWaiters(createError('GB_CAMERA_FAULT', `camera disconnected: ${reason}`));
    this.emitter.emit('disconnected', { reason });
  }

  async nextFrame(timeoutMs?: number): Promise<CameraFrame> {
    const queued = this.queue.shift();
    if (queued) return queued;
    if (this.currentState !== 'acquiring') throw createError('GB_CONFLICT', `camera: nextFrame() needs acquisition started (state ${this.currentState})`);
    const wait = timeoutMs ?? this.config.timeoutMs;
    return new Promise<CameraFrame>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      waiter.timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(createError('GB_CAMERA_TIMEOUT', `camera: no frame within ${wait} ms (${this.config.triggerMode} trigger)`));
      }, wait);
      this.waiters.push(waiter);
    });
  }

  async *frames(signal?: AbortSignal): AsyncIterableIterator<CameraFrame> {
    while (this.currentState === 'acquiring' || this.queue.length > 0) {
      if (signal?.aborted) return;
      try {
        yield await this.nextFrame();
      } catch (err) {
        // Stopping acquisition ends the stream; a timeout is the caller's to handle.
        if (isGradeboothError(err) && err.code !== 'GB_CAMERA_TIMEOUT' && this.currentState !== 'acquiring') return;
        throw err;
      }
    }
  }

  async close(): Promise<void> {
    if (this.currentState === 'closed') return;
    await this.stopAcquisition();
    await this.closeDevice();
    this.currentState = 'closed';
    this.info = null;
  }

  on<K extends keyof CameraEvents>(event: K, listener: (value: CameraEvents[K]) => void): () => void {
    this.emitter.on(event, listener as (v: unknown) => void);
    return () => this.emitter.off(event, listener as (v: unknown) => void);
  }

  private requireOpen(what: string): void {
    if (this.currentState === 'closed') throw createError('GB_CONFLICT', `camera: ${what}() before open()`);
  }

  private rejectWaiters(err: GradeboothError): void {
    for (const w of this.waiters.splice(0)) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(err);
    }
  }
}
