import { createError } from '../../core/errors.ts';
import {
  Evt,
  GEOMETRY_CHUNK_BYTES,
  MAX_LEVEL,
  PACKED_LEVELS_BYTES,
  STEP_BYTES,
  STEPS_PER_LOAD,
  CHANNELS,
  decodeAscii,
  unpackLevels,
} from './messages.ts';

/** IDENTIFY response. */
export interface RigIdentity {
  protocolVersion: number;
  /** `major.minor.patch` */
  firmwareVersion: string;
  channels: number;
  maxSteps: number;
  maxPayload: number;
  capabilities: { sequence: boolean; thermistor: boolean; geometryEeprom: boolean; sleep: boolean; bits: number };
  clockHz: number;
  bootId: number;
  /** MCUSR bits at boot: 1 power-on, 2 external, 4 brown-out, 8 watchdog. */
  resetCause: number;
  serial: string;
  geometryBytes: number;
}

/** GET_STATUS response. */
export interface RigStatus {
  state: 'idle' | 'running' | 'fault';
  faults: number;
  blanked: boolean;
  eventsLost: boolean;
  /** Thermistor temperature in °C; null when the sensor is open or shorted. */
  tempC: number | null;
  adcRaw: number;
  stepsLoaded: number;
  /** Index of the running step, or null when no sequence runs. */
  currentStep: number | null;
  /** Firmware clock, µs (u32, wraps after ~71 minutes). */
  nowUs: number;
  hostTimeoutMs: number;
  maxOnMs: number;
  tempLimitC: number;
  levels: number[];
}

/** One capture-sequence step (PROTOCOL.md "Sequence steps"). */
export interface SequenceStep {
  /** Channels lit in this step; empty = dark step. */
  channels: readonly number[];
  /** 12-bit level of every lit channel, 0..4095. */
  level: number;
  /** From the LED latch to the trigger's rising edge, µs (0..4 000 000). */
  settleUs: number;
  /** Trigger pulse width, µs (1..65535, ≤ exposureUs). */
  triggerUs: number;
  /** From the trigger's rising edge to the LED switch-off, µs (1..4 000 000). */
  exposureUs: number;
}

/** Firmware configuration (SET_CONFIG). */
export interface RigConfig {
  /** Host silence after which the firmware turns the LEDs off, ms (100..60000). */
  hostTimeoutMs: number;
  /** Longest time any channel may stay lit, ms (1..65535). */
  maxOnMs: number;
  /** Over-temperature limit, °C (−40..150). */
  tempLimitC: number;
}

export interface BootEvent { kind: 'boot'; bootId: number; resetCause: number; protocolVersion: number }
export interface StepDoneEvent {
  kind: 'stepDone';
  step: number;
  /** Firmware time of the trigger's rising edge, µs. */
  triggerUs: number;
  /** How late the trigger rose versus latch + settleUs, µs. */
  latenessUs: number;
  /** Measured LED on-time of the step, µs. */
  onUs: number;
}
export interface SeqDoneEvent { kind: 'seqDone'; steps: number; aborted: boolean; faults: number }
export interface FaultEvent { kind: 'fault'; raised: number; latched: number; tempC: number | null }
export interface TemperatureEvent { kind: 'temperature'; tempC: number | null; adcRaw: number }
export type RigEvent = BootEvent | StepDoneEvent | SeqDoneEvent | FaultEvent | TemperatureEvent;

const TEMP_INVALID = -32768;

function expectLength(what: string, payload: Uint8Array, want: number): void {
  if (payload.length !== want) throw createError('GB_RIG_PROTOCOL', `${what}: expected ${want} payload bytes, got ${payload.length}`);
}

function buf(payload: Uint8Array): Buffer {
  return Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length);
}

function tempFromCx100(raw: number): number | null {
  return raw === TEMP_INVALID ? null : raw / 100;
}

/** Check a response's leading status byte and return the rest. */
export function responseBody(what: string, payload: Uint8Array, bodyBytes: number): Buffer {
  expectLength(what, payload, 1 + bodyBytes);
  if (payload[0] !== 0) throw createError('GB_RIG_PROTOCOL', `${what}: expected status 0, got ${payload[0]}`);
  return buf(payload).subarray(1);
}

export const IDENTIFY_BODY_BYTES = 34;
export const STATUS_BODY_BYTES = 20 + PACKED_LEVELS_BYTES;

