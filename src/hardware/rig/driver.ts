import { createError, isGradeboothError, type GradeboothError } from '../../core/errors.ts';
import {
  decodeClearFaults,
  decodeEmpty,
  decodeGeometryRead,
  decodeIdentify,
  decodePing,
  decodeSeqLoad,
  decodeSeqRun,
  decodeStatus,
  encodeConfig,
  encodeGeometryRead,
  encodeGeometryWrite,
  encodeSeqLoad,
  encodeStep,
  type RigConfig,
  type RigEvent,
  type RigIdentity,
  type RigStatus,
  type SeqDoneEvent,
  type SequenceStep,
  type StepDoneEvent,
} from './codecs.ts';
import { CHANNELS, Cmd, Fault, GEOMETRY_CHUNK_BYTES, PROTOCOL_VERSION, STEPS_PER_LOAD, encodeSerial, faultNames, packLevels } from './messages.ts';
import { RigLink, newCounters, type RigCounters, type RigPortFactory } from './link.ts';
import { RtoEstimator } from './rto.ts';
import type { Rig, RigHealth, RigState } from './rig.ts';
import { SequenceRun } from './sequence-run.ts';

/** Firmware defaults (PROTOCOL.md); the driver applies its config at every (re)connect. */
export const DEFAULT_RIG_CONFIG: RigConfig = { hostTimeoutMs: 1500, maxOnMs: 5000, tempLimitC: 70 };

// Health types are part of the port (rig.ts); re-exported for the driver's existing callers.
export type { RigHealth, RigState } from './rig.ts';

export interface RigDriverOptions {
  /** Opens a fresh, open port to the rig (real tty or simulated pty). */
  portFactory: RigPortFactory;
  /** Config applied at every connect; missing keys take the firmware defaults. */
  config?: Partial<RigConfig>;
  /** Reconnect backoff: first delay and cap, ms. */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** Extra wait for a sequence event beyond the step's own duration, ms. */
  sequenceSlackMs?: number;
  /**
   * Inter-byte timeout of the frame parser, ms (default 20, PROTOCOL.md). A simulated rig's UART runs in
   * simulated time and can stall for longer in wall time when the machine is busy: use
   * SIMULATED_INTER_BYTE_TIMEOUT_MS there.
   */
  interByteTimeoutMs?: number;
}

/** Fault bits a previous host session leaves behind by simply going away; cleared at connect. */
const LEFTOVER_FAULTS = Fault.HOST_TIMEOUT | Fault.EVENTS_LOST;
/** Faults that hold the LEDs off until cleared: the driver's state is 'fault' while any is latched. */
const BLOCKING_FAULTS = Fault.HOST_TIMEOUT | Fault.ON_TIME | Fault.OVER_TEMP | Fault.THERMISTOR;

/**
 * The LED rig API. Owns the connection: opens a port through the injected factory, identifies,
 * applies the config, keeps the link alive, and reconnects with exponential backoff after an unplug or
 * a dead link; re-identifies and re-applies config and the loaded sequence after a firmware reset.
 */
export class RigDriver implements Rig {
  private readonly options: RigDriverOptions;
  private config: RigConfig = { ...DEFAULT_RIG_CONFIG };
  private readonly counters: RigCounters = newCounters();
  private readonly rto = new RtoEstimator();
  // A random first SEQ: a new host process must not repeat the SEQ the firmware remembers from the last one.
  private seq = Math.floor(Math.random() * 256);
  private link: RigLink | undefined;
  private state: RigState = 'stopped';
  private lastError: GradeboothError | undefined;
  private identity: RigIdentity | undefined;
  private faults = 0;
  private sequence: SequenceStep[] | undefined;
  private run: SequenceRun | undefined;
  private connections = 0;
  /** bootId of the last BOOT event on the current link. */
  private bootSeen: number | undefined;
  private stopping = false;
  private supervisor: Promise<void> | undefined;
  private wakeSupervisor: (() => void) | undefined;
  private readonly statusListeners = new Set<(health: RigHealth) => void>();
  private readonly eventListeners = new Set<(event: RigEvent) => void>();

  constructor(options: RigDriverOptions) {
    this.options = options;
  }

