/** A code as a decoder read it, before validation: its text and anything that went wrong on the way. */
export interface DecodedCode {
  /** The characters read, terminator excluded. */
  text: string;
  /** Why the text cannot be trusted (unmapped key, control character, …); empty when clean. */
  problems: string[];
  /** Symbology as reported by a HID-POS scanner (AIM identifier such as "]C0"), when known. */
  symbology?: string;
  /** When the terminator (or the last report) arrived, ms on the decoder's clock. */
  atMs: number;
}

/** A decoder turns a scanner's raw bytes into codes; it keeps partial input between calls. */
export interface ScanDecoder {
  /** Feed one chunk as read from the device (one report, several, or part of one). */
  push(chunk: Uint8Array, atMs: number): DecodedCode[];
  /** Drop partial input (after a reconnect). */
  reset(): void;
}