/** Decode the IDENTIFY response payload (status byte included). */
export function decodeIdentify(payload: Uint8Array): RigIdentity {
  const b = responseBody('IDENTIFY response', payload, IDENTIFY_BODY_BYTES);
  const caps = b.readUInt16LE(7);
  return {
    protocolVersion: b[0],
    firmwareVersion: `${b[1]}.${b[2]}.${b[3]}`,
    channels: b[4],
    maxSteps: b[5],
    maxPayload: b[6],
    capabilities: { sequence: (caps & 1) !== 0, thermistor: (caps & 2) !== 0, geometryEeprom: (caps & 4) !== 0, sleep: (caps & 8) !== 0, bits: caps },
    clockHz: b.readUInt32LE(9),
    bootId: b.readUInt16LE(13),
    resetCause: b[15],
    serial: decodeAscii(b.subarray(16, 32)),
    geometryBytes: b.readUInt16LE(32),
  };
}

/** Decode the GET_STATUS response payload (status byte included). */
export function decodeStatus(payload: Uint8Array): RigStatus {
  const b = responseBody('STATUS response', payload, STATUS_BODY_BYTES);
  const states = ['idle', 'running', 'fault'] as const;
  const state = states[b[0]];
  if (state === undefined) throw createError('GB_RIG_PROTOCOL', `STATUS response: expected state 0..2, got ${b[0]}`);
  const flags = b[3];
  const currentStep = b[9];
  return {
    state,
    faults: b.readUInt16LE(1),
    blanked: (flags & 1) !== 0,
    eventsLost: (flags & 2) !== 0,
    tempC: tempFromCx100(b.readInt16LE(4)),
    adcRaw: b.readUInt16LE(6),
    stepsLoaded: b[8],
    currentStep: currentStep === 0xff ? null : currentStep,
    nowUs: b.readUInt32LE(10),
    hostTimeoutMs: b.readUInt16LE(14),
    maxOnMs: b.readUInt16LE(16),
    tempLimitC: b.readInt16LE(18) / 100,
    levels: unpackLevels(b.subarray(20, 20 + PACKED_LEVELS_BYTES)),
  };
}

/** Decode the PING response: firmware clock, µs. */
export function decodePing(payload: Uint8Array): number {
  return responseBody('PING response', payload, 4).readUInt32LE(0);
}

/** Decode the SEQ_LOAD response: contiguous steps loaded from 0. */
export function decodeSeqLoad(payload: Uint8Array): number {
  return responseBody('SEQ_LOAD response', payload, 1)[0];
}

/** Decode the SEQ_RUN response: steps and the firmware time of step 0's latch, µs. */
export function decodeSeqRun(payload: Uint8Array): { steps: number; startUs: number } {
  const b = responseBody('SEQ_RUN response', payload, 5);
  return { steps: b[0], startUs: b.readUInt32LE(1) };
}

/** Decode the CLEAR_FAULTS response: fault bits still latched. */
export function decodeClearFaults(payload: Uint8Array): number {
  return responseBody('CLEAR_FAULTS response', payload, 2).readUInt16LE(0);
}

/** Decode the GEOMETRY_READ response: the bytes read. */
export function decodeGeometryRead(payload: Uint8Array, length: number): Buffer {
  return Buffer.from(responseBody('GEOMETRY_READ response', payload, length));
}

/** Check an empty OK response. */
export function decodeEmpty(what: string, payload: Uint8Array): void {
  responseBody(what, payload, 0);
}

/** Decode a NAK payload. */
export function decodeNak(payload: Uint8Array): { reason: number; seq: number } {
  expectLength('NAK', payload, 2);
  return { reason: payload[0], seq: payload[1] };
}

/** Decode a firmware event frame's payload by its type code. */
export function decodeEvent(type: number, payload: Uint8Array): RigEvent {
  const b = buf(payload);
  switch (type) {
    case Evt.BOOT:
      expectLength('BOOT', b, 4);
      return { kind: 'boot', bootId: b.readUInt16LE(0), resetCause: b[2], protocolVersion: b[3] };
    case Evt.STEP_DONE:
      expectLength('STEP_DONE', b, 11);
      return { kind: 'stepDone', step: b[0], triggerUs: b.readUInt32LE(1), latenessUs: b.readInt16LE(5), onUs: b.readUInt32LE(7) };
    case Evt.SEQ_DONE:
      expectLength('SEQ_DONE', b, 4);
      return { kind: 'seqDone', steps: b[0], aborted: b[1] !== 0, faults: b.readUInt16LE(2) };
    case Evt.FAULT:
      expectLength('FAULT', b, 6);
      return { kind: 'fault', raised: b.readUInt16LE(0), latched: b.readUInt16LE(2), tempC: tempFromCx100(b.readInt16LE(4)) };
    case Evt.TEMPERATURE:
      expectLength('TEMPERATURE', b, 4);
      return { kind: 'temperature', tempC: tempFromCx100(b.readInt16LE(0)), adcRaw: b.readUInt16LE(2) };
    default:
      throw createError('GB_RIG_PROTOCOL', `unknown event type 0x${type.toString(16)}`);
  }
}