  /** Start connecting (and reconnecting) in the background; resolves at once. */
  async start(): Promise<void> {
    if (this.supervisor) return;
    // The first start takes the configured values; a restart keeps what setConfig() changed since.
    if (this.connections === 0) this.config = { ...DEFAULT_RIG_CONFIG, ...this.options.config };
    encodeConfig(this.config);
    this.stopping = false;
    this.supervisor = this.supervise();
  }

  /**
   * Wait until connected, at most `timeoutMs`; throws GB_RIG_DISCONNECTED with the last error when it does
   * not happen. `failFast` gives up at the first failed connection attempt (for one-shot CLI commands).
   */
  async ready(timeoutMs = 5000, options: { failFast?: boolean } = {}): Promise<RigIdentity> {
    const up = (state: RigState): boolean => state === 'connected' || state === 'fault';
    if (!up(this.state)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          off();
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        const off = this.onStatus((h) => {
          if (up(h.state) || h.state === 'stopped' || (options.failFast && h.state === 'disconnected')) done();
        });
      });
    }
    if (up(this.state) && this.identity) return this.identity;
    throw createError('GB_RIG_DISCONNECTED', `LED rig not connected${this.lastError ? `: ${this.lastError.message}` : ` after ${timeoutMs} ms`}`, this.lastError ? { cause: this.lastError.code } : undefined);
  }

  /** Turn the LEDs off (best effort), stop reconnecting and close the port. */
  async stop(): Promise<void> {
    this.stopping = true;
    const link = this.link;
    if (link && !link.failedWith) await link.request(Cmd.ALL_OFF).catch(() => undefined);
    this.run?.fail(createError('GB_SHUTTING_DOWN', 'LED rig driver stopped'));
    this.wakeSupervisor?.();
    if (link) await link.stop();
    await this.supervisor;
    this.supervisor = undefined;
    this.setState('stopped');
  }

  /** Health: state, last error, identity, faults and counters. */
  health(): RigHealth {
    this.link?.syncParserCounters();
    return {
      state: this.state,
      lastError: this.lastError ? { code: this.lastError.code, message: this.lastError.message } : undefined,
      identity: this.identity,
      faults: this.faults,
      faultNames: faultNames(this.faults),
      counters: { ...this.counters },
      rtoMs: this.rto.currentMs,
      srttMs: this.rto.srtt,
    };
  }

  /** Subscribe to health changes (state, faults); returns unsubscribe. */
  onStatus(listener: (health: RigHealth) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Subscribe to firmware events (boot, step done, sequence done, fault, temperature); returns unsubscribe. */
  onEvent(listener: (event: RigEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** IDENTIFY: versions, channels, capabilities, serial, bootId. */
  async identify(): Promise<RigIdentity> {
    const identity = decodeIdentify(await this.request(Cmd.IDENTIFY));
    this.noteIdentity(identity);
    return identity;
  }

  /** PING: the firmware clock, µs. */
  async ping(): Promise<number> {
    return decodePing(await this.request(Cmd.PING));
  }

  /** Latch 24 levels (0..4095). */
  async setLevels(levels: readonly number[]): Promise<void> {
    decodeEmpty('SET_LEVELS response', await this.request(Cmd.SET_LEVELS, packLevels(levels)));
  }

  /** All LEDs off. */
  async allOff(): Promise<void> {
    decodeEmpty('ALL_OFF response', await this.request(Cmd.ALL_OFF));
  }

  /** GET_STATUS. */
  async status(): Promise<RigStatus> {
    const status = decodeStatus(await this.request(Cmd.GET_STATUS));
    this.noteFaults(status.faults);
    return status;
  }

  /** Clear the fault latch; resolves with the bits still latched (conditions still present). */
  async clearFaults(): Promise<number> {
    const left = decodeClearFaults(await this.request(Cmd.CLEAR_FAULTS));
    this.noteFaults(left);
    return left;
  }

  /** Set and remember the config (re-applied at every reconnect). */
  async setConfig(config: Partial<RigConfig>): Promise<void> {
    const next = { ...this.config, ...config };
    const payload = encodeConfig(next);
    decodeEmpty('SET_CONFIG response', await this.request(Cmd.SET_CONFIG, payload));
    this.config = next;
    this.link?.setKeepaliveMs(keepaliveMs(next));
  }

  /** The config the driver applies. */
  currentConfig(): RigConfig {
    return { ...this.config };
  }

  /** Store the rig serial (1..16 ASCII characters) in EEPROM. */
  async setSerial(serial: string): Promise<void> {
    decodeEmpty('SET_SERIAL response', await this.request(Cmd.SET_SERIAL, encodeSerial(serial)));
    if (this.identity) this.identity = { ...this.identity, serial };
  }

  /** Read `length` bytes of the EEPROM geometry blob from `offset`. */
  async readGeometry(offset: number, length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let at = 0; at < length; at += GEOMETRY_CHUNK_BYTES) {
      const n = Math.min(GEOMETRY_CHUNK_BYTES, length - at);
      parts.push(decodeGeometryRead(await this.request(Cmd.GEOMETRY_READ, encodeGeometryRead(offset + at, n)), n));
    }
    return Buffer.concat(parts);
  }

  /** Write bytes into the EEPROM geometry blob at `offset`. */
  async writeGeometry(offset: number, bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length; at += GEOMETRY_CHUNK_BYTES) {
      const chunk = bytes.subarray(at, Math.min(bytes.length, at + GEOMETRY_CHUNK_BYTES));
      decodeEmpty('GEOMETRY_WRITE response', await this.request(Cmd.GEOMETRY_WRITE, encodeGeometryWrite(offset + at, chunk)));
    }
  }

  /** Upload a sequence (replacing the loaded one); it is re-uploaded after reconnects and resets. */
  async loadSequence(steps: readonly SequenceStep[]): Promise<void> {
    const max = this.identity?.maxSteps ?? 48;
    if (steps.length < 1 || steps.length > max) throw createError('GB_VALIDATION', `sequence: expected 1..${max} steps, got ${steps.length}`);
    steps.forEach((s, i) => encodeStep(s, i));
    const copy = steps.map((s) => ({ ...s, channels: [...s.channels] }));
    await this.uploadSequence(this.requireLink(), copy);
    this.sequence = copy;
  }

  /**
   * Run the loaded sequence: yields each STEP_DONE in step order and returns the SEQ_DONE. Throws
   * GB_RIG_FAULT (stopped by a fault), GB_RIG_SEQUENCE_ABORTED (SEQ_ABORT), GB_RIG_RESET (firmware reset),
   * GB_RIG_DISCONNECTED, GB_RIG_TIMEOUT, or GB_RIG_PROTOCOL (a step's event was lost). Leaving the
   * loop early aborts the sequence on the rig.
   */
  async *runSequence(options: { onStart?: (info: { steps: number; startUs: number }) => void } = {}): AsyncGenerator<StepDoneEvent, SeqDoneEvent> {
    const steps = this.sequence;
    if (!steps) throw createError('GB_CONFLICT', 'LED rig: no sequence loaded; call loadSequence() first');
    if (this.run) throw createError('GB_CONFLICT', 'LED rig: a sequence is already running');
    const link = this.requireLink();
    const run = new SequenceRun();
    this.run = run;
    const slackMs = this.options.sequenceSlackMs ?? 1000;
    try {
      const info = decodeSeqRun(await this.request(Cmd.SEQ_RUN));
      options.onStart?.(info);
      for (let i = 0; ; i++) {
        const step = steps[Math.min(i, steps.length - 1)];
        const event = await run.next((step.settleUs + step.exposureUs) / 1000 + slackMs, i < steps.length ? `STEP_DONE ${i}` : 'SEQ_DONE');
        if (event.kind === 'stepDone') {
          yield event;
          continue;
        }
        if (event.aborted && (event.faults & BLOCKING_FAULTS) !== 0) {
          throw createError('GB_RIG_FAULT', `LED rig sequence stopped by fault ${faultNames(event.faults & BLOCKING_FAULTS).join(', ')} after ${event.steps} of ${steps.length} steps; LEDs are off`, { steps: event.steps, faults: event.faults });
        }
        if (event.aborted) {
          throw createError('GB_RIG_SEQUENCE_ABORTED', `LED rig sequence aborted after ${event.steps} of ${steps.length} steps${event.faults ? `; faults ${faultNames(event.faults).join(', ')}` : ''}`, { steps: event.steps, faults: event.faults });
        }
        return event;
      }
    } finally {
      if (this.run === run) this.run = undefined;
      // Stopped early (consumer break, timeout): make sure the LEDs go dark.
      if (!run.finished && !link.failedWith) await link.request(Cmd.SEQ_ABORT).catch(() => undefined);
      run.finished = true;
    }
  }

  /** Abort a running sequence (LEDs off; the iterator ends with GB_RIG_SEQUENCE_ABORTED). */
  async abort(): Promise<void> {
    decodeEmpty('SEQ_ABORT response', await this.request(Cmd.SEQ_ABORT));
  }

  private async request(type: number, payload?: Uint8Array): Promise<Buffer> {
    return this.requireLink().request(type, payload);
  }

  private requireLink(): RigLink {
    const link = this.link;
    if (!link || link.failedWith || (this.state !== 'connected' && this.state !== 'fault' && this.state !== 'connecting')) {
      throw createError('GB_RIG_DISCONNECTED', `LED rig is ${this.state}${this.lastError ? `: ${this.lastError.message}` : ''}`);
    }
    return link;
  }

  private async uploadSequence(link: RigLink, steps: readonly SequenceStep[]): Promise<void> {
    decodeEmpty('SEQ_CLEAR response', await link.request(Cmd.SEQ_CLEAR));
    let count = 0;
    for (let i = 0; i < steps.length; i += STEPS_PER_LOAD) {
      count = decodeSeqLoad(await link.request(Cmd.SEQ_LOAD, encodeSeqLoad(i, steps.slice(i, i + STEPS_PER_LOAD))));
    }
    if (count !== steps.length) throw createError('GB_RIG_PROTOCOL', `SEQ_LOAD: expected ${steps.length} steps loaded, rig reports ${count}`);
  }

  private async supervise(): Promise<void> {
    let delayMs = this.options.reconnectInitialMs ?? 100;
    const maxMs = this.options.reconnectMaxMs ?? 5000;
    while (!this.stopping) {
      this.setState('connecting');
      let link: RigLink | undefined;
      try {
        link = await this.connect();
      } catch (err) {
        this.lastError = asRigError(err);
        this.setState('disconnected');
        // Exponential backoff with jitter, so several booths do not hammer a shared hub in step.
        await this.sleep(delayMs * (0.8 + 0.4 * Math.random()));
        delayMs = Math.min(maxMs, delayMs * 2);
        continue;
      }
      delayMs = this.options.reconnectInitialMs ?? 100;
      await new Promise<void>((resolve) => {
        if (link.failedWith) resolve();
        else link.onFailure(() => resolve());
        this.wakeSupervisor = resolve;
      });
      this.wakeSupervisor = undefined;
      if (this.link === link) this.link = undefined;
      if (!this.stopping) {
        this.lastError = link.failedWith;
        this.run?.fail(createError('GB_RIG_DISCONNECTED', `LED rig link lost during the sequence: ${link.failedWith?.message ?? 'closed'}`));
        this.setState('disconnected');
        await link.stop();
      }
    }
  }

  private async connect(): Promise<RigLink> {
    const port = await this.options.portFactory();
    const link = new RigLink(port, { counters: this.counters, nextSeq: () => this.seq++ & 0xff, rto: this.rto, keepaliveMs: keepaliveMs(this.config), interByteTimeoutMs: this.options.interByteTimeoutMs });
    link.onEvent((event) => this.handleEvent(link, event));
    link.start();
    this.link = link;
    try {
      this.bootSeen = undefined;
      await this.initialize(link);
      // Opening a real Arduino's port resets it (DTR): a BOOT that came while we initialised means our
      // IDENTIFY or config may predate the reset, so do it again against the new boot.
      for (let i = 0; i < 3 && this.bootSeen !== undefined && this.bootSeen !== this.identity?.bootId; i++) await this.initialize(link);
    } catch (err) {
      if (this.link === link) this.link = undefined;
      await link.stop();
      throw err;
    }
    this.connections++;
    if (this.connections > 1) this.counters.reconnects++;
    this.setState(this.faults & BLOCKING_FAULTS ? 'fault' : 'connected');
    return link;
  }

  /** Identify, apply config, clear a previous session's leftovers, restore the sequence. */
  private async initialize(link: RigLink): Promise<void> {
    const identity = decodeIdentify(await link.request(Cmd.IDENTIFY));
    if (identity.protocolVersion !== PROTOCOL_VERSION) {
      throw createError('GB_RIG_PROTOCOL', `LED rig speaks protocol ${identity.protocolVersion}, this host speaks ${PROTOCOL_VERSION}`);
    }
    if (identity.channels !== CHANNELS) throw createError('GB_RIG_PROTOCOL', `LED rig has ${identity.channels} channels, expected ${CHANNELS}`);
    this.noteIdentity(identity);
    let status = decodeStatus(await link.request(Cmd.GET_STATUS));
    // A sequence still running from before the link was lost has already failed for its caller.
    if (status.state === 'running') decodeEmpty('SEQ_ABORT response', await link.request(Cmd.SEQ_ABORT));
    if (status.faults !== 0 && (status.faults & ~LEFTOVER_FAULTS) === 0) {
      decodeClearFaults(await link.request(Cmd.CLEAR_FAULTS));
      status = decodeStatus(await link.request(Cmd.GET_STATUS));
    }
    decodeEmpty('SET_CONFIG response', await link.request(Cmd.SET_CONFIG, encodeConfig(this.config)));
    if (this.sequence) await this.uploadSequence(link, this.sequence);
    this.faults = status.faults;
  }

  private noteIdentity(identity: RigIdentity): void {
    const before = this.identity;
    this.identity = identity;
    if (before && before.bootId !== identity.bootId) this.onFirmwareReset(`bootId changed ${before.bootId} → ${identity.bootId}`);
  }

  private onFirmwareReset(why: string): void {
    this.run?.fail(createError('GB_RIG_RESET', `LED rig firmware reset during the sequence (${why}); LEDs are off`));
  }

  private handleEvent(link: RigLink, event: RigEvent): void {
    if (event.kind === 'boot') {
      this.onFirmwareReset(`BOOT event, bootId ${event.bootId}`);
      this.bootSeen = event.bootId;
      const up = this.state === 'connected' || this.state === 'fault';
      if (up && this.identity?.bootId !== event.bootId && link === this.link) {
        // Re-identify and re-apply our state; if that fails the link is torn down and reconnected. Until then
        // the rig is not ready: `connecting`, so that status says so and ready() waits for the re-apply
        // instead of a capture racing it (its commands would meet a half-configured rig).
        this.setState('connecting');
        this.initialize(link).then(
          () => this.setState(this.faults & BLOCKING_FAULTS ? 'fault' : 'connected'),
          (err) => {
            this.lastError = asRigError(err);
            void link.stop();
          },
        );
      }
    } else if (event.kind === 'fault') {
      // The event may be a retransmission from before a reconnect cleared it: trust the latch as it is now.
      if (link === this.link) this.status().catch(() => this.noteFaults(event.latched));
    } else if (event.kind === 'seqDone' && event.faults) {
      this.noteFaults(this.faults | event.faults);
    }
    this.run?.push(event);
    for (const listener of [...this.eventListeners]) listener(event);
  }

  private noteFaults(faults: number): void {
    const changed = faults !== this.faults;
    this.faults = faults;
    if (this.state === 'connected' || this.state === 'fault') this.setState(faults & BLOCKING_FAULTS ? 'fault' : 'connected', changed);
  }

  private setState(state: RigState, faultsChanged = false): void {
    const changed = state !== this.state || (faultsChanged && state === 'fault');
    this.state = state;
    if (changed) {
      const health = this.health();
      for (const listener of [...this.statusListeners]) listener(health);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeSupervisor = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function keepaliveMs(config: RigConfig): number {
  return Math.floor(config.hostTimeoutMs / 3);
}

function asRigError(err: unknown): GradeboothError {
  if (isGradeboothError(err)) return err;
  return createError('GB_RIG_DISCONNECTED', `LED rig: ${(err as Error).message ?? String(err)}`);
}
