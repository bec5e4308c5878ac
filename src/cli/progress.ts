import type { Writable } from 'node:stream';

/** Progress of one step of known length, shown as a bar on a terminal and as plain lines otherwise. */
export interface Progress {
  /** Mark `done` of `total` units finished, with an optional note (e.g. the file just read). */
  update(done: number, note?: string): void;
  /** Advance by one unit. */
  tick(note?: string): void;
  /** Finish the step (prints the final state once). */
  finish(note?: string): void;
}

export interface ProgressOptions {
  /** Force bar (true) or plain-line (false) output; default: a bar when the stream is a TTY. */
  tty?: boolean;
  /** Bar width in characters (default 28). */
  widthChars?: number;
  /** Plain mode prints a line at most every this many percent (default 10), plus the last. */
  plainStepPercent?: number;
}

/**
 * Start a progress display for `total` units labelled `label`. On a TTY it redraws one line with a bar;
 * elsewhere (logs, CI, pipes) it prints a plain line every few percent, so logs stay readable. Writes
 * go to the given stream, normally stderr, keeping stdout for results and `--json` lines.
 */
export function startProgress(stream: Writable, label: string, total: number, options: ProgressOptions = {}): Progress {
  const tty = options.tty ?? (stream as Writable & { isTTY?: boolean }).isTTY === true;
  const width = options.widthChars ?? 28;
  const stepPercent = options.plainStepPercent ?? 10;
  let done = 0;
  let lastPlainPercent = -Infinity;
  let finished = false;
  const render = (note?: string): void => {
    const fraction = total <= 0 ? 1 : Math.min(1, done / total);
    const percent = Math.floor(fraction * 100);
    const suffix = note ? `  ${note}` : '';
    if (tty) {
      const filled = Math.round(fraction * width);
      stream.write(`\r\x1b[2K${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${percent}%${suffix}`);
    } else if (percent - lastPlainPercent >= stepPercent || done >= total) {
      lastPlainPercent = percent;
      stream.write(`${label}: ${done}/${total} (${percent}%)${suffix}\n`);
    }
  };
  return {
    update(n, note) {
      if (finished) return;
      done = Math.max(0, Math.min(total, n));
      if (done >= total) this.finish(note);
      else render(note);
    },
    tick(note) {
      this.update(done + 1, note);
    },
    finish(note) {
      if (finished) return;
      finished = true;
      done = total;
      if (tty) {
        render(note);
        stream.write('\n');
      } else {
        lastPlainPercent = -Infinity;
        render(note);
      }
    },
  };
}
