import { isMainThread, Worker } from 'node:worker_threads';
import { createError } from '../../core/errors.ts';
import { workerBootstrap } from '../../core/worker-bootstrap.ts';

// A second thread for the card build's row loops. buildScene() stays synchronous (its callers get the scene
// back at once): the calling thread posts the lower half of a pass's rows to the helper, runs the upper half
// itself and blocks in Atomics.wait until the helper is done. Passes are row-independent (each row reads
// only what earlier passes wrote), so the maps are the same whichever thread draws a row. The helper starts
// with the first build and takes work once it has loaded; until then (and off the main thread, or if it
// ever fails) every pass runs on the calling thread alone.

/** Passes the helper can run (build-helper-worker.ts maps each name to its row function). */
export type RowTask = 'fillRows' | 'paintRows' | 'kindRows' | 'slopeRows' | 'finalRows';

export interface RowRequest {
  seq: number;
  task: RowTask;
  args: unknown[];
  y0: number;
  y1: number;
}

/** Control words in shared memory: the helper is loaded, the last finished request, failed. */
export const CTRL_READY = 0;
export const CTRL_DONE = 1;
export const CTRL_FAILED = 2;

/** A pass that takes this long on the helper means it is stuck: fail rather than hang the build. */
const WAIT_LIMIT_MS = 60_000;

let helper: Worker | null = null;
let ctrl: Int32Array | null = null;
let seq = 0;
let disabled = !isMainThread;
/** Switched off by setBuildHelperEnabled(false). */
let off = false;

function startHelper(): void {
  ctrl = new Int32Array(new SharedArrayBuffer(16));
  const w = new Worker(workerBootstrap(new URL('./build-helper-worker.ts', import.meta.url)), { eval: true, workerData: { ctrl } });
  // Any message is a failure report (the bootstrap's or a pass's); the next builds run single-threaded.
  w.on('message', () => {
    disabled = true;
  });
  w.on('error', () => {
    disabled = true;
  });
  // An idle helper must not keep the process alive (a build never waits on the event loop).
  w.unref();
  helper = w;
}

/**
 * Run `local(y0, y1)` over rows [y0, y1), the lower half on the helper thread as `task(...args, a, b)` when
 * it is ready; returns when every row is done.
 */
export function splitRows(task: RowTask, args: unknown[], y0: number, y1: number, local: (a: number, b: number) => void): void {
  if (!disabled && !helper) startHelper();
  const c = ctrl;
  if (off || disabled || !helper || !c || Atomics.load(c, CTRL_READY) !== 1 || y1 - y0 < 64) {
    local(y0, y1);
    return;
  }
  const mid = Math.floor((y0 + y1) / 2);
  const id = ++seq;
  helper.postMessage({ seq: id, task, args, y0, y1: mid } satisfies RowRequest);
  local(mid, y1);
  const t0 = Date.now();
  for (let done = Atomics.load(c, CTRL_DONE); done !== id; done = Atomics.load(c, CTRL_DONE)) {
    if (Date.now() - t0 > WAIT_LIMIT_MS) {
      disabled = true;
      throw createError('GB_INTERNAL', `scene build helper did not finish ${task} within ${WAIT_LIMIT_MS} ms`);
    }
    Atomics.wait(c, CTRL_DONE, done, 1000);
  }
  if (Atomics.load(c, CTRL_FAILED) !== 0) {
    disabled = true;
    throw createError('GB_INTERNAL', `scene build helper failed in ${task}`);
  }
}

/** Whether the helper thread has loaded and takes rows (starting it if needed); for tests and benchmarks. */
export function buildHelperReady(): boolean {
  if (!disabled && !helper) startHelper();
  return !disabled && ctrl !== null && Atomics.load(ctrl, CTRL_READY) === 1;
}

/** Use the helper thread when it is ready (default) or never (tests compare the two). */
export function setBuildHelperEnabled(enabled: boolean): void {
  off = !enabled;
}
