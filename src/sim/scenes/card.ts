import { hashSeed, SeededRandom } from '../random.ts';
import type { MaterialSpec } from '../../geometry/booth-geometry.ts';
import { paintCardFace, paintFoil, paintHoloFoil, tiltHoloFacets, type FoilStyle, type FoilTruth, type PrintFrame } from './artwork.ts';
import {
  stampCornerWear,
  stampCrease,
  stampDent,
  stampEdgeChip,
  stampPrintLine,
  stampScratch,
  stampStain,
  type CardShape,
  type DefectTruth,
} from './defects.ts';
import type { PlacementMm, Scene } from './scene.ts';
import type { CardSpec } from '../../geometry/targets.ts';
import { allocateSurfaceMaps } from './surface-maps.ts';
import { fillCardOutline, finishCardSurface, type CardOutlineShape } from './card-outline.ts';

export type CardSide = 'front' | 'back';

/** Border widths of the printed frame (mm) and the centering ratios graders quote (larger share first). */
export interface CenteringTruth {
  leftMm: number;
  rightMm: number;
  topMm: number;
  bottomMm: number;
  /** e.g. 55.2 means 55.2/44.8 left/right (left share, %). */
  leftSharePct: number;
  topSharePct: number;
  /** Larger share first, e.g. "55.2/44.8". */
  leftRight: string;
  topBottom: string;
}

export interface CardTruth {
  side: CardSide;
  widthMm: number;
  heightMm: number;
  cornerRadiusMm: number;
  thicknessMm: number;
  placement: PlacementMm;
  /** Print offset of the artwork frame relative to the cut card, mm (u right, v up). */
  printOffsetMm: [number, number];
  printFrameMm: PrintFrame;
  centering: CenteringTruth;
  bow: { amplitudeMm: number; axis: 'long' | 'short' };
  glossRoughness: number;
  foil: FoilTruth | null;
  defects: DefectTruth[];
}

export interface CardOptions {
  seed: number;
  side: CardSide;
  spec: CardSpec;
  tray: MaterialSpec;
  /** Map sample spacing, mm (match it to the camera's footprint). */
  pitchMm: number;
  /** A foil: true or 'print' (a glossy printed patch), 'holo' (an embossed metallised hologram); see FoilStyle. */
  foil?: boolean | FoilStyle;
  /** Generate random defects (default true). */
  defects?: boolean;
}

function share(a: number, b: number): { pct: number; text: string } {
  const pct = (100 * a) / (a + b);
  const hi = Math.max(pct, 100 - pct);
  return { pct, text: `${hi.toFixed(1)}/${(100 - hi).toFixed(1)}` };
}

/** Centering truth from the border widths, mm. */
export function centeringFromBorders(leftMm: number, rightMm: number, topMm: number, bottomMm: number): CenteringTruth {
  const lr = share(leftMm, rightMm);
  const tb = share(topMm, bottomMm);
  return { leftMm, rightMm, topMm, bottomMm, leftSharePct: lr.pct, topSharePct: tb.pct, leftRight: lr.text, topBottom: tb.text };
}

function drawPrintOffset(rng: SeededRandom, side: CardSide, spec: CardSpec): [number, number] {
  const maxOffset = side === 'front' ? spec.maxPrintOffsetMm.front : spec.maxPrintOffsetMm.back;
  return [rng.range(-maxOffset, maxOffset), rng.range(-maxOffset, maxOffset)];
}

/** The true centering of one side of card `seed` (without building its maps). */
export function cardCentering(seed: number, side: CardSide, spec: CardSpec): CenteringTruth {
  const offset = drawPrintOffset(new SeededRandom(hashSeed(seed, side === 'front' ? 1 : 2)), side, spec);
  const hw = spec.widthMm / 2;
  const hh = spec.heightMm / 2;
  const b = spec.borderMm;
  // Border widths: the print frame is the card inset by the nominal border, shifted by the offset.
  return centeringFromBorders(b + offset[0], b - offset[0], b - offset[1], b + offset[1]);
}

/** Card corners (sharp-corner rectangle, tray frame, mm) at the card's top surface, TL, TR, BR, BL. */
export function cardCornersMm(truth: Pick<CardTruth, 'widthMm' | 'heightMm' | 'thicknessMm' | 'placement'>): [number, number, number][] {
  const r = (truth.placement.rotationDeg * Math.PI) / 180;
  const c = Math.cos(r);
  const s = Math.sin(r);
  const hw = truth.widthMm / 2;
  const hh = truth.heightMm / 2;
  return ([[-hw, hh], [hw, hh], [hw, -hh], [-hw, -hh]] as const).map(([u, v]) => [
    truth.placement.xMm + c * u - s * v,
    truth.placement.yMm + s * u + c * v,
    truth.thicknessMm,
  ]);
}

