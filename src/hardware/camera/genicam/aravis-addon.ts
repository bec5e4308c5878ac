import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createError } from '../../../core/errors.ts';

/** Where native/aravis/build.mjs puts the addon (built at install when libaravis-dev is present). */
export const aravisAddonPath = fileURLToPath(new URL('../../../../native/aravis/build/gradebooth_aravis.node', import.meta.url));

/** A camera found by discovery (GigE Vision broadcast on every interface, USB3 Vision enumeration). */
export interface DiscoveredCamera {
  /** Aravis device id (vendor-model-serial); what `open(id)` takes, as do an address or a serial. */
  id: string;
  vendor: string;
  model: string;
  serial: string;
  /** IP address (GigE Vision) or USB bus path. */
  address: string;
  protocol: string;
}

export interface OpenedCameraInfo {
  vendor: string;
  model: string;
  serial: string;
  firmware: string;
  /** The camera's DeviceID feature. */
  deviceId: string;
  protocol: string;
  address: string;
  userId: string;
  sensorWidth: number;
  sensorHeight: number;
  maxWidth: number;
  maxHeight: number;
  /** The camera's own PixelFormat entries (GenICam names). */
  pixelFormats: string[];
}

export interface NativeConfig {
  exposureUs: number;
  /** NaN: leave the gain alone (the camera has no gain feature). */
  gainDb: number;
  wirePixelFormat: string;
  /** Bits of the delivered samples (8, 12, 16): the stream thread shifts the wire format to this depth. */
  outBits: number;
  roiX: number;
  roiY: number;
  /** 0: keep the camera's region. */
  roiWidth: number;
  roiHeight: number;
  /** 'Software', a line ('Line0'), or '' for free run. */
  triggerSource: string;
  /** -1: leave, 0: negotiate the largest that passes, > 0: set. */
  packetSizeBytes: number;
  /** -1: leave. */
  packetDelayNs: number;
}

export interface NativeConfigResult {
  width: number;
  height: number;
  payloadBytes: number;
  exposureUs: number;
  gainDb: number;
  packetSizeBytes: number;
}

export interface NativeStatistics {
  completed: number;
  failures: number;
  underruns: number;
  resentPackets: number;
  missingPackets: number;
}

export interface NativeCallbacks {
  /** A lent buffer came back: status 0 = complete (ArvBufferStatus; -1 = wrong size or format). */
  onFrame(slot: number, generation: number, status: number, width: number, height: number, timestampNs: number, systemTimestampNs: number, blockId: number, receivedBytes: number): void;
  /** The GigE Vision control channel is lost (heartbeat failed). */
  onLost(): void;
}

declare const handleBrand: unique symbol;
export type CameraHandle = { readonly [handleBrand]: true };

/** The raw surface of native/aravis/addon.c; GenicamCamera is its only user besides discovery and tests. */
export interface AravisAddon {
  aravisVersion: string;
  list(): Promise<DiscoveredCamera[]>;
  open(id: string, callbacks: NativeCallbacks): [CameraHandle, Promise<OpenedCameraInfo>];
  configure(h: CameraHandle, config: NativeConfig): Promise<NativeConfigResult>;
  createStream(h: CameraHandle): Promise<void>;
  pushBuffer(h: CameraHandle, slot: number, data: Uint16Array): void;
  acquire(h: CameraHandle): Promise<void>;
  softwareTrigger(h: CameraHandle): Promise<void>;
  stopStream(h: CameraHandle): Promise<number[]>;
  close(h: CameraHandle): Promise<number[]>;
  features(h: CameraHandle, names: string[]): Promise<Record<string, string | null>>;
  statistics(h: CameraHandle): NativeStatistics;
  unpack(data: Uint16Array, wireFormat: string, pixels: number, outBits: number): void;
  wireBytes(wireFormat: string, pixels: number): number;
}

/** The addon, or why there is none (no libaravis at install, or it failed to load). */
export type AravisAvailability = { addon: AravisAddon; reason?: undefined } | { addon?: undefined; reason: string };

const cache = new Map<string, AravisAvailability>();

/** Load the addon (once per path; the path is for tests of a machine without it); never throws. */
export function loadAravis(path = aravisAddonPath): AravisAvailability {
  const known = cache.get(path);
  if (known) return known;
  let result: AravisAvailability;
  if (!existsSync(path)) {
    result = { reason: `the GenICam addon is not built (${path} is missing): install libaravis-dev (Debian) and run \`node native/aravis/build.mjs\`` };
  } else {
    try {
      result = { addon: createRequire(import.meta.url)(path) as AravisAddon };
    } catch (err) {
      result = { reason: `the GenICam addon does not load: ${(err as Error).message} (is libaravis-0.8 installed?)` };
    }
  }
  cache.set(path, result);
  return result;
}

/** The addon, or GB_HW_ABSENT saying why there is none. */
export function requireAravis(): AravisAddon {
  const a = loadAravis();
  if (!a.addon) throw createError('GB_HW_ABSENT', `no GenICam camera support: ${a.reason}`);
  return a.addon;
}
