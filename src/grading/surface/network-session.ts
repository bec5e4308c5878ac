import { Worker } from 'node:worker_threads';
import type ort from 'onnxruntime-node';
import { workerBootstrap } from '../../core/worker-bootstrap.ts';
import type { NetworkReply, NetworkRequest } from './network-worker.ts';

/** What the detector needs of a network: one float32 input, one output, calls one after another or at once. */
export interface NetworkSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Run the network on `input` (NCHW `dims`). `input` is handed over while the call runs (it is unusable
   * until then) and comes back with the output, to be reused for the next call.
   */
  run(inputName: string, outputName: string, input: Float32Array, dims: readonly number[]): Promise<{ output: Float32Array | undefined; input: Float32Array }>;
  release(): Promise<void>;
}

interface Pending {
  resolve: (reply: NetworkReply) => void;
  reject: (err: Error) => void;
}

/**
 * The network's onnxruntime session on a thread of its own (network-worker.ts). onnxruntime-node's run()
 * blocks the thread that calls it for the whole inference (on the bench's card, 6 calls of 25–40 ms per
 * side); on the daemon's thread that stalled the rig link, the API and the UI for as long. Here only
 * the buffers cross threads, moved, not copied (~10 MB each way per call of two 448-px tiles).
 * onnxruntime's own pool threads run as before (the worker's thread is the first of them).
 */
export class WorkerNetworkSession implements NetworkSession {
  inputNames: readonly string[] = [];
  outputNames: readonly string[] = [];
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Why the thread is gone (it exited, crashed or failed to load); every call after fails with it. */
  private dead: string | undefined;

  private constructor() {
    this.worker = new Worker(workerBootstrap(new URL('./network-worker.ts', import.meta.url)), { eval: true });
    this.worker.on('message', (msg: NetworkReply | { id: 0; error: string }) => {
      if (msg.id === 0) {
        this.fail(`the network thread did not load: ${(msg as { error: string }).error}`);
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) this.worker.unref();
      p.resolve(msg as NetworkReply);
    });
    this.worker.on('error', (err) => this.fail(`the network thread crashed: ${err.message}`));
    this.worker.on('exit', (code) => this.fail(`the network thread exited (code ${code})`));
    // An idle network must not keep the process alive; a call in flight must (see request()).
    this.worker.unref();
  }

  /** A session for `model` (ONNX bytes, copied to the thread); rejects with onnxruntime's reason. */
  static async create(model: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<WorkerNetworkSession> {
    const s = new WorkerNetworkSession();
    try {
      const r = await s.request({ id: 0, kind: 'load', model, options });
      if (r.kind !== 'loaded') throw new Error(r.kind === 'failed' ? r.error : `unexpected reply ${r.kind}`);
      s.inputNames = r.inputNames;
      s.outputNames = r.outputNames;
      return s;
    } catch (err) {
      await s.worker.terminate();
      throw err;
    }
  }

  private fail(why: string): void {
    this.dead ??= why;
    for (const p of this.pending.values()) p.reject(new Error(why));
    this.pending.clear();
  }

  private request(msg: NetworkRequest, transfer: ArrayBuffer[] = []): Promise<NetworkReply> {
    if (this.dead) return Promise.reject(new Error(this.dead));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  async run(inputName: string, outputName: string, input: Float32Array, dims: readonly number[]): Promise<{ output: Float32Array | undefined; input: Float32Array }> {
    const r = await this.request({ id: 0, kind: 'run', inputName, outputName, input, dims: [...dims] }, [input.buffer as ArrayBuffer]);
    if (r.kind === 'failed') throw new Error(r.error);
    if (r.kind !== 'ran') throw new Error(`unexpected reply ${r.kind}`);
    return { output: r.output, input: r.input };
  }

  async release(): Promise<void> {
    if (!this.dead) await this.request({ id: 0, kind: 'release' }).catch(() => undefined);
    this.dead ??= 'the network was released';
    await this.worker.terminate();
  }
}
