import { Worker } from 'node:worker_threads';
import { createError } from '../../core/errors.ts';
import { shadeRows, type ShadingJob } from './shading-kernel.ts';
import { synthesizeRows, type SynthesisJob } from './sensor-kernel.ts';
import type { WorkerReply, WorkerRequest } from './render-worker.ts';
import { workerBootstrap } from '../../core/worker-bootstrap.ts';

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A fixed set of render workers; each request is split into row bands, one per worker. */
export class RenderWorkerPool {
  private readonly threads: number;
  private workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private loadError: string | null = null;

  /** threads = 0 renders on the calling thread (no workers). */
  constructor(threads: number) {
    this.threads = threads;
  }

  async start(): Promise<void> {
    if (this.workers.length > 0 || this.threads === 0) return;
    const url = new URL('./render-worker.ts', import.meta.url);
    for (let i = 0; i < this.threads; i++) {
      const w = new Worker(workerBootstrap(url), { eval: true });
      w.on('message', (reply: WorkerReply) => {
        if (reply.id === 0) {
          // The bootstrap failed: fail every request now rather than hang.
          for (const p of this.pending.values()) p.reject(createError('GB_INTERNAL', `render worker failed to load: ${reply.error}`));
          this.pending.clear();
          this.loadError = reply.error ?? 'unknown';
          return;
        }
        const p = this.pending.get(reply.id);
        if (!p) return;
        this.pending.delete(reply.id);
        if (this.pending.size === 0) for (const x of this.workers) x.unref();
        if (reply.error) p.reject(createError('GB_INTERNAL', `render worker failed: ${reply.error}`));
        else p.resolve();
      });
      w.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(createError('GB_INTERNAL', `render worker crashed: ${err.message}`));
        this.pending.clear();
      });
      // Idle workers must not keep the process alive; busy ones must (see send()).
      w.unref();
      this.workers.push(w);
    }
  }

  async stop(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }

  /** Number of bands a request is split into. */
  get bands(): number {
    return Math.max(1, this.threads);
  }

  private send(workerIndex: number, req: WorkerRequest): Promise<void> {
    if (this.loadError) return Promise.reject(createError('GB_INTERNAL', `render worker failed to load: ${this.loadError}`));
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) for (const x of this.workers) x.ref();
      this.pending.set(req.id, { resolve, reject });
      this.workers[workerIndex].postMessage(req);
    });
  }

  /** Shade rows [0, heightPx) split over the workers. */
  async shade(job: Omit<ShadingJob, 'rowStart' | 'rowEnd'>, heightPx: number): Promise<void> {
    await this.split(heightPx, (rowStart, rowEnd, w) => {
      const full: ShadingJob = { ...job, rowStart, rowEnd };
      if (w < 0) return shadeRows(full);
      return this.send(w, { id: this.nextId++, kind: 'shade', job: full });
    });
  }

  /** Expose rows [0, heightPx) split over the workers. */
  async synthesize(job: Omit<SynthesisJob, 'rowStart' | 'rowEnd'>, heightPx: number): Promise<void> {
    await this.split(heightPx, (rowStart, rowEnd, w) => {
      // Each thread gets its own scratch slot in the shared arena.
      const full: SynthesisJob = { ...job, rowStart, rowEnd, slot: Math.max(0, w) };
      if (w < 0) return synthesizeRows(full);
      return this.send(w, { id: this.nextId++, kind: 'synth', job: full });
    });
  }

  private async split(heightPx: number, run: (rowStart: number, rowEnd: number, worker: number) => void | Promise<void>): Promise<void> {
    if (this.threads === 0) {
      await run(0, heightPx, -1);
      return;
    }
    if (this.workers.length === 0) throw createError('GB_INTERNAL', 'render worker pool used before start()');
    const n = this.workers.length;
    const tasks: (void | Promise<void>)[] = [];
    for (let w = 0; w < n; w++) {
      const a = Math.floor((heightPx * w) / n);
      const b = Math.floor((heightPx * (w + 1)) / n);
      if (b > a) tasks.push(run(a, b, w));
    }
    await Promise.all(tasks);
  }
}
