import type { GradeboothError } from '../../core/errors.ts';

/** A barcode read that passed validation and debounce. */
export interface BarcodeScan {
  code: string;
  /** AIM symbology identifier when the scanner reports one (HID-POS), e.g. "]C0" for Code 128. */
  symbology?: string;
  /** Wall-clock time of the read, ISO 8601. */
  at: string;
  /** Which scanner read it (its description). */
  source: string;
}

/** A read that did not parse: the GB_BARCODE_INVALID error says why; `text` is what was read. */
export interface BarcodeRejection {
  error: GradeboothError;
  text: string;
  at: string;
  source: string;
}

export type ScannerState = 'connecting' | 'connected' | 'disconnected';

export interface ScannerHealth {
  state: ScannerState;
  /** What the scanner is (configured device, path or "simulated"). */
  description: string;
  /** Last failure to open or the reason of the last disconnect. */
  lastError: string | undefined;
  lastCode: string | undefined;
  counters: { scans: number; rejected: number; duplicates: number; connects: number; disconnects: number };
}

/**
 * A barcode scanner port: delivers validated scans; keeps reconnecting on its own after an unplug. The
 * constructor stores its collaborators; start() begins connecting and stop() releases the device.
 */
export interface Scanner {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Subscribe to scans; returns the unsubscribe function. */
  onScan(listener: (scan: BarcodeScan) => void): () => void;
  /** Subscribe to reads that did not parse; returns the unsubscribe function. */
  onRejected(listener: (rejection: BarcodeRejection) => void): () => void;
  health(): ScannerHealth;
}
