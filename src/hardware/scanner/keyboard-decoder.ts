import { HID_KEY, MODIFIER, type KeyboardLayout, type KeyOutput } from './keyboard-layouts.ts';
import type { DecodedCode, ScanDecoder } from './decoded-code.ts';

/** Bytes in a boot-protocol keyboard input report: modifiers, reserved, six key slots. */
export const BOOT_REPORT_BYTES = 8;

export interface KeyboardDecoderOptions {
  layout: KeyboardLayout;
  /** Reports carry this report-id byte first (report protocol on a composite device); reports with another id are ignored. */
  reportId?: number;
  /** Partial input older than this is dropped before new keys are added (a stray key press is not the start of the next code), ms. */
  idleResetMs: number;
}

const SHIFT = MODIFIER.leftShift | MODIFIER.rightShift;
const CTRL = MODIFIER.leftCtrl | MODIFIER.rightCtrl;
const GUI = MODIFIER.leftGui | MODIFIER.rightGui;

function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/**
 * Decodes the input reports of a keyboard-wedge scanner (HID boot keyboard): a character is typed when its
 * key appears in a report that did not hold it before (rollover: several keys may be down at once, and
 * new keys count in slot order), with the modifiers of that report. Enter, keypad Enter or Tab ends a code.
 * Byte streams that are not aligned to reports (a recorded hidraw dump, garbage before a report) are
 * re-framed: a report's reserved byte is 0 and its slots hold no modifier usages, else one byte is skipped.
 */
export class KeyboardReportDecoder implements ScanDecoder {
  private readonly options: KeyboardDecoderOptions;
  private readonly reportBytes: number;
  private pending = new Uint8Array(0);
  private down = new Set<number>();
  private text = '';
  private problems: string[] = [];
  private deadKey: string | undefined;
  private capsLock = false;
  private lastKeyAtMs = -Infinity;

  constructor(options: KeyboardDecoderOptions) {
    this.options = options;
    this.reportBytes = BOOT_REPORT_BYTES + (options.reportId === undefined ? 0 : 1);
  }

  reset(): void {
    this.pending = new Uint8Array(0);
    this.down.clear();
    this.clearCode();
    this.capsLock = false;
  }

  private clearCode(): void {
    this.text = '';
    this.problems = [];
    this.deadKey = undefined;
  }

  push(chunk: Uint8Array, atMs: number): DecodedCode[] {
    const buf = new Uint8Array(this.pending.length + chunk.length);
    buf.set(this.pending, 0);
    buf.set(chunk, this.pending.length);
    const out: DecodedCode[] = [];
    let at = 0;
    while (buf.length - at >= this.reportBytes) {
      const report = buf.subarray(at, at + this.reportBytes);
      if (!this.plausible(report)) {
        at += 1; // resynchronise on the next byte
        continue;
      }
      at += this.reportBytes;
      const body = this.options.reportId === undefined ? report : report.subarray(1);
      const code = this.onReport(body, atMs);
      if (code) out.push(code);
    }
    this.pending = buf.slice(at);
    return out;
  }

  private plausible(report: Uint8Array): boolean {
    let body = report;
    if (this.options.reportId !== undefined) {
      if (report[0] !== this.options.reportId) return false;
      body = report.subarray(1);
    }
    if (body[1] !== 0) return false;
    // Usages 0xE0..0xE7 are the modifiers, which live in byte 0, never in a key slot.
    for (let i = 2; i < BOOT_REPORT_BYTES; i++) if (body[i] >= 0xe0) return false;
    return true;
  }

  private onReport(report: Uint8Array, atMs: number): DecodedCode | undefined {
    const slots = [...report.subarray(2, BOOT_REPORT_BYTES)];
    // Phantom state (too many keys): the report says nothing about which keys are down; keep the previous state.
    if (slots.some((k) => k === HID_KEY.errorRollOver || k === HID_KEY.postFail || k === HID_KEY.errorUndefined)) return undefined;
    const keys = slots.filter((k) => k !== 0);
    const fresh = keys.filter((k) => !this.down.has(k));
    this.down = new Set(keys);
    if (fresh.length === 0) return undefined;
    if (this.text.length + this.problems.length > 0 && atMs - this.lastKeyAtMs > this.options.idleResetMs) this.clearCode();
    this.lastKeyAtMs = atMs;
    const modifiers = report[0];
    let done: DecodedCode | undefined;
    for (const usage of fresh) {
      if (usage === HID_KEY.enter || usage === HID_KEY.keypadEnter || usage === HID_KEY.tab) {
        if (this.deadKey !== undefined) this.text += this.deadKey;
        // Enter with nothing typed (a scanner's empty read, a stray key) is no code at all.
        if (this.text.length > 0 || this.problems.length > 0) done = { text: this.text, problems: this.problems, atMs };
        this.clearCode();
        continue;
      }
      this.typeKey(usage, modifiers);
    }
    return done;
  }

  private typeKey(usage: number, modifiers: number): void {
    if (usage === HID_KEY.capsLock) {
      this.capsLock = !this.capsLock;
      return;
    }
    const position = this.text.length + 1;
    // LCtrl+LAlt is how some hosts and scanners spell AltGr; any other Ctrl or GUI chord is a command, not text.
    const altGr = (modifiers & MODIFIER.rightAlt) !== 0 || (modifiers & (MODIFIER.leftCtrl | MODIFIER.leftAlt)) === (MODIFIER.leftCtrl | MODIFIER.leftAlt);
    if (!altGr && (modifiers & (CTRL | GUI | MODIFIER.leftAlt)) !== 0) {
      this.problems.push(`character ${position}: key ${hex(usage)} with modifiers ${hex(modifiers)} is a control chord, not a character`);
      return;
    }
    const row = this.options.layout.keys.get(usage);
    const shifted = (modifiers & SHIFT) !== 0;
    const out: KeyOutput | undefined = row?.[altGr ? 2 : shifted ? 1 : 0];
    if (out === undefined) {
      this.problems.push(`character ${position}: key ${hex(usage)}${altGr ? ' with AltGr' : shifted ? ' with Shift' : ''} types nothing on the ${this.options.layout.name} layout`);
      return;
    }
    if (typeof out !== 'string') {
      if (this.deadKey !== undefined) {
        // Two dead keys in a row type both accents.
        this.text += this.deadKey + out.dead;
        this.deadKey = undefined;
      } else {
        this.deadKey = out.dead;
      }
      return;
    }
    let ch = out;
    // Caps Lock shifts letters only; Shift with Caps Lock gives lower case again.
    if (this.capsLock && !altGr && ch.length === 1 && ch.toLowerCase() !== ch.toUpperCase()) ch = shifted ? ch.toLowerCase() : ch.toUpperCase();
    if (this.deadKey !== undefined) {
      if (ch === ' ') ch = this.deadKey;
      else this.problems.push(`character ${position}: accent ${this.deadKey} composes with "${ch}" (not a barcode character)`);
      this.deadKey = undefined;
    }
    this.text += ch;
  }
}
