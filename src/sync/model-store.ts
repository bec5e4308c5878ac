import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createError } from '../core/errors.ts';
import { writeFileAtomic, writeFolderAtomic } from '../storage/atomic-write.ts';
import type { ModelRelease } from './payloads.ts';

const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * The booth's model store, content-addressed under DATA_DIR/models/:
 *   <sha256>/            an installed model folder (manifest.json, the model file, release.json), renamed into
 *                        place whole, so a folder by that name is always complete;
 *   partial/<sha256>/N   chunk N of a download in progress, each written atomically: after kill -9 the
 *                        chunks on disk are complete and the download resumes from them.
 */
export class ModelStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  modelDir(sha256: string): string {
    return join(this.root, sha256);
  }

  private partialDir(sha256: string): string {
    return join(this.root, 'partial', sha256);
  }

  async installed(sha256: string): Promise<boolean> {
    return stat(join(this.modelDir(sha256), 'manifest.json')).then((s) => s.isFile(), () => false);
  }

  /** Chunks of `release` already on disk, each checked against its signed sha256 (a bad one is deleted). */
  async heldChunks(release: ModelRelease): Promise<Set<number>> {
    const dir = this.partialDir(release.model.sha256);
    const held = new Set<number>();
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!/^\d+$/.test(name)) {
        await rm(join(dir, name), { force: true }); // a temp file a crash left behind
        continue;
      }
      const i = Number(name);
      const want = release.transfer.chunks[i];
      const bytes = await readFile(join(dir, name)).catch(() => undefined);
      if (want !== undefined && bytes && sha256Hex(bytes) === want) held.add(i);
      else await rm(join(dir, name), { force: true });
    }
    return held;
  }

  /** Store chunk `index` after checking it against the release's sha256 for it (GB_MODEL_CORRUPT otherwise). */
  async putChunk(release: ModelRelease, index: number, bytes: Uint8Array): Promise<void> {
    const want = release.transfer.chunks[index];
    if (want === undefined) throw createError('GB_MODEL_CORRUPT', `chunk ${index} is not in the release (it has ${release.transfer.chunks.length})`);
    const got = sha256Hex(bytes);
    if (got !== want) throw createError('GB_MODEL_CORRUPT', `chunk ${index} of ${release.model.name} ${release.model.version}: sha256 ${got}, the signed release says ${want}`);
    const dir = this.partialDir(release.model.sha256);
    await mkdir(dir, { recursive: true });
    // Not durable: heldChunks checks every chunk against its signed sha256 on resume, so one a power cut tore
    // is fetched again; atomic, so a chunk under its name is never half-written by a kill.
    await writeFileAtomic(join(dir, String(index)), bytes, { durable: false, mode: 0o600 });
  }

  /**
   * Join the chunks into the model file, check the whole file's sha256 and size against the signed release,
   * write the manifest and the release beside it, fsync, and rename the folder into place. Returns its path.
   */
  async install(release: ModelRelease, releaseText: string): Promise<string> {
    const sha = release.model.sha256;
    const partial = this.partialDir(sha);
    const hash = createHash('sha256');
    const parts: Buffer[] = [];
    for (let i = 0; i < release.transfer.chunks.length; i++) {
      const b = await readFile(join(partial, String(i)));
      hash.update(b);
      parts.push(b);
    }
    const bytes = Buffer.concat(parts);
    const got = hash.digest('hex');
    if (got !== sha || bytes.byteLength !== release.model.sizeBytes) {
      await rm(partial, { recursive: true, force: true });
      throw createError('GB_MODEL_CORRUPT', `${release.model.name} ${release.model.version}: the joined file has sha256 ${got} (${bytes.byteLength} bytes), the signed release says ${sha} (${release.model.sizeBytes} bytes)`);
    }
    const file = typeof release.manifest.file === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(release.manifest.file) ? release.manifest.file : 'model.onnx';
    const target = this.modelDir(sha);
    // Durable: once the chunks below are gone and the database says shadow or active, this folder is the only copy.
    await writeFolderAtomic(
      target,
      join(this.root, `${sha}.staging-${process.pid}`),
      async (dir) => {
        await writeFile(join(dir, file), bytes, { mode: 0o600 });
        await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(release.manifest, null, 2)}\n`, { mode: 0o600 });
        await writeFile(join(dir, 'release.json'), releaseText, { mode: 0o600 });
      },
      { durable: true, replace: true },
    );
    await rm(partial, { recursive: true, force: true });
    return target;
  }

  /** Forget a download (refused releases): its chunks go. */
  async dropPartial(sha256: string): Promise<void> {
    await rm(this.partialDir(sha256), { recursive: true, force: true });
  }

  /** Remove staging folders a crash left (called at start). */
  async sweep(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    for (const name of await readdir(this.root)) if (name.includes('.staging-')) await rm(join(this.root, name), { recursive: true, force: true });
  }
}
