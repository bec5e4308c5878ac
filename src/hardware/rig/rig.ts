import type { RigConfig, RigEvent, RigIdentity, RigStatus, SeqDoneEvent, SequenceStep, StepDoneEvent } from './codecs.ts';
import type { RigCounters } from './link.ts';

// The LED rig as its callers see it (booth, capture, calibration, the daemon's device wrapper): a port,
// so they depend on what a rig does rather than on the serial driver (RigDriver implements it) and a
// test or another transport can stand in without reaching into driver internals.

export type RigState = 'stopped' | 'connecting' | 'connected' | 'disconnected' | 'fault';

/** What `health()` and status listeners get. */
export interface RigHealth {
  state: RigState;
  lastError: { code: string; message: string } | undefined;
  identity: RigIdentity | undefined;
  /** Latched fault bits as last reported, with their names. */
  faults: number;
  faultNames: string[];
  counters: RigCounters;
  /** Current retransmission timeout and smoothed round trip, ms. */
  rtoMs: number;
  srttMs: number | undefined;
}

/** The LED rig: connection lifecycle, health, LED levels, sequences and EEPROM; see RigDriver for the serial one. */
export interface Rig {
  /** Start connecting (and reconnecting) in the background; resolves at once. */
  start(): Promise<void>;
  /** Resolves with the identity once connected and configured; rejects after timeoutMs (failFast: at the first error). */
  ready(timeoutMs?: number, options?: { failFast?: boolean }): Promise<RigIdentity>;
  /** LEDs off where possible, connection closed; no reconnects after. */
  stop(): Promise<void>;
  /** Health: state, last error, identity, faults and counters. */
  health(): RigHealth;
  /** Subscribe to health changes (state, faults); returns unsubscribe. */
  onStatus(listener: (health: RigHealth) => void): () => void;
  /** Subscribe to firmware events (boot, step done, sequence done, fault, temperature); returns unsubscribe. */
  onEvent(listener: (event: RigEvent) => void): () => void;
  /** Versions, channels, capabilities, serial, bootId. */
  identify(): Promise<RigIdentity>;
  /** The firmware clock, µs. */
  ping(): Promise<number>;
  /** Latch 24 levels (0..4095). */
  setLevels(levels: readonly number[]): Promise<void>;
  /** All LEDs off. */
  allOff(): Promise<void>;
  status(): Promise<RigStatus>;
  /** Clear the fault latch; resolves with the bits still latched (conditions still present). */
  clearFaults(): Promise<number>;
  /** Set and remember the config (re-applied at every reconnect). */
  setConfig(config: Partial<RigConfig>): Promise<void>;
  /** The config the rig applies. */
  currentConfig(): RigConfig;
  /** Store the rig serial (1..16 ASCII characters) in EEPROM. */
  setSerial(serial: string): Promise<void>;
  /** Read `length` bytes of the EEPROM geometry blob from `offset`. */
  readGeometry(offset: number, length: number): Promise<Buffer>;
  /** Write bytes into the EEPROM geometry blob at `offset`. */
  writeGeometry(offset: number, bytes: Uint8Array): Promise<void>;
  /** Upload a sequence (replacing the loaded one); kept across reconnects and resets. */
  loadSequence(steps: readonly SequenceStep[]): Promise<void>;
  /** Run the loaded sequence, yielding each step's event; leaving the loop early aborts it on the rig. */
  runSequence(options?: { onStart?: (info: { steps: number; startUs: number }) => void }): AsyncGenerator<StepDoneEvent, SeqDoneEvent>;
  /** Abort a running sequence (LEDs off; the iterator ends with GB_RIG_SEQUENCE_ABORTED). */
  abort(): Promise<void>;
}
