/** The states a booth device can report in /api/status and on the event bus. */
export type DeviceState = 'absent' | 'connecting' | 'connected' | 'disconnected' | 'fault';

export interface DeviceStatus {
  device: 'rig' | 'camera' | 'scanner';
  /** What is configured: simulated, serial, aravis, replay, hid, none. */
  kind: string;
  state: DeviceState;
  /** One line a technician can act on. */
  detail: string;
  /** Device-specific figures (firmware version, counters, temperature, …). */
  info?: Record<string, unknown>;
}

/** Anything the daemon can ask for a status line. */
export interface StatusReporter {
  status(): DeviceStatus;
}

/** A device the daemon owns: started after storage is ready, stopped before the database closes. */
export interface ManagedDevice extends StatusReporter {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A device slot with nothing attached; it says why, so /api/status never invents hardware. */
export class AbsentDevice implements ManagedDevice {
  private readonly device: DeviceStatus['device'];
  private readonly kind: string;
  private readonly reason: string;

  constructor(device: DeviceStatus['device'], kind: string, reason: string) {
    this.device = device;
    this.kind = kind;
    this.reason = reason;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  status(): DeviceStatus {
    return { device: this.device, kind: this.kind, state: 'absent', detail: this.reason };
  }
}
