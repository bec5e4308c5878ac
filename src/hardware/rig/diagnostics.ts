import { createError, isGradeboothError } from '../../core/errors.ts';
import type { RigCounters } from './link.ts';
import type { Rig, RigState } from './rig.ts';
import type { RigStatus } from './codecs.ts';
import { Fault, faultNames } from './messages.ts';

/**
 * Runs `use` while no job holds the booth's hardware, holding it meanwhile (the job runner's
 * withHardware): GB_CONFLICT naming the job when one holds it.
 */
export type HoldHardware = <T>(what: string, use: () => Promise<T>) => Promise<T>;

/** One LED the technician lit, and when the daemon turns it off again. */
export interface LitLed {
  led: number;
  /** 0..4095. */
  level: number;
  /** ISO time at which the daemon turns it off (just before the firmware's on-time limit would latch ON_TIME). */
  offAt: string;
}

/** What the technician's rig diagnostics page shows: identity, live status from the firmware, link counters. */
export interface RigDiagnosticsReading {
  /** The driver's connection state. */
  state: RigState;
  firmwareVersion: string | null;
  protocolVersion: number | null;
  serial: string | null;
  bootId: number | null;
  channels: number;
  /** Live from the firmware's STATUS (null when the rig could not be asked: see statusError). */
  rig: {
    state: 'idle' | 'running' | 'fault';
    /** Thermistor temperature, °C; null when the sensor is open or shorted. */
    tempC: number | null;
    adcRaw: number;
    tempLimitC: number;
    maxOnMs: number;
    hostTimeoutMs: number;
    /** The 24 channel levels the firmware holds, 0..4095. */
    levels: number[];
    blanked: boolean;
  } | null;
  statusError: { code: string; message: string } | null;
  /** Latched fault names (from this STATUS; the driver's last view when the rig could not be asked). */
  faults: string[];
  lit: LitLed | null;
  counters: RigCounters;
  rtoMs: number;
  srttMs: number | null;
  at: string;
}

/** The firmware's STATUS, or why the rig could not be asked. */
type Status = RigStatus | { code: string; message: string };

const WHAT_LIGHT = 'LED diagnostics';
const WHAT_READ = 'rig diagnostics';

/**
 * The technician's rig diagnostics through the real driver: light one LED at a time (others off), all
 * off, clear latched faults, and read the firmware's live status with the link's counters. Every rig
 * command runs while no job holds the booth; a lit LED keeps holding it (queued jobs wait) until it is
 * turned off, another is lit, or just before the firmware's on-time limit (maxOnMs) would latch ON_TIME.
 * Calls are serialised: one diagnostics command at a time.
 */
export class RigDiagnostics {
  private readonly rig: Rig;
  private readonly hold: HoldHardware;
  /** How long before the firmware's on-time limit the daemon turns a lit LED off, ms. */
  private readonly marginMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private lit: { led: LitLed | undefined; timer: NodeJS.Timeout | undefined; release: () => void; done: Promise<Status> } | undefined;
  private stopped = false;

  constructor(rig: Rig, hold: HoldHardware, options: { marginMs?: number } = {}) {
    this.rig = rig;
    this.hold = hold;
    this.marginMs = options.marginMs ?? 500;
  }

  /** The rig's identity, live status and counters (a STATUS command, while no job holds the booth). */
  read(): Promise<RigDiagnosticsReading> {
    return this.serial(async () => {
      if (this.lit) return this.reading(await this.askStatus());
      return this.reading(await this.hold(WHAT_READ, () => this.askStatus()));
    });
  }

  /** Light one LED at `level` (0..4095), every other off; GB_CONFLICT while a job holds the booth. */
  light(led: number, level: number): Promise<RigDiagnosticsReading> {
    return this.serial(async () => {
      if (this.stopped) throw createError('GB_SHUTTING_DOWN', 'the booth is stopping: no LED diagnostics now');
      const channels = this.rig.health().identity?.channels ?? 24;
      if (!Number.isInteger(led) || led < 0 || led >= channels) throw createError('GB_VALIDATION', `led: expected an LED channel 0..${channels - 1}, got ${led}`);
      if (!Number.isInteger(level) || level < 1 || level > 4095) throw createError('GB_VALIDATION', `level: expected 1..4095, got ${level}`);
      if (!this.lit) await this.takeHardware();
      const held = this.lit!;
      const levels = new Array<number>(channels).fill(0);
      levels[led] = level;
      try {
        await this.clearHostFaults();
        await this.rig.setLevels(levels);
      } catch (err) {
        await this.releaseHardware();
        throw err;
      }
      // The firmware latches ON_TIME (and refuses LEDs until cleared) once a channel stays lit past maxOnMs.
      const maxOnMs = this.rig.currentConfig().maxOnMs;
      const onForMs = maxOnMs > 2 * this.marginMs ? maxOnMs - this.marginMs : Math.max(1, Math.floor(maxOnMs / 2));
      clearTimeout(held.timer);
      held.timer = setTimeout(() => void this.off().catch(() => undefined), onForMs);
      held.timer.unref();
      held.led = { led, level, offAt: new Date(Date.now() + onForMs).toISOString() };
      return this.reading(await this.askStatus());
    });
  }

