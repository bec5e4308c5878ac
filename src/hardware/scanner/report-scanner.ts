import { isGradeboothError } from '../../core/errors.ts';
import type { ScanDecoder } from './decoded-code.ts';
import type { CodeFilter } from './code-filter.ts';
import type { BarcodeRejection, BarcodeScan, Scanner, ScannerHealth } from './scanner.ts';
import type { ScannerConnection, ScannerConnectionInfo, ScannerSource } from './scanner-source.ts';

export interface ReportScannerOptions {
  source: ScannerSource;
  /** The decoder for what was opened (keyboard layout, POS descriptor, serial lines). */
  decoderFor(info: ScannerConnectionInfo): ScanDecoder;
  filter: CodeFilter;
  /** Wait between attempts to open the device while it is absent, ms. */
  reconnectMs: number;
  /** Monotonic clock, ms (injected for tests). */
  nowMs?: () => number;
  /** Called with each failure to open or decode, for the log. */
  log?: (message: string) => void;
}

/**
 * A scanner from any byte source: opens it (retrying every `reconnectMs` while absent or after an unplug),
 * decodes its chunks, and hands validated, debounced codes to listeners. Real HID, serial and simulated
 * scanners all run through this one class, so the simulator exercises the real decoding path.
 */
export class ReportScanner implements Scanner {
  private readonly options: ReportScannerOptions;
  private readonly scanListeners = new Set<(scan: BarcodeScan) => void>();
  private readonly rejectListeners = new Set<(rejection: BarcodeRejection) => void>();
  private connection: ScannerConnection | undefined;
  private decoder: ScanDecoder | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private running = false;
  private opening: Promise<void> | undefined;
  private readonly h: ScannerHealth;

  constructor(options: ReportScannerOptions) {
    this.options = options;
    this.h = {
      state: 'disconnected',
      description: options.source.describe(),
      lastError: undefined,
      lastCode: undefined,
      counters: { scans: 0, rejected: 0, duplicates: 0, connects: 0, disconnects: 0 },
    };
  }

  private now(): number {
    return this.options.nowMs ? this.options.nowMs() : performance.now();
  }

  /** Begin connecting; resolves after the first attempt, whether or not the device was there. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.attempt();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.opening;
    const c = this.connection;
    this.connection = undefined;
    this.h.state = 'disconnected';
    await c?.close();
  }

  onScan(listener: (scan: BarcodeScan) => void): () => void {
    this.scanListeners.add(listener);
    return () => this.scanListeners.delete(listener);
  }

  onRejected(listener: (rejection: BarcodeRejection) => void): () => void {
    this.rejectListeners.add(listener);
    return () => this.rejectListeners.delete(listener);
  }

  health(): ScannerHealth {
    return { ...this.h, counters: { ...this.h.counters } };
  }

  private attempt(): Promise<void> {
    this.opening = this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async open(): Promise<void> {
    if (!this.running) return;
    this.h.state = 'connecting';
    let connection: ScannerConnection;
    try {
      connection = await this.options.source.open();
    } catch (err) {
      const message = isGradeboothError(err) ? `${err.code}: ${err.message}` : (err as Error).message;
      if (message !== this.h.lastError) this.options.log?.(`scanner not available: ${message}`);
      this.h.lastError = message;
      this.h.state = 'disconnected';
      this.scheduleRetry();
      return;
    }
    if (!this.running) {
      await connection.close();
      return;
    }
    this.connection = connection;
    this.decoder = this.options.decoderFor(connection.info);
    this.h.description = connection.info.description;
    this.h.state = 'connected';
    this.h.lastError = undefined;
    this.h.counters.connects += 1;
    connection.onData((chunk) => this.onChunk(connection, chunk));
    connection.onClose((err) => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      this.h.state = 'disconnected';
      this.h.counters.disconnects += 1;
      this.h.lastError = err ? `disconnected: ${err.message}` : 'disconnected';
      this.options.log?.(`scanner ${connection.info.description} ${this.h.lastError}`);
      this.scheduleRetry();
    });
  }

  private scheduleRetry(): void {
    if (!this.running || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.attempt();
    }, this.options.reconnectMs);
    this.retryTimer.unref();
  }

  private onChunk(connection: ScannerConnection, chunk: Uint8Array): void {
    if (this.connection !== connection || !this.decoder) return;
    const at = new Date().toISOString();
    const source = connection.info.description;
    for (const decoded of this.decoder.push(chunk, this.now())) {
      const outcome = this.options.filter.apply(decoded);
      if (outcome.kind === 'accepted') {
        this.h.counters.scans += 1;
        this.h.lastCode = outcome.code;
        const scan: BarcodeScan = { code: outcome.code, at, source };
        if (outcome.symbology !== undefined) scan.symbology = outcome.symbology;
        for (const l of this.scanListeners) l(scan);
      } else if (outcome.kind === 'duplicate') {
        this.h.counters.duplicates += 1;
      } else {
        this.h.counters.rejected += 1;
        this.options.log?.(outcome.error.message);
        for (const l of this.rejectListeners) l({ error: outcome.error, text: outcome.text, at, source });
      }
    }
  }
}
