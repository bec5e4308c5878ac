import type { EventBus } from '../../core/events.ts';
import type { DeviceState, DeviceStatus, ManagedDevice } from '../device.ts';
import type { Rig } from './rig.ts';
import { publishRigStatus } from './status-bridge.ts';

/** Something that must run before the driver connects and stop after it (the simulated rig). */
export interface RigBackend {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface RigDeviceOptions {
  /** What is configured: 'simulated' or 'serial'. */
  kind: string;
  driver: Rig;
  /** Health changes are published here as 'hardware.status'. */
  bus?: EventBus;
  backend?: RigBackend;
}

/**
 * The LED rig as a daemon device: starts the backend (simulator) and the driver, publishes status on the
 * bus, and answers /api/status from the driver's health. The driver keeps reconnecting on its own.
 */
export class RigDevice implements ManagedDevice {
  private readonly options: RigDeviceOptions;
  private unpublish: (() => void) | undefined;
  private unlistenTemperature: (() => void) | undefined;
  /** The firmware's last TEMPERATURE event (every 10 s idle, 1 s with LEDs on): for status and fleet telemetry. */
  private temperature: { tempC: number | null; at: string } | undefined;
  private started = false;

  constructor(options: RigDeviceOptions) {
    this.options = options;
  }

  /** The driver, for the capture sequencer and technician routes. */
  get driver(): Rig {
    return this.options.driver;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.options.backend?.start();
    if (this.options.bus) this.unpublish = publishRigStatus(this.options.driver, this.options.bus);
    this.unlistenTemperature = this.options.driver.onEvent((event) => {
      if (event.kind === 'temperature') this.temperature = { tempC: event.tempC, at: new Date().toISOString() };
    });
    await this.options.driver.start();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.options.driver.stop();
    this.unpublish?.();
    this.unpublish = undefined;
    this.unlistenTemperature?.();
    this.unlistenTemperature = undefined;
    this.temperature = undefined;
    await this.options.backend?.stop();
  }

  status(): DeviceStatus {
    const h = this.options.driver.health();
    const states: Record<string, DeviceState> = { stopped: 'disconnected', connecting: 'connecting', connected: 'connected', disconnected: 'disconnected', fault: 'fault' };
    const id = h.identity;
    let detail: string;
    if (h.state === 'fault') detail = `fault latched: ${h.faultNames.join(', ')}; LEDs held off until faults are cleared`;
    else if (h.state === 'connected' && id) detail = `firmware ${id.firmwareVersion}, protocol ${id.protocolVersion}, ${id.channels} channels, serial ${id.serial}`;
    else if (h.state === 'stopped') detail = 'rig driver not running';
    else detail = h.lastError ? `${h.lastError.code}: ${h.lastError.message}` : h.state;
    return {
      device: 'rig',
      kind: this.options.kind,
      state: states[h.state] ?? 'disconnected',
      detail,
      info: {
        firmwareVersion: id?.firmwareVersion,
        protocolVersion: id?.protocolVersion,
        serial: id?.serial,
        bootId: id?.bootId,
        faults: h.faultNames,
        rtoMs: h.rtoMs,
        counters: h.counters,
        // null: the sensor is open or shorted; absent: no reading yet.
        ...(this.temperature ? { tempC: this.temperature.tempC, tempAt: this.temperature.at } : {}),
      },
    };
  }
}
