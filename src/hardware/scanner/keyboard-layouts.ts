/**
 * Keyboard layouts for keyboard-wedge scanners: what each HID usage (Keyboard/Keypad page 0x07) types
 * without a modifier, with Shift and with AltGr. A scanner "types" a code on the layout it was
 * configured for, so the host must decode with that same layout: an AZERTY scanner sends Shift+1 for "1".
 * Only what a printable-ASCII barcode can need is modelled; dead keys are marked (a dead key followed by
 * Space types the accent itself).
 */
export type KeyOutput = string | { dead: string };

/** One key: [plain, shift, altGr]; undefined = types nothing on this layout. */
export type KeyRow = readonly [KeyOutput | undefined, KeyOutput | undefined, KeyOutput | undefined];

export interface KeyboardLayout {
  readonly name: LayoutName;
  readonly keys: ReadonlyMap<number, KeyRow>;
}

export const LAYOUT_NAMES = ['us', 'uk', 'de', 'fr'] as const;
export type LayoutName = (typeof LAYOUT_NAMES)[number];

/** HID usages (Keyboard/Keypad page) the decoders treat specially. */
export const HID_KEY = {
  errorRollOver: 0x01,
  postFail: 0x02,
  errorUndefined: 0x03,
  enter: 0x28,
  escape: 0x29,
  backspace: 0x2a,
  tab: 0x2b,
  space: 0x2c,
  capsLock: 0x39,
  keypadEnter: 0x58,
} as const;

/** Modifier bits of byte 0 of a boot keyboard report. */
export const MODIFIER = { leftCtrl: 0x01, leftShift: 0x02, leftAlt: 0x04, leftGui: 0x08, rightCtrl: 0x10, rightShift: 0x20, rightAlt: 0x40, rightGui: 0x80 } as const;

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function build(name: LayoutName, overrides: Record<number, KeyRow>, letterMap: Record<string, string> = {}): KeyboardLayout {
  const keys = new Map<number, KeyRow>();
  for (let i = 0; i < 26; i++) {
    const letter = letterMap[LETTERS[i]] ?? LETTERS[i];
    keys.set(0x04 + i, [letter, letter.toUpperCase(), undefined]);
  }
  keys.set(HID_KEY.space, [' ', ' ', undefined]);
  // The keypad types the same digits and operators on every layout (Num Lock is on for scanners).
  const keypad: Record<number, string> = { 0x54: '/', 0x55: '*', 0x56: '-', 0x57: '+', 0x62: '0', 0x63: '.' };
  for (let d = 1; d <= 9; d++) keypad[0x58 + d] = String(d);
  for (const [usage, ch] of Object.entries(keypad)) keys.set(Number(usage), [ch, ch, undefined]);
  for (const [usage, row] of Object.entries(overrides)) keys.set(Number(usage), row);
  return { name, keys };
}

const dead = (accent: string): KeyOutput => ({ dead: accent });

// Number row 0x1E..0x27 is 1..9, 0.
const US_ROWS: Record<number, KeyRow> = {
  0x1e: ['1', '!', undefined], 0x1f: ['2', '@', undefined], 0x20: ['3', '#', undefined], 0x21: ['4', '$', undefined],
  0x22: ['5', '%', undefined], 0x23: ['6', '^', undefined], 0x24: ['7', '&', undefined], 0x25: ['8', '*', undefined],
  0x26: ['9', '(', undefined], 0x27: ['0', ')', undefined],
  0x2d: ['-', '_', undefined], 0x2e: ['=', '+', undefined], 0x2f: ['[', '{', undefined], 0x30: [']', '}', undefined],
  0x31: ['\\', '|', undefined], 0x32: ['\\', '|', undefined], 0x33: [';', ':', undefined], 0x34: ["'", '"', undefined],
  0x35: ['`', '~', undefined], 0x36: [',', '<', undefined], 0x37: ['.', '>', undefined], 0x38: ['/', '?', undefined],
  0x64: ['\\', '|', undefined],
};

const UK_ROWS: Record<number, KeyRow> = {
  ...US_ROWS,
  0x1f: ['2', '"', undefined], 0x20: ['3', '£', undefined], 0x34: ["'", '@', undefined],
  0x31: ['#', '~', undefined], 0x32: ['#', '~', undefined], 0x35: ['`', '¬', '¦'], 0x64: ['\\', '|', undefined],
};

const DE_ROWS: Record<number, KeyRow> = {
  0x1e: ['1', '!', undefined], 0x1f: ['2', '"', '²'], 0x20: ['3', '§', '³'], 0x21: ['4', '$', undefined],
  0x22: ['5', '%', undefined], 0x23: ['6', '&', undefined], 0x24: ['7', '/', '{'], 0x25: ['8', '(', '['],
  0x26: ['9', ')', ']'], 0x27: ['0', '=', '}'],
  0x2d: ['ß', '?', '\\'], 0x2e: [dead('´'), dead('`'), undefined], 0x2f: ['ü', 'Ü', undefined], 0x30: ['+', '*', '~'],
  0x31: ['#', "'", undefined], 0x32: ['#', "'", undefined], 0x33: ['ö', 'Ö', undefined], 0x34: ['ä', 'Ä', undefined],
  0x35: [dead('^'), '°', undefined], 0x36: [',', ';', undefined], 0x37: ['.', ':', undefined], 0x38: ['-', '_', undefined],
  0x64: ['<', '>', '|'],
  0x14: ['q', 'Q', '@'], 0x08: ['e', 'E', '€'], 0x10: ['m', 'M', 'µ'],
};

const FR_ROWS: Record<number, KeyRow> = {
  0x1e: ['&', '1', undefined], 0x1f: ['é', '2', dead('~')], 0x20: ['"', '3', '#'], 0x21: ["'", '4', '{'],
  0x22: ['(', '5', '['], 0x23: ['-', '6', '|'], 0x24: ['è', '7', dead('`')], 0x25: ['_', '8', '\\'],
  0x26: ['ç', '9', '^'], 0x27: ['à', '0', '@'],
  0x2d: [')', '°', ']'], 0x2e: ['=', '+', '}'], 0x2f: [dead('^'), dead('¨'), undefined], 0x30: ['$', '£', '¤'],
  0x31: ['*', 'µ', undefined], 0x32: ['*', 'µ', undefined], 0x33: ['m', 'M', undefined], 0x34: ['ù', '%', undefined],
  0x35: ['²', undefined, undefined], 0x36: [';', '.', undefined], 0x37: [':', '/', undefined], 0x38: ['!', '§', undefined],
  0x64: ['<', '>', undefined],
  0x10: [',', '?', undefined], 0x08: ['e', 'E', '€'],
};

export const LAYOUTS: Readonly<Record<LayoutName, KeyboardLayout>> = {
  us: build('us', US_ROWS),
  uk: build('uk', UK_ROWS),
  de: build('de', DE_ROWS, { y: 'z', z: 'y' }),
  // AZERTY: A↔Q and Z↔W swap places; M moves to the ";" key (0x33), whose own usage types "," here.
  fr: build('fr', FR_ROWS, { a: 'q', q: 'a', w: 'z', z: 'w' }),
};

/** The layout of this name; throws on an unknown name (settings validation prevents that). */
export function keyboardLayout(name: LayoutName): KeyboardLayout {
  const layout = LAYOUTS[name];
  if (!layout) throw new Error(`unknown keyboard layout "${name}"`);
  return layout;
}
