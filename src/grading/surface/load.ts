import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type ort from 'onnxruntime-node';
import { createError } from '../../core/errors.ts';
import { defaultTiling, OnnxSurfaceDetector, type TilingOptions } from './detector.ts';
import { validateSurfaceManifest, type SurfaceModelManifest } from './manifest.ts';
import { WorkerNetworkSession } from './network-session.ts';

/** The repository's models/ folder (models/<name>/<version>/). */
export const defaultModelsRoot = fileURLToPath(new URL('../../../models/', import.meta.url));

/** The surface model's name in models/. */
export const surfaceModelName = 'surface-defects';

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

/** Numeric-aware version order: 1.10.0 after 1.9.0. */
function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * The model folder for `path`: a folder holding manifest.json itself, or a models root whose
 * surface-defects/ holds version folders (the highest version is taken). GB_MODEL_MISSING otherwise.
 */
export async function resolveSurfaceModelDir(path: string = defaultModelsRoot): Promise<string> {
  const dir = resolve(path);
  if (await isFile(join(dir, 'manifest.json'))) return dir;
  const named = join(dir, surfaceModelName);
  const versions = await readdir(named, { withFileTypes: true }).then((e) => e.filter((d) => d.isDirectory()).map((d) => d.name), () => [] as string[]);
  const usable: string[] = [];
  for (const v of versions) if (await isFile(join(named, v, 'manifest.json'))) usable.push(v);
  if (usable.length === 0) throw createError('GB_MODEL_MISSING', `${dir}: no manifest.json here and no ${surfaceModelName}/<version>/manifest.json below (expected a surface-defect model folder or a models root)`);
  usable.sort(compareVersions);
  return join(named, usable[usable.length - 1]);
}

/**
 * Read and check a model folder: manifest schema and spec (manifest.ts), model file present and its
 * sha256 and size equal to the manifest's. Any mismatch is GB_MODEL_INVALID; nothing falls back.
 */
export async function readVerifiedSurfaceModel(dir: string): Promise<{ manifest: SurfaceModelManifest; bytes: Buffer }> {
  const manifestPath = join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch {
    throw createError('GB_MODEL_MISSING', `${manifestPath}: missing (a model folder holds model.onnx and manifest.json)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw createError('GB_MODEL_INVALID', `${manifestPath}: not valid JSON (${(err as Error).message})`);
  }
  const manifest = validateSurfaceManifest(raw, manifestPath);
  const modelPath = join(dir, manifest.file);
  let bytes: Buffer;
  try {
    bytes = await readFile(modelPath);
  } catch {
    throw createError('GB_MODEL_MISSING', `${modelPath}: missing (named by ${manifestPath})`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== manifest.sha256 || bytes.byteLength !== manifest.sizeBytes) {
    throw createError('GB_MODEL_INVALID', `${modelPath}: sha256 ${sha256} (${bytes.byteLength} bytes) does not match the manifest's ${manifest.sha256} (${manifest.sizeBytes} bytes); refusing to run a model other than the one described`);
  }
  return { manifest, bytes };
}

/**
 * onnxruntime's session for the surface network. Its pool threads do not spin while waiting for work
 * (onnxruntime's default is to spin): the booth's two cores are shared with the measurements, which run
 * beside the network, with the daemon and the camera. On the bench's simulated card the network alone took
 * 140–165 ms wall and 220–255 ms CPU without spinning against 172–193 ms and 325–346 ms with it, and the
 * whole side as `gradebooth grade` runs it 380 ms against 426–465 ms (two rounds, interleaved).
 */
export function surfaceSessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', extra: { session: { intra_op: { allow_spinning: '0' } } } };
}

/**
 * Load the surface-defect detector from a model folder or a models root (default: the repository's
 * models/). Verifies the manifest and the file's sha256 before the bytes reach onnxruntime, then that the
 * network's input and output names are the manifest's.
 */
export async function loadSurfaceDetector(path: string = defaultModelsRoot, options: { tiling?: TilingOptions; threads?: number } = {}): Promise<OnnxSurfaceDetector> {
  const dir = await resolveSurfaceModelDir(path);
  const { manifest, bytes } = await readVerifiedSurfaceModel(dir);
  let session: WorkerNetworkSession;
  try {
    session = await WorkerNetworkSession.create(bytes, surfaceSessionOptions(options.threads ?? 2));
  } catch (err) {
    throw createError('GB_MODEL_INVALID', `${join(dir, manifest.file)}: onnxruntime cannot load it: ${(err as Error).message}`, { cause: err });
  }
  if (!session.inputNames.includes(manifest.input.name) || !session.outputNames.includes(manifest.output.name)) {
    const names = `inputs ${JSON.stringify(session.inputNames)}, outputs ${JSON.stringify(session.outputNames)}`;
    await session.release();
    throw createError('GB_MODEL_INVALID', `${join(dir, manifest.file)}: the network has ${names}, the manifest names input "${manifest.input.name}" and output "${manifest.output.name}"`);
  }
  return new OnnxSurfaceDetector(session, manifest, options.tiling ?? defaultTiling);
}
