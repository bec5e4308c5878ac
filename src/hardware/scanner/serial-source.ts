import { SerialPort } from 'serialport';
import { createError } from '../../core/errors.ts';
import type { ScannerConnection, ScannerSource } from './scanner-source.ts';

/**
 * A serial barcode scanner (USB CDC-ACM such as /dev/ttyACM0, or RS-232): opened through serialport;
 * a closed port (unplug) ends the connection and the scanner reopens the path when it comes back.
 */
export class SerialScannerSource implements ScannerSource {
  readonly kind = 'serial';
  private readonly path: string;
  private readonly baudRate: number;

  constructor(options: { path: string; baudRate: number }) {
    this.path = options.path;
    this.baudRate = options.baudRate;
  }

  describe(): string {
    return `serial ${this.path} @ ${this.baudRate} baud`;
  }

  open(): Promise<ScannerConnection> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false });
      port.open((err) => {
        if (err) reject(createError('GB_HW_ABSENT', `cannot open serial barcode scanner ${this.path}: ${err.message}`, { path: this.path }));
        else resolve(new SerialConnection(port, this.describe()));
      });
    });
  }
}

class SerialConnection implements ScannerConnection {
  readonly info;
  private readonly port: SerialPort;
  private closeError: Error | undefined;

  constructor(port: SerialPort, description: string) {
    this.port = port;
    this.info = { description, protocol: 'serial' as const };
    port.on('error', (err: Error) => {
      this.closeError = err;
    });
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.port.on('data', (data: Buffer) => listener(new Uint8Array(data)));
  }

  onClose(listener: (err: Error | undefined) => void): void {
    this.port.once('close', (err: Error | null | undefined) => listener(err ?? this.closeError));
  }

  close(): Promise<void> {
    if (!this.port.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.port.close(() => resolve()));
  }
}
