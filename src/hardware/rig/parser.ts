import { Transform, type TransformCallback } from 'node:stream';
import { FRAME_OVERHEAD, HEADER_BYTES, MAX_PAYLOAD, RigFrame, SYNC, crc16 } from './frame.ts';

/** Inter-byte timeout: a frame not complete this long after its SYNC byte is dropped (PROTOCOL.md). */
export const INTER_BYTE_TIMEOUT_MS = 20;

/** What the parser has thrown away so far. */
export interface ParserCounters {
  /** Bytes discarded: before a SYNC, or a SYNC that did not start a valid frame. */
  garbageBytes: number;
  /** Frames dropped because their CRC did not match. */
  crcErrors: number;
  /** Incomplete frames dropped by the inter-byte timeout. */
  timeouts: number;
}

/**
 * Bytes in, whole `RigFrame`s out (object mode). Buffers partial frames, resynchronises by dropping one
 * SYNC byte when LEN or CRC is wrong (so a real frame after a false 0xA5 is still found), and drops an
 * incomplete frame after the inter-byte timeout the same way.
 */
export class RigParser extends Transform {
  readonly counters: ParserCounters = { garbageBytes: 0, crcErrors: 0, timeouts: 0 };
  private buffer: Buffer = Buffer.alloc(0);
  private timer: NodeJS.Timeout | undefined;
  private timerDueMs = 0;
  private readonly interByteTimeoutMs: number;

  constructor(options: { interByteTimeoutMs?: number } = {}) {
    super({ readableObjectMode: true });
    this.interByteTimeoutMs = options.interByteTimeoutMs ?? INTER_BYTE_TIMEOUT_MS;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // The partial frame at the head keeps its deadline (counted from its SYNC byte, not from each chunk).
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    this.scan();
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.clearTimer();
    this.counters.garbageBytes += this.buffer.length;
    this.buffer = Buffer.alloc(0);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.clearTimer();
    callback(error);
  }

  /** Bytes held waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buffer.length;
  }

  private scan(): void {
    let pos = 0;
    const buf = this.buffer;
    while (pos < buf.length) {
      if (buf[pos] !== SYNC) {
        const next = buf.indexOf(SYNC, pos);
        const end = next < 0 ? buf.length : next;
        this.counters.garbageBytes += end - pos;
        pos = end;
        continue;
      }
      if (buf.length - pos < 2) break;
      const len = buf[pos + 1];
      if (len > MAX_PAYLOAD) {
        this.counters.garbageBytes += 1;
        pos += 1;
        continue;
      }
      const total = FRAME_OVERHEAD + len;
      if (buf.length - pos < total) break;
      const crcAt = pos + HEADER_BYTES + len;
      const want = crc16(buf, pos + 1, crcAt);
      const got = (buf[crcAt] << 8) | buf[crcAt + 1];
      if (want !== got) {
        this.counters.crcErrors += 1;
        this.counters.garbageBytes += 1;
        pos += 1;
        continue;
      }
      this.push(new RigFrame(buf[pos + 3], buf[pos + 2], buf.subarray(pos + HEADER_BYTES, crcAt)));
      pos += total;
    }
    this.buffer = buf.subarray(pos);
    // A partial frame waits at most the inter-byte timeout for the rest of its bytes.
    if (this.buffer.length === 0 || pos > 0) this.clearTimer();
    if (this.buffer.length > 0 && !this.timer) this.armTimer();
  }

  private armTimer(): void {
    this.timerDueMs = performance.now() + this.interByteTimeoutMs;
    this.timer = setTimeout(() => this.expirePartial(), this.interByteTimeoutMs);
    this.timer.unref();
  }

  private expirePartial(): void {
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    // A timer that fires late means the event loop was busy: the rest of the frame may be sitting unread
    // in the port. Give it another window rather than blaming the line.
    if (performance.now() - this.timerDueMs > this.interByteTimeoutMs / 2) {
      this.armTimer();
      return;
    }
    this.counters.timeouts += 1;
    this.counters.garbageBytes += 1;
    this.buffer = this.buffer.subarray(1);
    this.scan();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
