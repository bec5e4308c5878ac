import type { GradeboothError } from '../../core/errors.ts';

/**
 * One interface for every camera: the simulated camera, the replay camera and the GenICam camera through
 * Aravis (genicam/genicam-camera.ts). Shaped after GenICam: configure features, start acquisition, trigger (software command or
 * the hardware line), receive frames from a buffer queue, stop, close.
 */
export type PixelFormat = 'Mono8' | 'Mono12' | 'Mono16';
export type TriggerMode = 'software' | 'hardware';

export interface CameraConfig {
  exposureUs: number;
  /** Analog gain, linear (1 = unity). */
  gain: number;
  /** Mono8: 0..255; Mono12: 0..4095 (unpacked); Mono16: 0..65535 (12-bit ADC codes × 16). All in Uint16Array. */
  pixelFormat: PixelFormat;
  triggerMode: TriggerMode;
  /** Default wait for a frame in nextFrame()/frames(), ms. */
  timeoutMs: number;
  /**
   * Frame buffers of the stream (allocated lazily, reused after release()). Every frame queued or held by
   * the application occupies one; a frame that finds none free is dropped (an underrun). A capture that
   * keeps all its frames until it has processed them needs at least that many.
   */
  bufferCount: number;
}

/**
 * A delivered frame. Its samples live in one of the camera's stream buffers: whoever reads it (nextFrame()
 * or frames()) owns it and must call release() once the data is no longer needed, so the buffer can take a
 * later exposure. 'frame' event listeners only look: they must not keep the frame past the call.
 */
export interface CameraFrame {
  readonly width: number;
  readonly height: number;
  readonly pixelFormat: PixelFormat;
  /** Row-major samples, black level included (as the camera delivers them). Throws GB_CONFLICT after release(). */
  readonly data: Uint16Array;
  /** Start of exposure, µs (camera/simulated clock; for hardware triggers, the trigger edge time). */
  timestampUs: number;
  /** Increments by one per delivered frame since open(). */
  frameId: number;
  exposureUs: number;
  gain: number;
  /** Give the buffer back to the camera (idempotent). The data must not be used afterwards: the buffer is refilled by a later exposure. */
  release(): void;
}

/** The stream's buffers (after Aravis' stream statistics): where they are and what was lost for want of one. */
export interface CameraStreamStatistics {
  /** Configured limit (CameraConfig.bufferCount). */
  bufferCount: number;
  /** Buffers allocated so far (grows lazily up to bufferCount; all dropped at close()). */
  allocated: number;
  /** Allocated buffers free for the next exposure. */
  free: number;
  /** Delivered frames waiting to be read. */
  queued: number;
  /** Frames handed to the application and not yet released (including frames read before a close()). */
  held: number;
  /** Frames delivered since open(). */
  completed: number;
  /** Frames dropped since open() because no buffer was free. */
  underruns: number;
  /** GenICam streams: frames that arrived incomplete or unusable since open() (missing packets, wrong size). */
  failed?: number;
  /** GigE Vision streams: packets the host asked the camera to resend, and packets that never came. */
  resentPackets?: number;
  missingPackets?: number;
}

export interface CameraInfo {
  vendor: string;
  model: string;
  serial: string;
  widthPx: number;
  heightPx: number;
  pixelFormats: PixelFormat[];
  adcBits: number;
  /** Black level in ADC codes (Mono12 units). */
  blackLevelDn: number;
}

export interface CameraEvents {
  frame: CameraFrame;
  /** Recoverable problems: dropped trigger, buffer underrun (details.reason 'buffer-underrun'), render failure (GB_CAMERA_FAULT). */
  error: GradeboothError;
  disconnected: { reason: string };
  /** The device is back after a disconnect and open again (not acquiring): a new capture may start. */
  reconnected: CameraInfo;
}

export type CameraState = 'closed' | 'open' | 'acquiring';

export interface Camera {
  readonly state: CameraState;
  /** Connect; returns what the camera is. Rejects GB_CAMERA_FAULT / GB_HW_ABSENT. */
  open(): Promise<CameraInfo>;
  /** Change settings (only while not acquiring: GB_CONFLICT otherwise); returns the full configuration. */
  configure(config: Partial<CameraConfig>): Promise<CameraConfig>;
  /** Arm: from now on triggers produce frames (hardware mode: the trigger line is watched). */
  startAcquisition(): Promise<void>;
  /** Disarm; queued (unread) frames are discarded and their buffers freed; waiting readers are rejected. Frames already read stay valid until released. */
  stopAcquisition(): Promise<void>;
  /** Expose now (software trigger mode only). */
  softwareTrigger(): Promise<void>;
  /** The next frame; rejects GB_CAMERA_TIMEOUT after timeoutMs (default: configured timeoutMs). */
  nextFrame(timeoutMs?: number): Promise<CameraFrame>;
  /** Frames as they arrive, until acquisition stops or the signal aborts; throws GB_CAMERA_TIMEOUT. */
  frames(signal?: AbortSignal): AsyncIterableIterator<CameraFrame>;
  /** Stop, close and drop the stream's free buffers; frames still held stay valid until released. */
  close(): Promise<void>;
  /** Where the stream's buffers are, and frames completed and lost since open(). */
  streamStatistics(): CameraStreamStatistics;
  /** Subscribe to an event; returns the unsubscribe function. */
  on<K extends keyof CameraEvents>(event: K, listener: (value: CameraEvents[K]) => void): () => void;
}

export const defaultCameraConfig: CameraConfig = {
  exposureUs: 10000,
  gain: 1,
  pixelFormat: 'Mono16',
  triggerMode: 'software',
  timeoutMs: 2000,
  // A side capture holds dark + 24 LED frames until it has stored and reconstructed them.
  bufferCount: 32,
};

/** Convert raw 12-bit ADC codes into a pixel format (the camera's own packing, not a radiometric change). */
export function packPixels(raw: Uint16Array, format: PixelFormat, adcBits = 12): Uint16Array {
  const out = new Uint16Array(raw.length);
  if (format === 'Mono12' && adcBits === 12) {
    out.set(raw);
  } else if (format === 'Mono16') {
    const shift = 16 - adcBits;
    for (let i = 0; i < raw.length; i++) out[i] = raw[i] << shift;
  } else {
    const shift = adcBits - (format === 'Mono8' ? 8 : 12);
    for (let i = 0; i < raw.length; i++) out[i] = shift >= 0 ? raw[i] >> shift : raw[i] << -shift;
  }
  return out;
}
