// Worker entry of the scene-build helper (see build-helper.ts): runs the lower half of a pass's rows.
import { parentPort, workerData } from 'node:worker_threads';
import { paintRows } from './artwork.ts';
import { CTRL_DONE, CTRL_FAILED, CTRL_READY, type RowRequest, type RowTask } from './build-helper.ts';
import { fillRows, finalRows, kindRows, slopeRows } from './card-outline.ts';

const ctrl = (workerData as { ctrl: Int32Array }).ctrl;
const tasks: Record<RowTask, (...args: never[]) => void> = { fillRows, paintRows, kindRows, slopeRows, finalRows };

parentPort?.on('message', (req: RowRequest) => {
  try {
    (tasks[req.task] as (...args: unknown[]) => void)(...req.args, req.y0, req.y1);
  } catch (err) {
    Atomics.store(ctrl, CTRL_FAILED, 1);
    parentPort?.postMessage({ error: (err as Error).stack ?? String(err) });
  }
  Atomics.store(ctrl, CTRL_DONE, req.seq);
  Atomics.notify(ctrl, CTRL_DONE);
});
Atomics.store(ctrl, CTRL_READY, 1);
