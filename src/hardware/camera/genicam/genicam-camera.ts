import { createError, isGradeboothError, type GradeboothError } from '../../../core/errors.ts';
import { QueuedCamera, type TriggerInfo } from '../camera-base.ts';
import type { CameraConfig, CameraInfo, CameraStreamStatistics } from '../camera.ts';
import type { FrameBufferLease } from '../frame-buffer-pool.ts';
import { requireAravis, type AravisAddon, type CameraHandle, type DiscoveredCamera, type NativeStatistics, type OpenedCameraInfo } from './aravis-addon.ts';
import { chooseWireFormat, deliverableFormats, deliveredBits, wireFormatBits } from './pixel-formats.ts';

export interface GenicamRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GenicamCameraOptions {
  /** Aravis device id, serial, user id or IP address; '' opens the first camera found. */
  id: string;
  /** The camera input wired to the rig's trigger output (hardware trigger, rising edge). */
  triggerLine?: string;
  /** Force this GenICam PixelFormat on the wire (e.g. 'Mono12Packed'); default: the best for the delivered format. */
  wirePixelFormat?: string;
  /** Sensor region; default: the camera's current one. */
  region?: GenicamRegion;
  /** GigE Vision stream packet size, bytes: 0 negotiates the largest that passes, undefined leaves the camera's. */
  packetSizeBytes?: number;
  /** GigE Vision inter-packet delay, ns (bandwidth sharing between cameras on one link). */
  packetDelayNs?: number;
  /** After the camera drops off, try to open it again this often, ms (0: never). */
  reconnectMs?: number;
  /**
   * A camera that cannot be found at open() is looked for again every reconnectMs too (`reconnected`
   * when it comes): the daemon's booth, powered up before its camera or started while it is unplugged.
   * open() still rejects at once, so its caller reports the camera absent meanwhile. Default false.
   */
  retryAbsentAtOpen?: boolean;
  /** Stream buffers (default 32, as every camera). */
  bufferCount?: number;
  /** Exposure, gain, pixel format, frame timeout written at every open (and reconnect) until configure() changes them. */
  config?: Partial<Omit<CameraConfig, 'bufferCount'>>;
  /** The addon (tests inject it; default: native/aravis, GB_HW_ABSENT when not built). */
  addon?: AravisAddon;
}

/** What `gradebooth camera identify` reports beyond CameraInfo. */
export interface GenicamIdentity extends OpenedCameraInfo {
  /** The id this camera was opened with. */
  openedAs: string;
  /** The wire format in use and the negotiated packet size. */
  wirePixelFormat: string;
  packetSizeBytes: number;
}

const statusNames: Record<number, string> = {
  [-1]: 'wrong size or pixel format',
  1: 'cleared',
  2: 'timeout',
  3: 'missing packets',
  4: 'wrong packet id',
  5: 'size mismatch',
  6: 'filling',
  7: 'aborted',
  8: 'payload not supported',
};

/** A failing camera call as a GB_ error: an unreachable camera is lost, a refused value is a validation error. */
function cameraError(what: string, err: unknown): GradeboothError {
  if (isGradeboothError(err)) return err;
  const msg = (err as Error).message;
  if (/timeout|timed out|not found|no device|unreachable|refused/i.test(msg)) return createError('GB_CAMERA_LOST', `camera: ${what}: ${msg}`);
  if (/range|invalid|not available|unknown|not writable|not implemented/i.test(msg)) return createError('GB_VALIDATION', `camera: ${what} refused by the camera: ${msg}`);
  return createError('GB_CAMERA_FAULT', `camera: ${what}: ${msg}`);
}

/**
 * An industrial GenICam camera (GigE Vision, USB3 Vision) through Aravis, behind the same Camera interface
 * as the simulated and replay cameras. Stream buffers are the frame-buffer pool's: a buffer is lent to the
 * Aravis stream (one per software trigger; in hardware-trigger mode every free one, topped up as frames are
 * released), the camera's packets are written into it, the stream thread unpacks Mono8/packed formats in
 * place, and the same memory is the delivered frame. A lost control channel (the camera's process killed,
 * cable pulled) rejects waiting readers with GB_CAMERA_LOST, emits `disconnected`, and the camera is opened
 * again every reconnectMs; `reconnected` tells when a new capture may start.
 */
