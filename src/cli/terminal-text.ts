import type { Writable } from 'node:stream';

// Text from the database, a device or an argument can hold control characters: printed raw, an ESC
// sequence rewrites the terminal (colours, cursor moves, a fake "revoked" line, a hidden row), a newline
// forges a table row, a bidi override reverses what is read. Everything the CLI prints from data goes
// through escapeTerminal; tables go through printTable, which uses it for every cell.

// C0 and C1 controls, DEL, line/paragraph separators, bidi marks/embeddings/overrides/isolates, and
// lone surrogates (which a terminal cannot show and which are not valid UTF-8).
const unsafe = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` with every control character, bidi control and lone surrogate shown as a visible escape (`\x1b`, `\n`, `\u{202e}`). */
export function escapeTerminal(text: string): string {
  return text.replace(unsafe, (c) => {
    switch (c) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default: {
        const code = c.charCodeAt(0);
        return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
      }
    }
  });
}

/** Width of `text` in terminal columns, counting code points (close enough for the CLI's Latin tables). */
const columns = (text: string): number => [...text].length;

/**
 * Print rows as a table: every cell escaped, columns padded to the widest cell (the last column is not
 * padded), two spaces between columns.
 */
export function printTable(out: Writable, rows: ReadonlyArray<ReadonlyArray<string | number>>): void {
  const safe = rows.map((row) => row.map((cell) => escapeTerminal(String(cell))));
  const widths: number[] = [];
  for (const row of safe) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, columns(cell))));
  for (const row of safe) {
    const line = row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] - columns(cell)))).join('  ');
    out.write(`${line.trimEnd()}\n`);
  }
}