  /** All LEDs off (whoever lit them); the booth is free for jobs again. */
  off(): Promise<RigDiagnosticsReading> {
    return this.serial(async () => {
      // The status is read while the hardware is still held: a queued job may take it the moment it is given back.
      if (this.lit) return this.reading(await this.releaseHardware());
      return this.reading(
        await this.hold(WHAT_LIGHT, async () => {
          await this.rig.allOff();
          return this.askStatus();
        }),
      );
    });
  }

  /** Clear the firmware's fault latch (LEDs off first); the reading shows what is still latched. */
  clearFaults(): Promise<RigDiagnosticsReading> {
    return this.serial(async () => {
      if (this.lit) await this.releaseHardware();
      return this.reading(
        await this.hold(WHAT_LIGHT, async () => {
          await this.rig.clearFaults();
          return this.askStatus();
        }),
      );
    });
  }

  /** LEDs off and the hardware given back; later calls are refused (the daemon is stopping). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.serial(async () => {
      if (this.lit) await this.releaseHardware();
    }).catch(() => undefined);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Hold the booth's hardware until releaseHardware(); the LEDs go off before it is given back. */
  private async takeHardware(): Promise<void> {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let done!: Promise<Status>;
    await new Promise<void>((acquired, refused) => {
      done = this.hold(WHAT_LIGHT, async () => {
        acquired();
        await released;
        // Best effort: a rig that is gone has its LEDs off by its own host-silence timeout.
        await this.rig.allOff().catch(() => undefined);
        return this.askStatus();
      });
      done.catch(refused);
    });
    this.lit = { led: undefined, timer: undefined, release, done };
  }

  /** LEDs off, then the hardware given back; the status read just before it was given back. */
  private async releaseHardware(): Promise<Status> {
    const held = this.lit!;
    this.lit = undefined;
    clearTimeout(held.timer);
    held.release();
    return held.done;
  }

  /**
   * As a capture does: HOST_TIMEOUT and EVENTS_LOST are the host's own (it was silent or busy) and are
   * cleared, since the host is demonstrably back; a latched safety fault refuses the LED, by name.
   */
  private async clearHostFaults(): Promise<void> {
    const status = await this.rig.status();
    if (status.faults === 0) return;
    const safety = status.faults & (Fault.ON_TIME | Fault.OVER_TEMP | Fault.THERMISTOR);
    if (safety !== 0) throw createError('GB_RIG_FAULT', `the LED rig has ${faultNames(safety).join(', ')} latched, which keeps the LEDs off: fix the cause, then clear the faults`, { faults: status.faults });
    await this.rig.clearFaults();
  }

  /** STATUS from the firmware; a rig that cannot answer (disconnected, timed out) is a reading, not a failure. */
  private async askStatus(): Promise<Status> {
    try {
      return await this.rig.status();
    } catch (err) {
      if (isGradeboothError(err)) return { code: err.code, message: err.message };
      throw err;
    }
  }

  private reading(status: Status): RigDiagnosticsReading {
    const h = this.rig.health();
    const id = h.identity;
    const ok = 'levels' in status ? status : undefined;
    return {
      state: h.state,
      firmwareVersion: id?.firmwareVersion ?? null,
      protocolVersion: id?.protocolVersion ?? null,
      serial: id?.serial ?? null,
      bootId: id?.bootId ?? null,
      channels: id?.channels ?? 24,
      rig: ok ? { state: ok.state, tempC: ok.tempC, adcRaw: ok.adcRaw, tempLimitC: ok.tempLimitC, maxOnMs: ok.maxOnMs, hostTimeoutMs: ok.hostTimeoutMs, levels: ok.levels, blanked: ok.blanked } : null,
      statusError: ok ? null : (status as { code: string; message: string }),
      faults: ok ? faultNames(ok.faults) : h.faultNames,
      lit: this.lit?.led ? { ...this.lit.led } : null,
      counters: { ...h.counters },
      rtoMs: h.rtoMs,
      srttMs: h.srttMs ?? null,
      at: new Date().toISOString(),
    };
  }
}
