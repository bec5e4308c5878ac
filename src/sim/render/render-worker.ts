// Worker thread entry: runs shading and exposure kernels on row bands of shared-memory images.
import { parentPort } from 'node:worker_threads';
import { shadeRows, type ShadingJob } from './shading-kernel.ts';
import { synthesizeRows, type SynthesisJob } from './sensor-kernel.ts';

export type WorkerRequest = { id: number; kind: 'shade'; job: ShadingJob } | { id: number; kind: 'synth'; job: SynthesisJob };
export type WorkerReply = { id: number; error?: string };

parentPort?.on('message', (msg: WorkerRequest) => {
  try {
    if (msg.kind === 'shade') shadeRows(msg.job);
    else synthesizeRows(msg.job);
    parentPort?.postMessage({ id: msg.id } satisfies WorkerReply);
  } catch (err) {
    parentPort?.postMessage({ id: msg.id, error: (err as Error).stack ?? String(err) } satisfies WorkerReply);
  }
});
