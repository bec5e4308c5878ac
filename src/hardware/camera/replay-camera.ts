import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createError } from '../../core/errors.ts';
import type { Clock } from '../../core/clock.ts';
import { readPng } from '../../imaging/png.ts';
import type { RasterImage } from '../../imaging/image.ts';
import type { RigPinEvent, RigPinSource } from '../rig/pins.ts';
import type { CameraInfo } from './camera.ts';
import { QueuedCamera, type TriggerInfo } from './camera-base.ts';

export interface ReplayCameraOptions {
  /** A capture folder in the common format (filenames.txt lists the frames in order). */
  folder: string;
  /** In hardware-trigger mode each rising trigger edge serves the next frame. */
  pinSource?: RigPinSource;
  /** Start again at the first frame after the last (default false: then an error event per trigger). */
  loop?: boolean;
  clock?: Clock;
  serial?: string;
  /** Stream frame buffers (CameraConfig.bufferCount; default 32). */
  bufferCount?: number;
}

/**
 * A camera that serves the frames of a folder in filenames.txt order, one per trigger (software or the
 * rig's trigger line). Frames are served as stored, converted to the configured pixel format (8-bit
 * files count as the top 8 bits of a 16-bit sample); exposure and gain settings are recorded, not applied.
 */
export class ReplayCamera extends QueuedCamera {
  private readonly options: ReplayCameraOptions;
  private files: string[] = [];
  private first: RasterImage | null = null;
  private next = 0;
  private unsubscribe: (() => void) | null = null;

  constructor(options: ReplayCameraOptions) {
    super(options.bufferCount);
    this.options = options;
  }

  protected async openDevice(): Promise<CameraInfo> {
    let list: string;
    try {
      list = await readFile(join(this.options.folder, 'filenames.txt'), 'utf8');
    } catch (err) {
      throw createError('GB_HW_ABSENT', `replay camera: ${this.options.folder}/filenames.txt cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    this.files = list.split('\n').map((s) => s.trim()).filter((s) => s !== '');
    if (this.files.length === 0) throw createError('GB_DATASET_INVALID', `replay camera: ${this.options.folder}/filenames.txt lists no frames`);
    this.first = await this.load(0);
    this.next = 0;
    return {
      vendor: 'gradebooth',
      model: 'replay camera',
      serial: this.options.serial ?? `REPLAY:${this.options.folder}`,
      widthPx: this.first.width,
      heightPx: this.first.height,
      pixelFormats: ['Mono8', 'Mono12', 'Mono16'],
      adcBits: 16,
      blackLevelDn: 0,
    };
  }

  /** Number of frames in the folder. */
  get frameCount(): number {
    return this.files.length;
  }

  private async load(index: number): Promise<RasterImage> {
    const img = await readPng(join(this.options.folder, this.files[index]));
    if (this.first && (img.width !== this.first.width || img.height !== this.first.height)) {
      throw createError('GB_DATASET_INVALID', `replay camera: ${this.files[index]} is ${img.width}×${img.height}, expected ${this.first.width}×${this.first.height}`);
    }
    return img;
  }

  protected async closeDevice(): Promise<void> {
    this.first = null;
  }

  protected override armTriggers(): void {
    this.unsubscribe = this.options.pinSource?.onPinEvent((e: RigPinEvent) => {
      if (e.kind === 'trigger' && e.high) this.trigger({ timestampUs: e.timeUs });
    }) ?? null;
  }

  protected override disarmTriggers(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  protected override validateConfig(config: { triggerMode: string }): void {
    if (config.triggerMode === 'hardware' && !this.options.pinSource) {
      throw createError('GB_HW_ABSENT', 'replay camera: hardware trigger mode needs a rig pin source');
    }
  }

  protected override softwareTimestampUs(): number {
    return Math.round((this.options.clock?.monotonicMs() ?? performance.now()) * 1000);
  }

  protected async exposeInto(_trigger: TriggerInfo, _frameIndex: number, out: Uint16Array): Promise<void> {
    if (this.next >= this.files.length) {
      if (!this.options.loop) throw createError('GB_CAMERA_FAULT', `replay camera: all ${this.files.length} frames served`);
      this.next = 0;
    }
    const img = await this.load(this.next++);
    // Grey from the first channel as a 16-bit sample (8-bit samples × 257), then the format's top bits.
    const scale = img.bitDepth === 8 ? 257 : 1;
    const shift = this.config.pixelFormat === 'Mono16' ? 0 : this.config.pixelFormat === 'Mono8' ? 8 : 4;
    const { data, channels } = img;
    for (let i = 0; i < out.length; i++) out[i] = (data[i * channels] * scale) >> shift;
  }
}
