import { BOOT_REPORT_BYTES } from '../../hardware/scanner/keyboard-decoder.ts';
import { HID_KEY, MODIFIER, type KeyboardLayout } from '../../hardware/scanner/keyboard-layouts.ts';

export interface KeyboardEncodeOptions {
  /** Which Shift key the scanner presses (real scanners differ). */
  shift?: 'left' | 'right';
  /** How AltGr is sent: the right Alt key, or Ctrl+Alt. */
  altGr?: 'right-alt' | 'ctrl-alt';
  /** Key that ends the code. */
  terminator?: 'enter' | 'keypad-enter' | 'tab' | 'none';
  /** Press the next key before releasing the previous one (n-key rollover), where the modifiers allow. */
  rollover?: boolean;
}

interface Stroke {
  usage: number;
  modifiers: number;
}

function bootReport(modifiers: number, keys: number[]): Uint8Array {
  const r = new Uint8Array(BOOT_REPORT_BYTES);
  r[0] = modifiers;
  keys.slice(0, 6).forEach((k, i) => (r[2 + i] = k));
  return r;
}

/**
 * The key strokes that type `ch` on a layout: the key without a modifier if there is one, else with Shift,
 * else with AltGr; a character that exists only as a dead key is the dead key then Space.
 */
function strokesFor(layout: KeyboardLayout, ch: string, shiftBit: number, altGrBits: number): Stroke[] | undefined {
  const levels = [0, 1, 2] as const;
  const modifiers = (level: 0 | 1 | 2) => (level === 0 ? 0 : level === 1 ? shiftBit : altGrBits);
  // Main keys (at any level) before the keypad (0x54..0x63): scanners type digits on the main row, with
  // Shift on AZERTY.
  const isKeypad = (u: number) => u >= 0x54 && u <= 0x63;
  const sorted = [...layout.keys].sort(([a], [b]) => a - b);
  for (const group of [sorted.filter(([u]) => !isKeypad(u)), sorted.filter(([u]) => isKeypad(u))]) {
    for (const level of levels) {
      for (const [usage, row] of group) if (row[level] === ch) return [{ usage, modifiers: modifiers(level) }];
    }
  }
  for (const level of levels) {
    for (const [usage, row] of sorted) {
      const out = row[level];
      if (typeof out === 'object' && out.dead === ch) return [{ usage, modifiers: modifiers(level) }, { usage: HID_KEY.space, modifiers: 0 }];
    }
  }
  return undefined;
}

/**
 * Encode text as the boot keyboard input reports a keyboard-wedge scanner set to `layout` sends: each
 * key pressed (with its modifiers) and released, then the terminator. Throws for a character the layout
 * cannot type (a real scanner would send nothing useful for it either).
 */
export function encodeKeyboardReports(text: string, layout: KeyboardLayout, options: KeyboardEncodeOptions = {}): Uint8Array[] {
  const shiftBit = options.shift === 'right' ? MODIFIER.rightShift : MODIFIER.leftShift;
  const altGrBits = options.altGr === 'ctrl-alt' ? MODIFIER.leftCtrl | MODIFIER.leftAlt : MODIFIER.rightAlt;
  const strokes: Stroke[] = [];
  for (const ch of text) {
    const s = strokesFor(layout, ch, shiftBit, altGrBits);
    if (!s) throw new Error(`the ${layout.name} layout cannot type "${ch}"`);
    strokes.push(...s);
  }
  const terminator = options.terminator ?? 'enter';
  if (terminator !== 'none') {
    strokes.push({ usage: terminator === 'tab' ? HID_KEY.tab : terminator === 'keypad-enter' ? HID_KEY.keypadEnter : HID_KEY.enter, modifiers: 0 });
  }
  const reports: Uint8Array[] = [];
  let held: Stroke | undefined;
  for (const s of strokes) {
    if (options.rollover && held && held.modifiers === s.modifiers && held.usage !== s.usage) {
      // Both keys down, then the first released: the decoder must type only the newly pressed key.
      reports.push(bootReport(s.modifiers, [held.usage, s.usage]));
      reports.push(bootReport(s.modifiers, [s.usage]));
    } else {
      if (held) reports.push(bootReport(0, []));
      reports.push(bootReport(s.modifiers, [s.usage]));
    }
    held = s;
  }
  if (held) reports.push(bootReport(0, []));
  return reports;
}
