import { createError } from '../../core/errors.ts';

/** Protocol version this host speaks (PROTOCOL.md title). */
export const PROTOCOL_VERSION = 1;
/** LED driver channels. */
export const CHANNELS = 24;
/** Largest 12-bit LED level. */
export const MAX_LEVEL = 4095;
/** Bytes of 24 packed 12-bit levels. */
export const PACKED_LEVELS_BYTES = 36;
/** Bytes of one sequence step in SEQ_LOAD. */
export const STEP_BYTES = 15;
/** Steps per SEQ_LOAD frame. */
export const STEPS_PER_LOAD = 4;
/** Bytes per GEOMETRY_READ/WRITE frame. */
export const GEOMETRY_CHUNK_BYTES = 60;
/** Bytes of the serial field. */
export const SERIAL_BYTES = 16;

/** Command codes (host → firmware); the response is code | 0x80. */
export const Cmd = {
  IDENTIFY: 0x01,
  PING: 0x02,
  SET_LEVELS: 0x03,
  ALL_OFF: 0x04,
  GET_STATUS: 0x05,
  SEQ_CLEAR: 0x06,
  SEQ_LOAD: 0x07,
  SEQ_RUN: 0x08,
  SEQ_ABORT: 0x09,
  CLEAR_FAULTS: 0x0a,
  SET_CONFIG: 0x0b,
  SET_SERIAL: 0x0c,
  GEOMETRY_WRITE: 0x0d,
  GEOMETRY_READ: 0x0e,
} as const;
export type CmdName = keyof typeof Cmd;

export const EVENT_ACK = 0x40;
export const NAK = 0xff;
export const RESPONSE_BIT = 0x80;

/** Event codes (firmware → host). */
export const Evt = { BOOT: 0xc0, STEP_DONE: 0xc1, SEQ_DONE: 0xc2, FAULT: 0xc3, TEMPERATURE: 0xc4 } as const;

export const NakReason = { BAD_CRC: 1, UNKNOWN_TYPE: 2, BAD_LENGTH: 3, BUSY: 4, BAD_ARG: 5, FAULT_ACTIVE: 6 } as const;

/** Fault bits of STATUS.faults, FAULT and SEQ_DONE. */
export const Fault = {
  HOST_TIMEOUT: 0x0001,
  ON_TIME: 0x0002,
  OVER_TEMP: 0x0004,
  THERMISTOR: 0x0008,
  EVENTS_LOST: 0x0010,
  BAD_SEQUENCE: 0x0020,
} as const;

/** True for firmware event type codes 0xC0..0xCF. */
export function isEventType(type: number): boolean {
  return type >= 0xc0 && type <= 0xcf;
}

/** Name of a type code for messages: `IDENTIFY`, `IDENTIFY_RSP`, `STEP_DONE`, `NAK`, `0x33`. */
export function typeName(type: number): string {
  for (const [name, code] of Object.entries(Cmd)) {
    if (code === type) return name;
    if ((code | RESPONSE_BIT) === type) return `${name}_RSP`;
  }
  for (const [name, code] of Object.entries(Evt)) if (code === type) return name;
  if (type === EVENT_ACK) return 'EVENT_ACK';
  if (type === NAK) return 'NAK';
  return `0x${type.toString(16).padStart(2, '0')}`;
}

/** Names of the fault bits set in `faults`, e.g. ['HOST_TIMEOUT']. */
export function faultNames(faults: number): string[] {
  return Object.entries(Fault).filter(([, bit]) => (faults & bit) !== 0).map(([name]) => name);
}

/** Name of a NAK reason code. */
export function nakReasonName(reason: number): string {
  return Object.entries(NakReason).find(([, code]) => code === reason)?.[0] ?? `reason ${reason}`;
}

/** Pack 24 levels (0..4095) into 36 bytes, two levels per three bytes, channel 0 first. */
export function packLevels(levels: readonly number[]): Buffer {
  if (levels.length !== CHANNELS) throw createError('GB_VALIDATION', `levels: expected ${CHANNELS} values, got ${levels.length}`);
  const out = Buffer.alloc(PACKED_LEVELS_BYTES);
  for (let i = 0; i < CHANNELS; i++) {
    const l = levels[i];
    if (!Number.isInteger(l) || l < 0 || l > MAX_LEVEL) throw createError('GB_VALIDATION', `levels[${i}]: expected an integer 0..${MAX_LEVEL}, got ${l}`);
  }
  for (let p = 0; p < CHANNELS / 2; p++) {
    const a = levels[2 * p];
    const b = levels[2 * p + 1];
    out[3 * p] = a & 0xff;
    out[3 * p + 1] = (a >> 8) | ((b & 0x0f) << 4);
    out[3 * p + 2] = b >> 4;
  }
  return out;
}

/** Unpack 36 bytes into 24 levels. */
export function unpackLevels(bytes: Uint8Array): number[] {
  if (bytes.length !== PACKED_LEVELS_BYTES) throw createError('GB_RIG_PROTOCOL', `packed levels: expected ${PACKED_LEVELS_BYTES} bytes, got ${bytes.length}`);
  const levels: number[] = [];
  for (let p = 0; p < CHANNELS / 2; p++) {
    const b0 = bytes[3 * p];
    const b1 = bytes[3 * p + 1];
    const b2 = bytes[3 * p + 2];
    levels.push(b0 | ((b1 & 0x0f) << 8), (b1 >> 4) | (b2 << 4));
  }
  return levels;
}

/** Encode a string as a 16-byte NUL-padded ASCII serial. */
export function encodeSerial(serial: string): Buffer {
  if (!/^[\x20-\x7e]{1,16}$/.test(serial)) {
    throw createError('GB_VALIDATION', `serial: expected 1..${SERIAL_BYTES} printable ASCII characters, got ${JSON.stringify(serial)}`);
  }
  const out = Buffer.alloc(SERIAL_BYTES);
  out.write(serial, 'ascii');
  return out;
}

/** Decode a NUL-padded ASCII field. */
export function decodeAscii(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(bytes.subarray(0, end < 0 ? bytes.length : end)).toString('latin1');
}