/** Validate and encode one step into its 15 bytes. */
export function encodeStep(step: SequenceStep, index = 0): Buffer {
  const where = `step ${index}`;
  let mask = 0;
  for (const ch of step.channels) {
    if (!Number.isInteger(ch) || ch < 0 || ch >= CHANNELS) throw createError('GB_VALIDATION', `${where}: channel must be 0..${CHANNELS - 1}, got ${ch}`);
    mask |= 1 << ch;
  }
  const checks: [string, number, number, number][] = [
    ['level', step.level, 0, MAX_LEVEL],
    ['settleUs', step.settleUs, 0, 4_000_000],
    ['triggerUs', step.triggerUs, 1, 65535],
    ['exposureUs', step.exposureUs, 1, 4_000_000],
  ];
  for (const [name, v, lo, hi] of checks) {
    if (!Number.isInteger(v) || v < lo || v > hi) throw createError('GB_VALIDATION', `${where}: ${name} must be an integer ${lo}..${hi}, got ${v}`);
  }
  if (step.triggerUs > step.exposureUs) {
    throw createError('GB_VALIDATION', `${where}: triggerUs (${step.triggerUs}) must be ≤ exposureUs (${step.exposureUs})`);
  }
  const out = Buffer.alloc(STEP_BYTES);
  out.writeUIntLE(mask >>> 0, 0, 3);
  out.writeUInt16LE(step.level, 3);
  out.writeUInt32LE(step.settleUs, 5);
  out.writeUInt16LE(step.triggerUs, 9);
  out.writeUInt32LE(step.exposureUs, 11);
  return out;
}

/** Decode one 15-byte step (for tests and diagnostics). */
export function decodeStep(bytes: Uint8Array): SequenceStep {
  const b = buf(bytes);
  expectLength('step', b, STEP_BYTES);
  const mask = b.readUIntLE(0, 3);
  const channels: number[] = [];
  for (let ch = 0; ch < CHANNELS; ch++) if (mask & (1 << ch)) channels.push(ch);
  return { channels, level: b.readUInt16LE(3), settleUs: b.readUInt32LE(5), triggerUs: b.readUInt16LE(9), exposureUs: b.readUInt32LE(11) };
}

/** SEQ_LOAD payload: start index then 1..4 steps. */
export function encodeSeqLoad(index: number, steps: readonly SequenceStep[]): Buffer {
  if (steps.length < 1 || steps.length > STEPS_PER_LOAD) throw createError('GB_VALIDATION', `SEQ_LOAD: 1..${STEPS_PER_LOAD} steps per frame, got ${steps.length}`);
  return Buffer.concat([Buffer.from([index]), ...steps.map((s, i) => encodeStep(s, index + i))]);
}

/** SET_CONFIG payload. */
export function encodeConfig(config: RigConfig): Buffer {
  const { hostTimeoutMs, maxOnMs, tempLimitC } = config;
  if (!Number.isInteger(hostTimeoutMs) || hostTimeoutMs < 100 || hostTimeoutMs > 60000) {
    throw createError('GB_VALIDATION', `hostTimeoutMs must be an integer 100..60000, got ${hostTimeoutMs}`);
  }
  if (!Number.isInteger(maxOnMs) || maxOnMs < 1 || maxOnMs > 65535) throw createError('GB_VALIDATION', `maxOnMs must be an integer 1..65535, got ${maxOnMs}`);
  const cx100 = Math.round(tempLimitC * 100);
  if (!Number.isFinite(cx100) || cx100 < -4000 || cx100 > 15000) throw createError('GB_VALIDATION', `tempLimitC must be −40..150 °C, got ${tempLimitC}`);
  const out = Buffer.alloc(6);
  out.writeUInt16LE(hostTimeoutMs, 0);
  out.writeUInt16LE(maxOnMs, 2);
  out.writeInt16LE(cx100, 4);
  return out;
}

/** GEOMETRY_WRITE payload. */
export function encodeGeometryWrite(offset: number, bytes: Uint8Array): Buffer {
  if (bytes.length < 1 || bytes.length > GEOMETRY_CHUNK_BYTES) throw createError('GB_VALIDATION', `geometry chunk: 1..${GEOMETRY_CHUNK_BYTES} bytes, got ${bytes.length}`);
  const head = Buffer.alloc(2);
  head.writeUInt16LE(offset, 0);
  return Buffer.concat([head, bytes]);
}

/** GEOMETRY_READ payload. */
export function encodeGeometryRead(offset: number, length: number): Buffer {
  if (length < 1 || length > GEOMETRY_CHUNK_BYTES) throw createError('GB_VALIDATION', `geometry read: 1..${GEOMETRY_CHUNK_BYTES} bytes, got ${length}`);
  const out = Buffer.alloc(3);
  out.writeUInt16LE(offset, 0);
  out[2] = length;
  return out;
}
