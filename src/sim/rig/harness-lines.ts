/**
 * Parsing of the simavr harness's stdout lines (the harness contract: `READY`, `L`, `B`, `T`, `S`,
 * `RESET`, `ERR`). Pure functions, so the format is tested without the simulator.
 */
export type HarnessLine =
  | { kind: 'ready'; ptyPath: string }
  | { kind: 'latch'; timeUs: number; levels: number[] }
  | { kind: 'blank'; timeUs: number; high: boolean }
  | { kind: 'trigger'; timeUs: number; high: boolean }
  | { kind: 'status'; timeUs: number; on: boolean }
  | { kind: 'reset'; timeUs: number }
  | { kind: 'error'; message: string }
  | { kind: 'other'; text: string };

/** Parse one harness stdout line; unknown lines come back as `other` (logged, never fatal). */
export function parseHarnessLine(line: string): HarnessLine {
  const text = line.trim();
  const sp = text.indexOf(' ');
  const head = sp < 0 ? text : text.slice(0, sp);
  const rest = sp < 0 ? '' : text.slice(sp + 1).trim();
  const fields = rest.length > 0 ? rest.split(/\s+/) : [];
  const num = (s: string | undefined): number => (s === undefined ? NaN : Number(s));
  switch (head) {
    case 'READY':
      return { kind: 'ready', ptyPath: rest };
    case 'ERR':
      return { kind: 'error', message: rest };
    case 'L': {
      const timeUs = num(fields[0]);
      const levels = fields.slice(1).map(Number);
      if (Number.isFinite(timeUs) && levels.length === 24 && levels.every((l) => Number.isInteger(l) && l >= 0 && l <= 4095)) {
        return { kind: 'latch', timeUs, levels };
      }
      break;
    }
    case 'B':
    case 'T':
    case 'S': {
      const timeUs = num(fields[0]);
      const v = fields[1];
      if (Number.isFinite(timeUs) && (v === '0' || v === '1') && fields.length === 2) {
        if (head === 'B') return { kind: 'blank', timeUs, high: v === '1' };
        if (head === 'T') return { kind: 'trigger', timeUs, high: v === '1' };
        return { kind: 'status', timeUs, on: v === '1' };
      }
      break;
    }
    case 'RESET': {
      const timeUs = num(fields[0]);
      if (Number.isFinite(timeUs)) return { kind: 'reset', timeUs };
      break;
    }
    default:
      break;
  }
  return { kind: 'other', text };
}
