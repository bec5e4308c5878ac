
import type { BoothGeometry } from '../../geometry/booth-geometry.ts';
import { projectPoint } from '../../geometry/camera-model.ts';
import { SceneRenderer } from '../render/scene-renderer.ts';
import { buildScene, mapPitchMmFor, type SceneTruth } from '../scenes/build-scene.ts';
import { cardCentering, cardCornersMm, type CardSide } from '../scenes/card.ts';
import type { SceneKind } from '../scenes/scene.ts';
import type { SceneConfig } from '../../geometry/targets.ts';
import { dotCenterMm } from '../../geometry/targets.ts';
import { writeCaptureFolder } from './capture-writer.ts';
import type { FoilStyle } from '../scenes/artwork.ts';

export interface SimCaptureOptions {
  kind: SceneKind;
  seed: number;
  side: CardSide;
  distantLights: boolean;
  /** Geometry already sized to the output resolution. */
  geometry: BoothGeometry;
  config: SceneConfig;
  out: string;
  foil?: boolean | FoilStyle;
  /** Generate random defects (default true); false renders a clean card. */
  defects?: boolean;
  exposureUs?: number;
  gain?: number;
  threads?: number;
  /** A started renderer for this geometry and light mode, reused across captures (else one is made). */
  renderer?: SceneRenderer;
  onFrame?: (index: number, count: number) => void;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Truth that needs the camera: card corners in pixels, sphere and dot positions in pixels. */
function pixelTruth(renderer: SceneRenderer, truth: SceneTruth, config: SceneConfig): Record<string, unknown> {
  const cam = renderer.camera;
  if (truth.kind === 'card') {
    const corners = cardCornersMm(truth.card).map((p) => projectPoint(cam, p).map(round3));
    return { cornersPx: { order: 'top-left, top-right, bottom-right, bottom-left (card frame)', points: corners } };
  }
  if (truth.kind === 'chrome-sphere') {
    return { sphereCentrePx: projectPoint(cam, truth.centerMm).map(round3) };
  }
  if (truth.kind === 'dot-grid') {
    const r = (truth.placement.rotationDeg * Math.PI) / 180;
    const dots: [number, number][] = [];
    for (let row = 0; row < truth.rows; row++) {
      for (let col = 0; col < truth.columns; col++) {
        const [u, v] = dotCenterMm(config.dotGrid, col, row);
        const p: [number, number, number] = [truth.placement.xMm + Math.cos(r) * u - Math.sin(r) * v, truth.placement.yMm + Math.sin(r) * u + Math.cos(r) * v, truth.thicknessMm];
        dots.push(projectPoint(cam, p).map(round3) as [number, number]);
      }
    }
    return { dotCentresPx: { order: 'row-major from the top-left dot', points: dots } };
  }
  return {};
}

/** Build a scene, render one frame per LED and write the capture folder with its truth. */
export async function writeSimCapture(options: SimCaptureOptions): Promise<Record<string, unknown>> {
  const { scene, truth } = buildScene({ kind: options.kind, seed: options.seed, side: options.side, geometry: options.geometry, config: options.config, foil: options.foil, defects: options.defects });
  const own = options.renderer === undefined;
  const renderer = options.renderer ?? new SceneRenderer({ geometry: options.geometry, threads: options.threads ?? 2, distantLights: options.distantLights });
  if (own) await renderer.start();
  try {
    renderer.setScene(scene);
    const extra: Record<string, unknown> = {
      scene: { kind: options.kind, seed: options.seed, side: options.kind === 'card' ? options.side : undefined, mapPitchUm: mapPitchMmFor(options.geometry) * 1000 },
      ...pixelTruth(renderer, truth, options.config),
    };
    let defects: { id: number; kind: string }[] = [];
    if (truth.kind === 'card') {
      defects = truth.card.defects.map((d) => ({ id: d.id, kind: d.kind }));
      for (const d of truth.card.defects) d.maskFile = `defects/defect_${String(d.id).padStart(2, '0')}_${d.kind}.png`;
      extra.card = truth.card;
      extra.centering = {
        front: options.side === 'front' ? truth.card.centering : cardCentering(options.seed, 'front', options.config.card),
        back: options.side === 'back' ? truth.card.centering : cardCentering(options.seed, 'back', options.config.card),
      };
      extra.defects = truth.card.defects;
    } else {
      extra.target = truth;
    }
    return await writeCaptureFolder({
      dir: options.out,
      renderer,
      exposureUs: options.exposureUs ?? options.geometry.sensor.defaultExposureUs,
      gain: options.gain ?? options.geometry.sensor.defaultGain,
      noiseSeed: options.seed * 1000 + (options.side === 'back' ? 500 : 0),
      truth: extra,
      defects,
      onFrame: options.onFrame,
    });
  } finally {
    if (own) await renderer.stop();
  }
}

