import { createError, type GradeboothError } from '../../core/errors.ts';
import { validateBarcode } from '../../core/barcode.ts';
import type { DecodedCode } from './decoded-code.ts';

export interface CodeRules {
  /** A regular expression the whole code must match; '' = any code validateBarcode accepts. */
  pattern: string;
  /** The same code read again within this window is one read (a double trigger), ms. */
  debounceMs: number;
}

export type FilterOutcome =
  | { kind: 'accepted'; code: string; symbology?: string; atMs: number }
  | { kind: 'rejected'; error: GradeboothError; text: string; atMs: number }
  | { kind: 'duplicate'; code: string; atMs: number };

/** Compile a code pattern, anchored on both ends; throws a GB_CONFIG_INVALID naming the key when it does not compile. */
export function compileCodePattern(pattern: string, key = 'hardware.scanner.pattern'): RegExp | undefined {
  if (pattern === '') return undefined;
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (err) {
    throw createError('GB_CONFIG_INVALID', `"${key}" is not a valid regular expression: ${(err as Error).message}`);
  }
}

/** Printable form of a raw read for messages and logs: control characters as \xNN, length capped. */
export function printableText(text: string): string {
  const shown = [...text.slice(0, 64)].map((ch) => (ch < ' ' || ch === '\x7f' ? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}` : ch)).join('');
  return text.length > 64 ? `${shown}…` : shown;
}

/**
 * Turns decoded codes into scans: rejects what does not parse (decoder problems, validateBarcode's rules,
 * the configured pattern) with GB_BARCODE_INVALID, and folds a repeated read of the same code within the
 * debounce window into the first one.
 */
export class CodeFilter {
  private readonly rules: CodeRules;
  private readonly pattern: RegExp | undefined;
  private last: { code: string; atMs: number } | undefined;

  constructor(rules: CodeRules) {
    this.rules = rules;
    this.pattern = compileCodePattern(rules.pattern);
  }

  apply(decoded: DecodedCode): FilterOutcome {
    const { text, atMs } = decoded;
    const reject = (why: string): FilterOutcome => ({
      kind: 'rejected',
      error: createError('GB_BARCODE_INVALID', `scanned code "${printableText(text)}" does not parse: ${why}`, { text: printableText(text) }),
      text,
      atMs,
    });
    if (decoded.problems.length > 0) return reject(decoded.problems.join('; '));
    try {
      validateBarcode(text);
    } catch (err) {
      return reject((err as Error).message);
    }
    if (this.pattern && !this.pattern.test(text)) return reject(`expected a code matching ${this.rules.pattern} (hardware.scanner.pattern)`);
    if (this.last && this.last.code === text && atMs - this.last.atMs < this.rules.debounceMs) {
      // The window slides: a scanner held over a label keeps re-reading it, and that is still one scan.
      this.last = { code: text, atMs };
      return { kind: 'duplicate', code: text, atMs };
    }
    this.last = { code: text, atMs };
    const accepted: FilterOutcome = { kind: 'accepted', code: text, atMs };
    if (decoded.symbology !== undefined) accepted.symbology = decoded.symbology;
    return accepted;
  }
}
