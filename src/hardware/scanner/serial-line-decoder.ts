import type { DecodedCode, ScanDecoder } from './decoded-code.ts';

/**
 * Decodes a serial (CDC-ACM or RS-232) scanner's byte stream: a code is the bytes up to CR, LF or Tab
 * (CR LF counts once), read as Latin-1 so that any byte maps to one character and validation can name it.
 * Partial input older than `idleResetMs` is dropped: line noise is not the start of the next code.
 */
export class SerialLineDecoder implements ScanDecoder {
  private readonly idleResetMs: number;
  private line: number[] = [];
  private lastByteAtMs = -Infinity;

  constructor(options: { idleResetMs: number }) {
    this.idleResetMs = options.idleResetMs;
  }

  reset(): void {
    this.line = [];
  }

  push(chunk: Uint8Array, atMs: number): DecodedCode[] {
    if (this.line.length > 0 && atMs - this.lastByteAtMs > this.idleResetMs) this.line = [];
    if (chunk.length > 0) this.lastByteAtMs = atMs;
    const out: DecodedCode[] = [];
    for (const byte of chunk) {
      if (byte === 0x0d || byte === 0x0a || byte === 0x09) {
        if (this.line.length > 0) out.push({ text: String.fromCharCode(...this.line), problems: [], atMs });
        this.line = [];
      } else if (this.line.length < 4096) {
        this.line.push(byte);
      }
    }
    return out;
  }
}
