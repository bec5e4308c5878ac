import { createError } from '../../core/errors.ts';

/** Start-of-frame byte (PROTOCOL.md "Frame"). */
export const SYNC = 0xa5;
/** Largest payload a frame may carry, bytes. */
export const MAX_PAYLOAD = 64;
/** SYNC + LEN + SEQ + TYPE + CRC16: bytes of a frame besides its payload. */
export const FRAME_OVERHEAD = 6;
/** Bytes before the payload. */
export const HEADER_BYTES = 4;

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR) of bytes[start, end). */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i] << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/**
 * One link frame as a pure value: type code, sequence number and payload. No I/O here; the parser
 * builds these from bytes and the writer turns them into bytes.
 */
export class RigFrame {
  readonly type: number;
  readonly seq: number;
  readonly payload: Buffer;

  constructor(type: number, seq: number, payload: Uint8Array = Buffer.alloc(0)) {
    if (!Number.isInteger(type) || type < 0 || type > 0xff) throw createError('GB_RIG_PROTOCOL', `frame type must be 0..255, got ${type}`);
    if (!Number.isInteger(seq) || seq < 0 || seq > 0xff) throw createError('GB_RIG_PROTOCOL', `frame seq must be 0..255, got ${seq}`);
    if (payload.length > MAX_PAYLOAD) {
      throw createError('GB_RIG_PROTOCOL', `frame payload must be at most ${MAX_PAYLOAD} bytes, got ${payload.length}`);
    }
    this.type = type;
    this.seq = seq;
    this.payload = Buffer.from(payload);
  }

  /** Whole frame on the wire: SYNC, LEN, SEQ, TYPE, payload, CRC16 big-endian. */
  toBuffer(): Buffer {
    const len = this.payload.length;
    const out = Buffer.alloc(FRAME_OVERHEAD + len);
    out[0] = SYNC;
    out[1] = len;
    out[2] = this.seq;
    out[3] = this.type;
    this.payload.copy(out, HEADER_BYTES);
    out.writeUInt16BE(crc16(out, 1, HEADER_BYTES + len), HEADER_BYTES + len);
    return out;
  }

  /** Decode exactly one whole frame (no garbage around it); throws GB_RIG_PROTOCOL saying what is wrong. */
  static fromBuffer(bytes: Uint8Array): RigFrame {
    if (bytes.length < FRAME_OVERHEAD) throw createError('GB_RIG_PROTOCOL', `frame needs at least ${FRAME_OVERHEAD} bytes, got ${bytes.length}`);
    if (bytes[0] !== SYNC) throw createError('GB_RIG_PROTOCOL', `frame must start with 0xa5, got 0x${bytes[0].toString(16)}`);
    const len = bytes[1];
    if (len > MAX_PAYLOAD) throw createError('GB_RIG_PROTOCOL', `frame LEN must be ≤ ${MAX_PAYLOAD}, got ${len}`);
    if (bytes.length !== FRAME_OVERHEAD + len) {
      throw createError('GB_RIG_PROTOCOL', `frame with LEN ${len} must be ${FRAME_OVERHEAD + len} bytes, got ${bytes.length}`);
    }
    const want = crc16(bytes, 1, HEADER_BYTES + len);
    const got = (bytes[HEADER_BYTES + len] << 8) | bytes[HEADER_BYTES + len + 1];
    if (want !== got) throw createError('GB_RIG_PROTOCOL', `frame CRC 0x${got.toString(16)} does not match computed 0x${want.toString(16)}`);
    return new RigFrame(bytes[3], bytes[2], bytes.subarray(HEADER_BYTES, HEADER_BYTES + len));
  }

  /** Short human form for logs and error messages: `IDENTIFY#12 [0 bytes]`. */
  describe(typeName: (type: number) => string): string {
    return `${typeName(this.type)}#${this.seq} [${this.payload.length} bytes]`;
  }
}
