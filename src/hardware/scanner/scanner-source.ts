/** What an opened scanner says about itself; the decoder is chosen from it. */
export interface ScannerConnectionInfo {
  /** One line for status and logs, e.g. "HID 0c2e:0b61 /dev/hidraw3 (Honeywell Voyager 1450g)". */
  description: string;
  /** How its bytes are to be decoded. */
  protocol: 'keyboard' | 'pos' | 'serial';
  /** The HID report descriptor, when it could be read. */
  reportDescriptor?: Uint8Array;
}

/** An open scanner: a stream of byte chunks (one HID report per chunk, or any slice of a serial stream). */
export interface ScannerConnection {
  readonly info: ScannerConnectionInfo;
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Called once when the device goes away (unplug, I/O error) or is closed. */
  onClose(listener: (err: Error | undefined) => void): void;
  close(): Promise<void>;
}

/** Where scanner bytes come from: a HID device, a serial port, or the simulated scanner. */
export interface ScannerSource {
  /** Configured kind: hid, serial, simulated. */
  readonly kind: string;
  /** What is configured, for status while nothing is open. */
  describe(): string;
  /** Open the device; rejects GB_HW_ABSENT when it is not there (the scanner retries). */
  open(): Promise<ScannerConnection>;
}
