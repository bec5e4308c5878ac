import type { EventBus } from '../../core/events.ts';
import type { DeviceStatus, ManagedDevice } from '../device.ts';
import type { Scanner } from './scanner.ts';

/**
 * The barcode scanner as a daemon device: starts and stops it, publishes scans and rejected reads on the
 * bus ('scanner.barcode', 'scanner.rejected') and connection changes as 'hardware.status'.
 */
export class ScannerDevice implements ManagedDevice {
  private readonly kind: string;
  private readonly scanner: Scanner;
  private readonly bus: EventBus;
  private unsubscribe: Array<() => void> = [];
  private statusTimer: NodeJS.Timeout | undefined;
  private lastState: string | undefined;

  constructor(options: { kind: string; scanner: Scanner; bus: EventBus }) {
    this.kind = options.kind;
    this.scanner = options.scanner;
    this.bus = options.bus;
  }

  async start(): Promise<void> {
    this.unsubscribe.push(
      this.scanner.onScan((scan) => this.bus.emit('scanner.barcode', { ...scan })),
      this.scanner.onRejected((r) => this.bus.emit('scanner.rejected', { code: r.error.code, message: r.error.message, at: r.at, source: r.source })),
    );
    await this.scanner.start();
    // Connection changes happen inside the scanner's reconnect loop; a cheap poll turns them into events.
    this.statusTimer = setInterval(() => this.publishIfChanged(), 250);
    this.statusTimer.unref();
    this.publishIfChanged();
  }

  async stop(): Promise<void> {
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.statusTimer = undefined;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    await this.scanner.stop();
  }

  private publishIfChanged(): void {
    const s = this.status();
    if (s.state === this.lastState) return;
    this.lastState = s.state;
    this.bus.emit('hardware.status', { device: 'scanner', state: s.state, detail: s.detail });
  }

  status(): DeviceStatus {
    const h = this.scanner.health();
    const detail = h.state === 'connected' ? `${h.description}: ready` : h.lastError ? `${h.description}: ${h.lastError}` : `${h.description}: ${h.state}`;
    return {
      device: 'scanner',
      kind: this.kind,
      state: h.state,
      detail,
      info: { lastCode: h.lastCode, counters: h.counters },
    };
  }
}
