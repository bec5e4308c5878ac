import { createError } from '../../core/errors.ts';
import { keyboardLayout, type LayoutName } from '../../hardware/scanner/keyboard-layouts.ts';
import type { ScannerConnection, ScannerConnectionInfo, ScannerSource } from '../../hardware/scanner/scanner-source.ts';
import { encodeKeyboardReports, type KeyboardEncodeOptions } from './keyboard-encoder.ts';

/**
 * The simulated booth's barcode scanner: a keyboard-wedge scanner that is "plugged in" until unplug().
 * scan() types a code as boot keyboard reports, one report per read like hidraw delivers them, into the
 * very decoder a real HID scanner's reports go through.
 */
export class SimulatedScannerSource implements ScannerSource {
  readonly kind = 'simulated';
  private readonly layout: LayoutName;
  private plugged = true;
  private connection: SimulatedConnection | undefined;

  constructor(options: { layout: LayoutName }) {
    this.layout = options.layout;
  }

  describe(): string {
    return `simulated keyboard-wedge scanner (${this.layout} layout)`;
  }

  async open(): Promise<ScannerConnection> {
    if (!this.plugged) throw createError('GB_HW_ABSENT', 'the simulated scanner is unplugged');
    this.connection = new SimulatedConnection({ description: this.describe(), protocol: 'keyboard' });
    return this.connection;
  }

  /** Whether a scanner connection is open (the daemon's scanner has connected). */
  get connected(): boolean {
    return this.connection?.open === true;
  }

  /** Type `code` as the scanner would; resolves when every report has been delivered. */
  async scan(code: string, options: KeyboardEncodeOptions = {}): Promise<void> {
    await this.sendReports(encodeKeyboardReports(code, keyboardLayout(this.layout), options));
  }

  /** Deliver raw reports (or any byte chunks), one per read; rejects GB_HW_ABSENT when nothing is connected. */
  async sendReports(chunks: Uint8Array[]): Promise<void> {
    const c = this.connection;
    if (!c?.open) throw createError('GB_HW_ABSENT', 'the simulated scanner is not connected (unplugged, or the daemon has not opened it)');
    for (const chunk of chunks) {
      // Reads arrive as separate I/O callbacks, as from hidraw; never all in one tick.
      await new Promise((resolve) => setImmediate(resolve));
      c.deliver(chunk);
    }
  }

  /** Pull the cable: the open connection fails and opening fails until plug(). */
  unplug(): void {
    this.plugged = false;
    this.connection?.fail(new Error('device unplugged'));
  }

  plug(): void {
    this.plugged = true;
  }
}

class SimulatedConnection implements ScannerConnection {
  readonly info: ScannerConnectionInfo;
  open = true;
  private readonly dataListeners: Array<(chunk: Uint8Array) => void> = [];
  private readonly closeListeners: Array<(err: Error | undefined) => void> = [];

  constructor(info: ScannerConnectionInfo) {
    this.info = info;
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (err: Error | undefined) => void): void {
    this.closeListeners.push(listener);
  }

  deliver(chunk: Uint8Array): void {
    if (this.open) for (const l of this.dataListeners) l(chunk);
  }

  fail(err: Error | undefined): void {
    if (!this.open) return;
    this.open = false;
    for (const l of this.closeListeners) l(err);
  }

  async close(): Promise<void> {
    this.fail(undefined);
  }
}
