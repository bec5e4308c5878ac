import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type * as NodeHid from 'node-hid';
import { createError } from '../../core/errors.ts';
import { POS_USAGE_PAGE } from './pos-decoder.ts';
import type { ScannerConnection, ScannerConnectionInfo, ScannerSource } from './scanner-source.ts';

export interface HidSourceOptions {
  /** 0 = any vendor. */
  vendorId: number;
  /** 0 = any product. */
  productId: number;
  /** A hidraw path (/dev/hidraw3); overrides the ids when given. */
  path: string;
  /** keyboard: boot keyboard reports; pos: usage page 0x8C; auto: from the interface's usage page. */
  protocol: 'auto' | 'keyboard' | 'pos';
  /** Loads node-hid (injected for tests); default: a dynamic import, done only when a HID scanner opens. */
  loadHid?: () => Promise<typeof NodeHid>;
}

const GENERIC_DESKTOP = 0x01;
const KEYBOARD = 0x06;

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

let hidModule: Promise<typeof NodeHid> | undefined;

/** node-hid needs libusb-1.0 at load time, so it is imported only when a HID scanner is configured. */
async function loadNodeHid(): Promise<typeof NodeHid> {
  hidModule ??= import('node-hid').then((m) => ((m as unknown as { default?: typeof NodeHid }).default ?? m) as typeof NodeHid);
  try {
    return await hidModule;
  } catch (err) {
    hidModule = undefined;
    throw createError('GB_HW_ABSENT', `cannot load node-hid for the HID barcode scanner (it needs the system library libusb-1.0-0): ${(err as Error).message}`);
  }
}

/** Rank the interfaces of the configured device: the protocol asked for first, POS before keyboard on auto. */
export function pickHidInterface(devices: NodeHid.Device[], options: Pick<HidSourceOptions, 'vendorId' | 'productId' | 'path' | 'protocol'>): NodeHid.Device | undefined {
  const candidates = devices.filter((d) => {
    if (d.path === undefined) return false;
    if (options.path !== '') return d.path === options.path;
    return (options.vendorId === 0 || d.vendorId === options.vendorId) && (options.productId === 0 || d.productId === options.productId);
  });
  const isPos = (d: NodeHid.Device) => d.usagePage === POS_USAGE_PAGE;
  const isKeyboard = (d: NodeHid.Device) => d.usagePage === GENERIC_DESKTOP && d.usage === KEYBOARD;
  if (options.protocol === 'pos') return candidates.find(isPos);
  if (options.protocol === 'keyboard') return candidates.find(isKeyboard) ?? (options.path !== '' ? candidates[0] : undefined);
  return candidates.find(isPos) ?? candidates.find(isKeyboard) ?? (options.path !== '' ? candidates[0] : undefined);
}

/** Linux exposes each hidraw node's report descriptor in sysfs; elsewhere (or on failure) there is none. */
async function readSysfsDescriptor(path: string): Promise<Uint8Array | undefined> {
  if (!path.startsWith('/dev/hidraw')) return undefined;
  try {
    return new Uint8Array(await readFile(`/sys/class/hidraw/${basename(path)}/device/report_descriptor`));
  } catch {
    return undefined;
  }
}

/**
 * A USB HID scanner through node-hid (hidraw on Linux): a keyboard-wedge interface (boot keyboard reports)
 * or a HID-POS interface (usage page 0x8C). node-hid has no hot-plug events, so the scanner's reconnect
 * loop re-enumerates; a read error (unplug) closes the connection.
 */
export class HidScannerSource implements ScannerSource {
  readonly kind = 'hid';
  private readonly options: HidSourceOptions;

  constructor(options: HidSourceOptions) {
    this.options = options;
  }

  describe(): string {
    const o = this.options;
    return o.path !== '' ? `HID ${o.path}` : `HID ${o.vendorId === 0 ? 'any' : hex4(o.vendorId)}:${o.productId === 0 ? 'any' : hex4(o.productId)} (${o.protocol})`;
  }

  async open(): Promise<ScannerConnection> {
    const hid = await (this.options.loadHid ?? loadNodeHid)();
    const devices = await hid.devicesAsync();
    const device = pickHidInterface(devices, this.options);
    if (!device?.path) {
      throw createError('GB_HW_ABSENT', `no HID barcode scanner matches ${this.describe()} (${devices.length} HID interfaces present; is it plugged in, and may this user open its hidraw node?)`);
    }
    let handle: NodeHid.HIDAsync;
    try {
      handle = await hid.HIDAsync.open(device.path, { nonExclusive: true });
    } catch (err) {
      throw createError('GB_HW_ABSENT', `cannot open HID scanner ${device.path}: ${(err as Error).message}`);
    }
    const protocol: 'keyboard' | 'pos' = this.options.protocol !== 'auto' ? this.options.protocol : device.usagePage === POS_USAGE_PAGE ? 'pos' : 'keyboard';
    const info: ScannerConnectionInfo = {
      description: `HID ${hex4(device.vendorId)}:${hex4(device.productId)} ${device.path}${device.product ? ` (${device.product})` : ''}`,
      protocol,
    };
    const descriptor = await readSysfsDescriptor(device.path);
    if (descriptor) info.reportDescriptor = descriptor;
    return new HidConnection(handle, info);
  }
}

class HidConnection implements ScannerConnection {
  readonly info: ScannerConnectionInfo;
  private readonly handle: NodeHid.HIDAsync;
  private closed = false;
  private readonly closeListeners: Array<(err: Error | undefined) => void> = [];

  constructor(handle: NodeHid.HIDAsync, info: ScannerConnectionInfo) {
    this.handle = handle;
    this.info = info;
    handle.on('error', (err: Error) => void this.finish(err));
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.handle.on('data', (data: Buffer) => listener(new Uint8Array(data)));
  }

  onClose(listener: (err: Error | undefined) => void): void {
    this.closeListeners.push(listener);
  }

  close(): Promise<void> {
    return this.finish(undefined);
  }

  private async finish(err: Error | undefined): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handle.removeAllListeners('data');
    try {
      await this.handle.close();
    } catch {
      // Already gone (unplugged): nothing left to release.
    }
    for (const l of this.closeListeners) l(err);
  }
}