/** Seeded placement of an object on the tray. */
export function seededPlacement(seed: number, salt: number, maxShiftMm: number, maxRotationDeg: number): PlacementMm {
  const rng = new SeededRandom(hashSeed(seed, salt, 0x91ace));
  return { xMm: rng.range(-maxShiftMm, maxShiftMm), yMm: rng.range(-maxShiftMm, maxShiftMm), rotationDeg: rng.range(-maxRotationDeg, maxRotationDeg) };
}

/**
 * Build one side of a trading card as maps on the tray: rounded outline, thickness and bow (height), print
 * with a known offset (albedo), gloss (roughness), optional foil, and seeded defects with their truth.
 */
export function buildCardScene(options: CardOptions): { scene: Scene; truth: CardTruth } {
  const { seed, side, spec, tray, pitchMm } = options;
  const sideSalt = side === 'front' ? 1 : 2;
  const rng = new SeededRandom(hashSeed(seed, sideSalt));
  const shape: CardShape = { halfW: spec.widthMm / 2, halfH: spec.heightMm / 2, radius: spec.cornerRadiusMm };
  const maps = allocateSurfaceMaps(spec.widthMm + 1, spec.heightMm + 1, pitchMm);

  const offset = drawPrintOffset(rng, side, spec);
  const frame: PrintFrame = {
    uMin: -shape.halfW + spec.borderMm + offset[0],
    uMax: shape.halfW - spec.borderMm + offset[0],
    vMin: -shape.halfH + spec.borderMm + offset[1],
    vMax: shape.halfH - spec.borderMm + offset[1],
  };
  const bowMm = rng.sign() * rng.range(0.05, spec.maxBowMm);
  const bowAxis = rng.next() < 0.7 ? 'long' : 'short';
  const gloss = rng.range(spec.glossRoughness[0], spec.glossRoughness[1]);

  // Outline, thickness, bow (a cylinder-like sag along one axis) and gloss.
  const outline: CardOutlineShape = { halfW: shape.halfW, halfH: shape.halfH, radiusMm: shape.radius, thicknessMm: spec.thicknessMm, bowMm, bowAxis };
  const distMm = fillCardOutline(maps, outline, gloss, 0.04);
  paintCardFace(maps, frame, side, rng, shape.halfW, shape.halfH);
  // The foil has its own random stream, so adding it changes nothing else about the card.
  const foilStyle: FoilStyle | undefined = options.foil === true ? 'print' : options.foil || undefined;
  const foilRng = new SeededRandom(hashSeed(seed, sideSalt, 0xf011));
  const foil = foilStyle === 'print' ? paintFoil(maps, frame, foilRng) : foilStyle === 'holo' ? paintHoloFoil(maps, frame, foilRng) : null;

  const defects: DefectTruth[] = [];
  if (options.defects !== false) {
    const next = (): number => defects.length + 1;
    for (let k = rng.int(0, 3); k > 0; k--) defects.push(stampScratch(maps, rng, shape, next(), side));
    for (let k = rng.int(0, 2); k > 0; k--) defects.push(stampDent(maps, rng, shape, next(), side));
    if (rng.next() < 0.25) defects.push(stampCrease(maps, rng, shape, next(), side));
    for (let c = 0; c < 4; c++) if (rng.next() < 0.35) defects.push(stampCornerWear(maps, rng, shape, next(), side, c));
    for (let k = rng.int(0, 2); k > 0; k--) defects.push(stampEdgeChip(maps, rng, shape, next(), side));
    if (rng.next() < 0.3) defects.push(stampPrintLine(maps, rng, shape, next(), side));
    for (let k = rng.int(0, 2); k > 0; k--) defects.push(stampStain(maps, rng, shape, next(), side));
  }
  finishCardSurface(maps, outline, tray, distMm);
  if (foil) tiltHoloFacets(maps, foil, foilRng);

  const placement = seededPlacement(seed, sideSalt, spec.placement.maxShiftMm, spec.placement.maxRotationDeg);
  const centering = centeringFromBorders(
    frame.uMin + shape.halfW,
    shape.halfW - frame.uMax,
    shape.halfH - frame.vMax,
    frame.vMin + shape.halfH,
  );
  return {
    scene: { kind: 'card', tray, surface: { maps, placement } },
    truth: {
      side,
      widthMm: spec.widthMm,
      heightMm: spec.heightMm,
      cornerRadiusMm: spec.cornerRadiusMm,
      thicknessMm: spec.thicknessMm,
      placement,
      printOffsetMm: offset,
      printFrameMm: frame,
      centering,
      bow: { amplitudeMm: bowMm, axis: bowAxis },
      glossRoughness: gloss,
      foil,
      defects,
    },
  };
}