export class GenicamCamera extends QueuedCamera {
  private readonly options: GenicamCameraOptions;
  private addon: AravisAddon | undefined;
  private handle: CameraHandle | undefined;
  private identity: GenicamIdentity | undefined;
  /** Buffers lent to the current stream, by slot number. */
  private readonly lent = new Map<number, FrameBufferLease>();
  private nextSlot = 0;
  /** The addon's stream number for this handle (it counts createStream calls from 1). */
  private streamGeneration = 0;
  private streaming = false;
  /** Native calls one at a time (a camera has one control channel). */
  private ops: Promise<unknown> = Promise.resolve();
  private failedFrames = 0;
  private nativeUnderrunsSeen = 0;
  private statsBase: NativeStatistics = { completed: 0, failures: 0, underruns: 0, resentPackets: 0, missingPackets: 0 };
  private lastStats: NativeStatistics | undefined;
  private closing = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private lostReason: string | undefined;
  /** Software triggers in order: each one's frame (or timeout) lets the next go. */
  private triggerTurn: Promise<void> = Promise.resolve();
  private exposureDone: Promise<void> = Promise.resolve();
  private readonly pendingExposures: Array<() => void> = [];

  constructor(options: GenicamCameraOptions) {
    super(options.bufferCount);
    this.options = options;
    if (options.config) this.config = { ...this.config, ...options.config };
  }

  /** Vendor, model, serial, firmware, sensor size and the camera's own pixel formats (after open()). */
  get genicamIdentity(): GenicamIdentity | undefined {
    return this.identity;
  }

  /** Read features as strings (null: the camera has no such feature), e.g. to check the trigger set-up. */
  async readFeatures(names: string[]): Promise<Record<string, string | null>> {
    const h = this.requireHandle('readFeatures');
    return this.serial(() => this.addonOf().features(h, names)).catch((err) => {
      throw cameraError('reading features', err);
    });
  }

  private addonOf(): AravisAddon {
    this.addon ??= this.options.addon ?? requireAravis();
    return this.addon;
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.ops.then(op, op);
    this.ops = next.catch(() => undefined);
    return next;
  }

  private requireHandle(what: string): CameraHandle {
    if (!this.handle) throw createError('GB_CONFLICT', `camera: ${what}() before open()`);
    return this.handle;
  }

