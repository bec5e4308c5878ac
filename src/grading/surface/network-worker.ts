// Worker thread entry: owns the surface network's onnxruntime session (network-session.ts). onnxruntime-node
// runs a session synchronously on the thread that calls run(), so the network runs here and the daemon's
// event loop (rig link, API, UI, MQTT) keeps turning while a side is inferred.
import { parentPort } from 'node:worker_threads';
import ort from 'onnxruntime-node';

export type NetworkRequest =
  | { id: number; kind: 'load'; model: Uint8Array; options: ort.InferenceSession.SessionOptions }
  | { id: number; kind: 'run'; inputName: string; outputName: string; input: Float32Array; dims: number[] }
  | { id: number; kind: 'release' };

export type NetworkReply =
  | { id: number; kind: 'loaded'; inputNames: readonly string[]; outputNames: readonly string[] }
  | { id: number; kind: 'ran'; output: Float32Array | undefined; input: Float32Array }
  | { id: number; kind: 'released' }
  | { id: number; kind: 'failed'; error: string; input?: Float32Array };

let session: ort.InferenceSession | undefined;

/** The reply's own buffers go back without copies (the caller reuses `input` for its next call). */
function reply(msg: NetworkReply): void {
  const transfer: ArrayBuffer[] = [];
  if ('input' in msg && msg.input) transfer.push(msg.input.buffer as ArrayBuffer);
  if (msg.kind === 'ran' && msg.output && msg.output.buffer !== msg.input.buffer) transfer.push(msg.output.buffer as ArrayBuffer);
  try {
    parentPort?.postMessage(msg, transfer);
  } catch {
    // An output whose memory onnxruntime does not let go of (not transferable): a copy.
    parentPort?.postMessage(msg.kind === 'ran' && msg.output ? { ...msg, output: msg.output.slice() } : msg, 'input' in msg && msg.input ? [msg.input.buffer as ArrayBuffer] : []);
  }
}

async function handle(msg: NetworkRequest): Promise<NetworkReply> {
  if (msg.kind === 'load') {
    if (session) await session.release();
    session = await ort.InferenceSession.create(msg.model, msg.options);
    return { id: msg.id, kind: 'loaded', inputNames: session.inputNames, outputNames: session.outputNames };
  }
  if (msg.kind === 'release') {
    await session?.release();
    session = undefined;
    return { id: msg.id, kind: 'released' };
  }
  if (!session) throw new Error('no network loaded');
  const result = await session.run({ [msg.inputName]: new ort.Tensor('float32', msg.input, msg.dims) });
  const data = result[msg.outputName]?.data;
  return { id: msg.id, kind: 'ran', output: data instanceof Float32Array ? data : undefined, input: msg.input };
}

parentPort?.on('message', (msg: NetworkRequest) => {
  handle(msg).then(reply, (err: unknown) => {
    reply({ id: msg.id, kind: 'failed', error: err instanceof Error ? err.message : String(err), input: msg.kind === 'run' ? msg.input : undefined });
  });
});
