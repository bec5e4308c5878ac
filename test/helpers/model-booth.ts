import { join } from 'node:path';
import type { Test } from 'tap';
import { createError, isGradeboothError } from '../../src/core/errors.ts';
import { readModelKeys } from '../../src/core/model-signing.ts';
import { loadSurfaceDetector } from '../../src/grading/surface/load.ts';
import type { CardSideMaps, SurfaceDefect } from '../../src/grading/types.ts';
import { openDatabase, type Db } from '../../src/storage/database.ts';
import { FleetLink } from '../../src/sync/fleet-link.ts';
import { ModelDownload } from '../../src/sync/model-download.ts';
import { ModelRollout } from '../../src/sync/model-rollout.ts';
import { ModelStore } from '../../src/sync/model-store.ts';
import type { FleetSettings } from '../../src/config/schema.ts';
import { fleetSettings, silent, tempDir } from './fleet.ts';
import type { Broker } from './mosquitto.ts';

/** Tiles small enough for the test maps (the detector's real tiling code still runs). */
export const testTiling = { tilePx: 128, overlapPx: 16, batch: 4 };

/**
 * A card side's maps with dents at the given centres (mm from the card centre, y up): a flat card of
 * widthMm × heightMm at 100 µm/px whose relief drops 40 µm over a disc of 1.2 mm radius at each dent.
 */
export function sideWithDents(dentsMm: Array<[number, number]>, widthMm = 30, heightMm = 40): CardSideMaps {
  const w = Math.round(widthMm * 10), h = Math.round(heightMm * 10), n = w * h;
  const maps: CardSideMaps = { side: 'front', widthPx: w, heightPx: h, umPerPx: 100, mask: new Uint8Array(n).fill(1), normals: new Float32Array(3 * n), albedo: new Float32Array(n).fill(0.5), reliefUm: new Float32Array(n), confidence: new Float32Array(n).fill(0.9) };
  for (let i = 0; i < n; i++) maps.normals[3 * i + 2] = 1;
  for (const [xMm, yMm] of dentsMm) {
    const cx = w / 2 + xMm * 10, cy = h / 2 - yMm * 10;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (Math.hypot(x - cx, y - cy) < 12) maps.reliefUm[y * w + x] = -40;
  }
  return maps;
}

/**
 * Stand-in for the side's surface subgrade in these tests (the grade stage passes gradeSide's own): a point
 * off per defect. Only differences between two models' answers are judged from it.
 */
export const pointPerDefect = (defects: SurfaceDefect[]): number => Math.max(1, 10 - defects.length);

export interface ModelBooth {
  id: string;
  dir: string;
  db: Db;
  fleet: FleetSettings;
  link: FleetLink;
  download: ModelDownload;
  rollout: ModelRollout;
  /** Grade one side as the grade stage does: the grading model, then the comparison. */
  scan(maps: CardSideMaps, scanId: string): Promise<{ model: string | null; defects: SurfaceDefect[] } | { error: string }>;
  stop(): Promise<void>;
}

/** A booth's database, fleet link and model rollout (the daemon's wiring, without the camera). */
export async function startModelBooth(t: Test, broker: Broker, id: string, o: { keys: string[]; dir?: string; downloadBytesPerS?: number; chunkWindow?: number }): Promise<ModelBooth> {
  const dir = o.dir ?? tempDir(t, `gb-models-${id}-`);
  const db = openDatabase(join(dir, 'booth.sqlite'));
  const fleet = fleetSettings(broker, id, { model_keys: o.keys, model_download_bytes_per_s: o.downloadBytesPerS ?? 0 });
  const store = new ModelStore(join(dir, 'models'));
  const download = new ModelDownload({
    boothId: id,
    prefix: fleet.topic_prefix,
    store,
    trustedKeys: readModelKeys(fleet.model_keys),
    logger: silent,
    downloadBytesPerS: fleet.model_download_bytes_per_s,
    chunkWindow: o.chunkWindow ?? 4,
  });
  const linkRef: { link?: FleetLink } = {};
  const rollout = new ModelRollout({
    db,
    boothId: id,
    download,
    store,
    logger: silent,
    loadModel: (d) => loadSurfaceDetector(d, { tiling: testTiling, threads: 1 }),
    openShipped: () => Promise.reject(createError('GB_MODEL_MISSING', 'no model ships in these tests')),
    onQueued: () => linkRef.link?.kick(),
  });
  await rollout.start();
  const link = new FleetLink({ fleet, db, logger: silent, commands: rollout.commands(), subscriptions: download.subscriptions(), onConnected: () => download.onConnected() });
  linkRef.link = link;
  download.attach(link);
  link.start();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await link.stop();
    await rollout.stop();
    db.close();
  };
  t.teardown(stop);
  return {
    id,
    dir,
    db,
    fleet,
    link,
    download,
    rollout,
    stop,
    async scan(maps, scanId) {
      let detector;
      try {
        detector = await rollout.openDetector();
      } catch (err) {
        if (!isGradeboothError(err) || err.code !== 'GB_MODEL_MISSING') throw err;
      }
      let defects: SurfaceDefect[] | undefined;
      const t0 = performance.now();
      try {
        defects = detector ? await detector.detect(maps) : undefined;
      } catch (err) {
        await detector?.close();
        return { error: isGradeboothError(err) ? err.code : String(err) };
      }
      await rollout.compare({ maps, side: maps.side, scanId, graded: detector && defects ? { model: detector.model, defects, ms: performance.now() - t0 } : undefined, surfaceGrade: pointPerDefect });
      await detector?.close();
      return { model: detector?.model.sha256 ?? null, defects: defects ?? [] };
    },
  };
}