  /**
   * What to hand Aravis' open: a GigE Vision camera by its own IP address. Opened by device id or serial,
   * Aravis streams to the address of the interface the discovery broadcast was answered on, which need not
   * be the one that reaches the camera: on a host with eth0 and a camera on 127.0.0.1 the frames went to
   * eth0's address and never arrived (GB_CAMERA_TIMEOUT). By address it asks that camera directly, through
   * the interface that routes to it.
   */
  private async openId(addon: { list(): Promise<DiscoveredCamera[]> }): Promise<string> {
    const id = this.options.id;
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(id)) return id;
    const found = await addon.list().catch(() => [] as DiscoveredCamera[]);
    const camera = id === '' ? found[0] : found.find((c) => c.id === id || c.serial === id);
    return camera && camera.protocol === 'GigEVision' && camera.address !== '' ? camera.address : id;
  }

  protected override async openDevice(): Promise<CameraInfo> {
    const addon = this.addonOf();
    const [handle, opened] = addon.open(await this.openId(addon), {
      onFrame: (...args) => this.onFrame(handle, ...args),
      onLost: () => this.lose(handle, 'the camera stopped answering its heartbeat (unplugged, powered off or its process killed)'),
    });
    let info: OpenedCameraInfo;
    try {
      info = await opened;
    } catch (err) {
      const msg = (err as Error).message;
      throw createError('GB_HW_ABSENT', `camera: cannot open GenICam camera ${this.options.id === '' ? '(the first one found)' : `"${this.options.id}"`}: ${msg}`);
    }
    this.handle = handle;
    this.streamGeneration = 0;
    this.lostReason = undefined;
    this.lent.clear();
    this.failedFrames = 0;
    this.nativeUnderrunsSeen = 0;
    this.statsBase = addon.statistics(handle);
    this.lastStats = undefined;
    const pixelFormats = deliverableFormats(info.pixelFormats, this.options.wirePixelFormat);
    if (pixelFormats.length === 0) {
      await addon.close(handle).catch(() => undefined);
      this.handle = undefined;
      throw createError('GB_CAMERA_FAULT', `camera: ${info.vendor} ${info.model} offers no mono pixel format gradebooth can use (it has ${info.pixelFormats.join(', ')}${this.options.wirePixelFormat ? `; forced ${this.options.wirePixelFormat}` : ''})`);
    }
    if (!pixelFormats.includes(this.config.pixelFormat)) this.config.pixelFormat = pixelFormats.includes('Mono16') ? 'Mono16' : pixelFormats[pixelFormats.length - 1];
    const adcBits = Math.max(...info.pixelFormats.map((f) => wireFormatBits[f] ?? 0));
    const black = await addon.features(handle, ['BlackLevel', 'BlackLevelRaw']).catch(() => ({} as Record<string, string | null>));
    const blackLevelDn = Number(black.BlackLevel ?? black.BlackLevelRaw ?? 0) || 0;
    this.identity = { ...info, openedAs: this.options.id, wirePixelFormat: '', packetSizeBytes: 0 };
    const cameraInfo: CameraInfo = { vendor: info.vendor, model: info.model, serial: info.serial, widthPx: 0, heightPx: 0, pixelFormats, adcBits, blackLevelDn };
    this.info = cameraInfo;
    try {
      await this.applyToDevice(this.config, true);
    } catch (err) {
      await addon.close(handle).catch(() => undefined);
      this.handle = undefined;
      throw err;
    }
    return cameraInfo;
  }

  protected override validateConfig(config: CameraConfig): void {
    const formats = this.info?.pixelFormats;
    if (formats && !formats.includes(config.pixelFormat)) {
      throw createError('GB_VALIDATION', `camera: pixelFormat ${config.pixelFormat} is not available from ${this.info?.vendor} ${this.info?.model} (it can deliver ${formats.join(', ')})`);
    }
  }

  override async configure(config: Partial<CameraConfig>): Promise<CameraConfig> {
    const next = await super.configure(config);
    await this.applyToDevice(next, false);
    return next;
  }

  /** Write exposure, gain, pixel format, region, trigger and packet settings to the camera. */
  private async applyToDevice(config: CameraConfig, first: boolean): Promise<void> {
    const h = this.requireHandle('configure');
    const identity = this.identity;
    if (!identity || !this.info) throw createError('GB_CONFLICT', 'camera: configure() before open()');
    const wire = chooseWireFormat(config.pixelFormat, identity.pixelFormats, this.options.wirePixelFormat);
    if (!wire) throw createError('GB_VALIDATION', `camera: no wire format carries ${config.pixelFormat} (camera formats: ${identity.pixelFormats.join(', ')})`);
    const region = this.options.region;
    const result = await this.serial(() =>
      this.addonOf().configure(h, {
        exposureUs: config.exposureUs,
        gainDb: 20 * Math.log10(config.gain),
        wirePixelFormat: wire,
        outBits: deliveredBits[config.pixelFormat],
        roiX: region?.x ?? 0,
        roiY: region?.y ?? 0,
        roiWidth: region?.width ?? 0,
        roiHeight: region?.height ?? 0,
        triggerSource: config.triggerMode === 'hardware' ? (this.options.triggerLine ?? 'Line0') : 'Software',
        // Packet size and delay are link properties: set once per open, not at every configure.
        packetSizeBytes: first ? (this.options.packetSizeBytes ?? -1) : -1,
        packetDelayNs: first ? (this.options.packetDelayNs ?? -1) : -1,
      }),
    ).catch((err) => {
      throw cameraError('configure', err);
    });
    if (result.payloadBytes > result.width * result.height * 2) {
      throw createError('GB_CAMERA_FAULT', `camera: payload ${result.payloadBytes} bytes exceeds a ${result.width}×${result.height} 16-bit frame (chunk data enabled?); disable chunk mode`);
    }
    this.info.widthPx = result.width;
    this.info.heightPx = result.height;
    identity.wirePixelFormat = wire;
    if (first || result.packetSizeBytes > 0) identity.packetSizeBytes = result.packetSizeBytes;
  }

  protected override async closeDevice(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    if (!h) return;
    this.lastStats = this.nativeStatistics(h);
    const reclaimed = await this.serial(() => this.addonOf().close(h)).catch(() => [] as number[]);
    this.reclaim(reclaimed);
    this.streaming = false;
  }

  override async startAcquisition(): Promise<void> {
    if (this.state === 'acquiring') return;
    const h = this.requireHandle('startAcquisition');
    await this.serial(() => this.addonOf().createStream(h)).catch((err) => {
      throw cameraError('creating the stream', err);
    });
    this.streamGeneration++;
    this.streaming = true;
    await super.startAcquisition();
    if (this.config.triggerMode === 'hardware') this.topUp();
    await this.serial(() => this.addonOf().acquire(h)).catch(async (err) => {
      await this.stopAcquisition();
      throw cameraError('AcquisitionStart', err);
    });
  }

  override async stopAcquisition(): Promise<void> {
    if (this.state !== 'acquiring') return;
    const h = this.handle;
    if (h && this.streaming) {
      const reclaimed = await this.serial(() => this.addonOf().stopStream(h)).catch(() => [] as number[]);
      this.reclaim(reclaimed);
      this.streaming = false;
    }
    this.exposuresEnded(this.pendingExposures.length);
    // Frames of this stream still on their way from the stream thread are given back on arrival (streaming is off).
    await super.stopAcquisition();
  }

  override async softwareTrigger(): Promise<void> {
    if (this.state !== 'acquiring') throw createError('GB_CONFLICT', `camera: softwareTrigger() needs acquisition started (state ${this.state})`);
    if (this.config.triggerMode !== 'software') throw createError('GB_CONFLICT', 'camera: softwareTrigger() in hardware trigger mode');
    const h = this.requireHandle('softwareTrigger');
    // A camera still exposing or reading out ignores a trigger (GenICam trigger overlap; Aravis' fake camera
    // merges them), so each trigger waits until the previous one's frame is in, or its frame timeout passed.
    const previous = this.exposureDone;
    const turn = this.triggerTurn.then(() => this.waitForExposure(previous));
    let done!: () => void;
    this.exposureDone = new Promise<void>((resolve) => (done = resolve));
    this.triggerTurn = turn;
    await turn;
    if (this.handle !== h || this.state !== 'acquiring') {
      done();
      throw createError('GB_CAMERA_LOST', 'camera: acquisition ended before the trigger could be sent');
    }
    // One buffer per trigger, taken now: with every buffer held, the frame is lost as an underrun, like any camera.
    const lease = this.lendBuffer();
    if (!lease) {
      done();
      this.recordUnderrun();
      return;
    }
    this.pendingExposures.push(done);
    this.lend(h, lease);
    const sent = this.serial(() => this.addonOf().softwareTrigger(h)).catch((err) => {
      const e = cameraError('TriggerSoftware', err);
      if (e.code === 'GB_CAMERA_LOST') this.lose(h, e.message);
      throw e;
    });
    // A camera that vanished answers no GVCP write: Aravis retries for seconds, but the capture learns it
    // within its frame timeout (the lost camera is still reported when Aravis gives up).
    const wait = this.config.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(createError('GB_CAMERA_TIMEOUT', `camera: the software trigger was not acknowledged within ${wait} ms (camera unreachable?)`)), wait);
    });
    sent.catch(() => undefined);
    try {
      await Promise.race([sent, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolve when the given exposure's frame arrived, or after the frame timeout (the frame is then lost). */
  private waitForExposure(exposure: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      // Kept referenced: the stream's events do not keep the process alive, and this wait is bounded.
      timer = setTimeout(resolve, this.config.timeoutMs);
    });
    return Promise.race([exposure, timeout]).finally(() => clearTimeout(timer));
  }

  /** Frames (complete or not) came in, or the stream ended: the waiting triggers may go. */
  private exposuresEnded(count: number): void {
    for (const done of this.pendingExposures.splice(0, count)) done();
  }

  override async close(): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    try {
      await super.close();
      // A camera lost before close() still has its native handle until the background close finishes.
      await this.ops.catch(() => undefined);
    } finally {
      this.closing = false;
    }
  }

  override async open(): Promise<CameraInfo> {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    try {
      return await super.open();
    } catch (err) {
      if (this.options.retryAbsentAtOpen && !this.closing && isGradeboothError(err) && err.code === 'GB_HW_ABSENT' && this.state === 'closed') {
        this.lostReason = err.message;
        this.scheduleReconnect();
      }
      throw err;
    }
  }

  override streamStatistics(): CameraStreamStatistics {
    const base = super.streamStatistics();
    const s = this.handle ? this.nativeStatistics(this.handle) : this.lastStats;
    return {
      ...base,
      underruns: base.underruns + (s?.underruns ?? 0),
      failed: this.failedFrames,
      resentPackets: s?.resentPackets ?? 0,
      missingPackets: s?.missingPackets ?? 0,
    };
  }

  /** The stream's counters since this open (the addon counts since its handle was made). */
  private nativeStatistics(h: CameraHandle): NativeStatistics {
    const s = this.addonOf().statistics(h);
    const b = this.statsBase;
    return { completed: s.completed - b.completed, failures: s.failures - b.failures, underruns: s.underruns - b.underruns, resentPackets: s.resentPackets - b.resentPackets, missingPackets: s.missingPackets - b.missingPackets };
  }

  /** Unused: frames come from the stream (onFrame), not from trigger(). */
  protected override async exposeInto(_trigger: TriggerInfo, _frameIndex: number, _out: Uint16Array): Promise<void> {
    throw createError('GB_INTERNAL', 'GenicamCamera frames come from the camera stream');
  }

  protected override bufferReleased(): void {
    if (this.state === 'acquiring' && this.config.triggerMode === 'hardware') this.topUp();
  }

  /** Hardware trigger: every free buffer waits in the stream, so a trigger edge always finds one while any is free. */
  private topUp(): void {
    const h = this.handle;
    if (!h || !this.streaming) return;
    for (let lease = this.lendBuffer(); lease; lease = this.lendBuffer()) this.lend(h, lease);
  }

  private lend(h: CameraHandle, lease: FrameBufferLease): void {
    const slot = this.nextSlot++ % 0x7fffffff;
    this.lent.set(slot, lease);
    this.addonOf().pushBuffer(h, slot, lease.data);
  }

  private reclaim(slots: number[]): void {
    for (const slot of slots) {
      const lease = this.lent.get(slot);
      this.lent.delete(slot);
      if (lease) this.returnBuffer(lease);
    }
  }

  private onFrame(from: CameraHandle, slot: number, generation: number, status: number, width: number, height: number, timestampNs: number, systemTimestampNs: number, blockId: number, receivedBytes: number): void {
    const lease = this.lent.get(slot);
    this.lent.delete(slot);
    if (!lease) return;
    this.exposuresEnded(1);
    if (from !== this.handle || !this.streaming || generation !== this.streamGeneration || this.state !== 'acquiring') {
      this.returnBuffer(lease);
      return;
    }
    this.reportNativeUnderruns(from);
    if (status !== 0) {
      this.failedFrames++;
      this.returnBuffer(lease);
      this.emitError(createError('GB_CAMERA_FAULT', `camera: frame (block ${blockId}) arrived incomplete: ${statusNames[status] ?? `status ${status}`} (${receivedBytes} bytes); it is dropped`, { reason: 'incomplete-frame', status, blockId }));
      if (this.config.triggerMode === 'hardware') this.topUp();
      return;
    }
    // Camera time stamps are ns on the camera's clock; a camera without one gets the host's arrival time.
    const timestampUs = Math.round((timestampNs > 0 ? timestampNs : systemTimestampNs) / 1000);
    this.deliverFilled(lease, { width, height, pixelFormat: this.config.pixelFormat, timestampUs, exposureUs: this.config.exposureUs, gain: this.config.gain });
  }

  /** Frames the camera sent while no buffer waited in the stream (hardware trigger faster than the application). */
  private reportNativeUnderruns(h: CameraHandle): void {
    const { underruns } = this.nativeStatistics(h);
    if (underruns <= this.nativeUnderrunsSeen) return;
    const lost = underruns - this.nativeUnderrunsSeen;
    this.nativeUnderrunsSeen = underruns;
    this.emitError(createError('GB_CAMERA_FAULT', `camera: buffer underrun, ${lost} frame(s) dropped by the stream: every buffer was in use when they arrived; release() frames sooner or raise bufferCount`, { reason: 'buffer-underrun', lost }));
  }

  /** The camera is gone: fail the capture in progress, close the dead handle, and try to open it again. */
  private lose(h: CameraHandle, reason: string): void {
    if (h !== this.handle || this.lostReason !== undefined) return;
    this.lostReason = reason;
    this.lastStats = this.nativeStatistics(h);
    this.handle = undefined;
    this.streaming = false;
    // The pool is cleared with the disconnect: lent buffers are dropped, not reused.
    this.lent.clear();
    this.exposuresEnded(this.pendingExposures.length);
    void this.markDisconnected(reason);
    // The dead handle is closed in the background (Aravis gives up on the lost device after its own timeouts).
    void this.serial(() => this.addonOf().close(h)).catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const every = this.options.reconnectMs ?? 1000;
    if (every <= 0 || this.closing) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closing || this.state !== 'closed' || this.lostReason === undefined) return;
      // super.open(): a failure here is rescheduled below, not by open()'s own retry.
      super.open().then(
        (info) => this.emitEvent('reconnected', info),
        () => this.scheduleReconnect(),
      );
    }, every);
    this.reconnectTimer.unref();
  }
}
