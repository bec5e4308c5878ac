import type { DeviceStatus, ManagedDevice } from '../device.ts';
import type { Camera, CameraInfo } from './camera.ts';

/**
 * A camera as a daemon device: opened at start, closed at stop, and reported in /api/status with what it
 * is (model, serial, size). A camera that fails to open is reported as a fault with the reason.
 */
export class CameraDevice implements ManagedDevice {
  private readonly kind: string;
  private readonly camera: Camera;
  private info: CameraInfo | undefined;
  private lastError: string | undefined;
  private disconnected: string | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(kind: string, camera: Camera) {
    this.kind = kind;
    this.camera = camera;
  }

  async start(): Promise<void> {
    const offLost = this.camera.on('disconnected', ({ reason }) => {
      this.disconnected = reason;
    });
    const offBack = this.camera.on('reconnected', (info) => {
      // Back after a drop, or found at last after failing to open at start.
      this.disconnected = undefined;
      this.lastError = undefined;
      this.info = info;
    });
    this.unsubscribe = () => {
      offLost();
      offBack();
    };
    try {
      this.info = await this.camera.open();
      this.lastError = undefined;
    } catch (err) {
      this.lastError = (err as Error).message;
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.camera.state !== 'closed') await this.camera.close();
  }

  status(): DeviceStatus {
    const base = { device: 'camera' as const, kind: this.kind };
    if (this.lastError !== undefined) return { ...base, state: 'fault', detail: `camera failed to open: ${this.lastError}` };
    if (this.disconnected !== undefined) return { ...base, state: 'disconnected', detail: `camera disconnected: ${this.disconnected}` };
    if (this.camera.state === 'closed' || !this.info) return { ...base, state: 'disconnected', detail: 'camera closed' };
    const i = this.info;
    // Frame buffers and underruns: a consumer that forgets release() shows here as held buffers.
    const stream = this.camera.streamStatistics();
    return {
      ...base,
      state: 'connected',
      detail: `${i.vendor} ${i.model}, serial ${i.serial}, ${i.widthPx}×${i.heightPx}, ${this.camera.state}`,
      info: { vendor: i.vendor, model: i.model, serial: i.serial, widthPx: i.widthPx, heightPx: i.heightPx, pixelFormats: i.pixelFormats, adcBits: i.adcBits, stream },
    };
  }
}
