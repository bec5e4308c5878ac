import { createError } from './errors.ts';

/** Longest barcode kept (the cards table allows 1..128 characters). */
export const MAX_BARCODE_LENGTH = 128;

/** Validate a submission barcode before anything starts: non-empty, printable ASCII, ≤ 128 characters. */
export function validateBarcode(barcode: string | undefined): string {
  if (barcode === undefined || barcode.length === 0) throw createError('GB_VALIDATION', 'barcode: expected a non-empty code, got none');
  if (barcode.length > MAX_BARCODE_LENGTH) throw createError('GB_VALIDATION', `barcode: at most ${MAX_BARCODE_LENGTH} characters, got ${barcode.length}`);
  const bad = [...barcode].findIndex((ch) => ch < ' ' || ch > '~');
  if (bad >= 0) {
    throw createError('GB_VALIDATION', `barcode: only printable ASCII is allowed; character ${bad + 1} is U+${barcode.codePointAt(bad)!.toString(16).toUpperCase().padStart(4, '0')}`);
  }
  if (barcode.trim() !== barcode) throw createError('GB_VALIDATION', 'barcode: leading or trailing spaces are not allowed');
  return barcode;
}
