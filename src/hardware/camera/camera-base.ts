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
  type CameraStreamStatistics,
  type PixelFormat,
} from './camera.ts';
import { FrameBufferPool, type FrameBufferLease } from './frame-buffer-pool.ts';

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

type FrameFields = Omit<CameraFrame, 'data' | 'release'>;

/** A frame whose samples are on loan from the camera's buffer pool until release(). */
class StreamFrame implements CameraFrame {
  readonly width: number;
  readonly height: number;
  readonly pixelFormat: PixelFormat;
  readonly timestampUs: number;
  readonly frameId: number;
  readonly exposureUs: number;
  readonly gain: number;
  /** Waiting in the camera's queue, in the application's hands, or given back. */
  location: 'queued' | 'held' | 'released' = 'queued';
  private lease: FrameBufferLease | null;
  private readonly giveBack: (frame: StreamFrame, lease: FrameBufferLease) => void;

  constructor(fields: FrameFields, lease: FrameBufferLease, giveBack: (frame: StreamFrame, lease: FrameBufferLease) => void) {
    this.width = fields.width;
    this.height = fields.height;
    this.pixelFormat = fields.pixelFormat;
    this.timestampUs = fields.timestampUs;
    this.frameId = fields.frameId;
    this.exposureUs = fields.exposureUs;
    this.gain = fields.gain;
    this.lease = lease;
    this.giveBack = giveBack;
  }

  get data(): Uint16Array {
    // A released buffer is refilled by a later exposure: reading it would silently see another frame.
    if (this.lease === null) throw createError('GB_CONFLICT', `camera: frame ${this.frameId} was read after release(); its buffer belongs to a later exposure`);
    return this.lease.data;
  }

  release(): void {
    const lease = this.lease;
    if (lease === null) return;
    this.lease = null;
    this.giveBack(this, lease);
  }
}

/**
 * The stream behaviour every camera shares: states, configuration checks, a pool of frame buffers (like
 * GenICam stream buffers: allocated once, lazily, given back by the application with frame.release(); an
 * exposure that finds none free is dropped with a 'buffer-underrun' error event), a queue of delivered
 * frames, readers with timeouts, and ordered exposure of triggers. Subclasses say how to open and how to
 * expose into a buffer.
 */
export abstract class QueuedCamera implements Camera {
  protected config: CameraConfig = { ...defaultCameraConfig };
  protected info: CameraInfo | null = null;
  private currentState: CameraState = 'closed';
  private readonly emitter = new EventEmitter();
  private readonly queue: StreamFrame[] = [];
  private readonly waiters: Waiter[] = [];
  private nextFrameId = 0;
  private exposing: Promise<void> = Promise.resolve();
  private readonly pool: FrameBufferPool;
  private heldCount = 0;
  private completed = 0;
  private underruns = 0;

  constructor(bufferCount?: number) {
    if (bufferCount !== undefined) this.config.bufferCount = bufferCount;
    this.pool = new FrameBufferPool(this.config.bufferCount);
  }

  get state(): CameraState {
    return this.currentState;
  }

  /** What open() returned while the camera is open (null when closed or lost). */
  get openedInfo(): CameraInfo | null {
    return this.info;
  }

  protected abstract openDevice(): Promise<CameraInfo>;
  protected abstract closeDevice(): Promise<void>;
  /**
   * Expose for a trigger under the current configuration and write the frame, in the configured pixel
   * format, into `out` (width × height samples, SharedArrayBuffer-backed, holding an older frame's data).
   */
  protected abstract exposeInto(trigger: TriggerInfo, frameIndex: number, out: Uint16Array): Promise<void>;
  /** Called when acquisition starts/stops (hardware mode: subscribe/unsubscribe the trigger line). */
  protected armTriggers(): void {}
  protected disarmTriggers(): void {}

  async open(): Promise<CameraInfo> {
    if (this.currentState !== 'closed' && this.info) return this.info;
    this.info = await this.openDevice();
    this.currentState = 'open';
    this.nextFrameId = 0;
    this.completed = 0;
    this.underruns = 0;
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
    if (!(Number.isInteger(next.bufferCount) && next.bufferCount >= 1 && next.bufferCount <= 1024)) throw createError('GB_VALIDATION', `camera: bufferCount must be an integer 1..1024, got ${config.bufferCount}`);
    this.validateConfig(next);
    this.config = next;
    this.pool.setBufferCount(next.bufferCount);
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
    this.discardQueue();
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
      if (this.currentState !== 'acquiring' || !this.info) return;
      const { widthPx, heightPx } = this.info;
      // The buffer is taken when the exposure is read out (the previous one has finished by then), so a
      // frame released while earlier triggers were still exposing is already available.
      const lease = this.pool.take(widthPx * heightPx);
      if (!lease) {
        this.underrun();
        return;
      }
      try {
        await this.exposeInto(trigger, this.nextFrameId, lease.data);
      } catch (err) {
        this.pool.give(lease);
        this.emitError(isGradeboothError(err) ? err : createError('GB_CAMERA_FAULT', `camera: exposure failed: ${(err as Error).message}`));
        return;
      }
      if (this.currentState !== 'acquiring' || !this.info) {
        this.pool.give(lease);
        return;
      }
      const fields: FrameFields = {
        width: widthPx,
        height: heightPx,
        pixelFormat: config.pixelFormat,
        timestampUs: trigger.timestampUs,
        frameId: this.nextFrameId++,
        exposureUs: config.exposureUs,
        gain: config.gain,
      };
      this.deliver(new StreamFrame(fields, lease, this.giveBack));
    });
  }

  /**
   * For cameras whose frames arrive by themselves (a GenICam stream): lend a free buffer of the current
   * frame size for the device to fill, or null when every buffer is in use. Give it back with
   * returnBuffer() or deliverFilled().
   */
  protected lendBuffer(): FrameBufferLease | null {
    if (!this.info) return null;
    return this.pool.take(this.info.widthPx * this.info.heightPx);
  }

  /** A lent buffer the device did not fill goes back to the pool. */
  protected returnBuffer(lease: FrameBufferLease): void {
    this.pool.give(lease);
  }

  /** Deliver a frame the device wrote into a lent buffer (the frame id is assigned here, in arrival order). */
  protected deliverFilled(lease: FrameBufferLease, fields: Omit<FrameFields, 'frameId'>): void {
    if (this.currentState !== 'acquiring') {
      this.pool.give(lease);
      return;
    }
    this.deliver(new StreamFrame({ ...fields, frameId: this.nextFrameId++ }, lease, this.giveBack));
  }

  /** A frame was lost for want of a free buffer (see underrun()). */
  protected recordUnderrun(): void {
    this.underrun();
  }

  /** Called after a frame's buffer went back to the pool (a streaming camera lends it to the device again). */
  protected bufferReleased(): void {}

  /** No free buffer: the frame is lost (its id is used up, so readers see the gap, as with GenICam block ids). */
  private underrun(): void {
    const frameId = this.nextFrameId++;
    this.underruns++;
    const bufferCount = this.pool.bufferCount;
    const queued = this.queue.length;
    const held = this.heldCount;
    this.emitError(createError(
      'GB_CAMERA_FAULT',
      `camera: buffer underrun, frame ${frameId} dropped: all ${bufferCount} frame buffers are in use (${queued} delivered frames unread, ${held} held by the application); release() frames when done with them or raise bufferCount`,
      { reason: 'buffer-underrun', frameId, bufferCount, queued, held },
    ));
  }

  private readonly giveBack = (frame: StreamFrame, lease: FrameBufferLease): void => {
    if (frame.location === 'queued') {
      const i = this.queue.indexOf(frame);
      if (i >= 0) this.queue.splice(i, 1);
    } else if (frame.location === 'held') {
      this.heldCount--;
    }
    frame.location = 'released';
    this.pool.give(lease);
    this.bufferReleased();
  };

  private handOut(frame: StreamFrame): StreamFrame {
    frame.location = 'held';
    this.heldCount++;
    return frame;
  }

  private deliver(frame: StreamFrame): void {
    this.completed++;
    this.emitter.emit('frame', frame);
    if (frame.location === 'released') return; // a listener discarded it
    const w = this.waiters.shift();
    if (w) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve(this.handOut(frame));
      return;
    }
    this.queue.push(frame);
  }

  /** Unread frames go back to the pool. */
  private discardQueue(): void {
    for (const f of this.queue.splice(0)) f.release();
  }

  /** Tell listeners of a non-error event (subclasses: 'reconnected', 'disconnected'). */
  protected emitEvent<K extends keyof CameraEvents>(event: K, value: CameraEvents[K]): void {
    this.emitter.emit(event, value);
  }

  protected emitError(err: GradeboothError): void {
    if (this.emitter.listenerCount('error') > 0) this.emitter.emit('error', err);
  }

  /** The device went away: readers fail (GB_CAMERA_LOST), the camera is closed, listeners hear `disconnected`. */
  protected async markDisconnected(reason: string): Promise<void> {
    this.disarmTriggers();
    this.currentState = 'closed';
    this.info = null;
    this.discardQueue();
    this.pool.clear();
    this.rejectWaiters(createError('GB_CAMERA_LOST', `camera disconnected: ${reason}`));
    this.emitter.emit('disconnected', { reason });
  }

  async nextFrame(timeoutMs?: number): Promise<CameraFrame> {
    const queued = this.queue.shift();
    if (queued) return this.handOut(queued);
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
    this.pool.clear();
  }

  streamStatistics(): CameraStreamStatistics {
    const p = this.pool;
    return { bufferCount: p.bufferCount, allocated: p.allocated, free: p.freeCount, queued: this.queue.length, held: this.heldCount, completed: this.completed, underruns: this.underruns };
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
