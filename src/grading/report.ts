import { createHash } from 'node:crypto';
import type { CardFrame } from './card-frame.ts';
import type { CardGrade } from './grade.ts';
import { gradeJson } from './report-json.ts';
import { renderReportHtml } from './report-html.ts';
import { renderSideImages, type SideImages } from './report-images.ts';
import type { CardSideMaps } from './types.ts';

/** A card's report: its JSON, its page and the pictures of each side. */
export interface GradeReport {
  json: Record<string, unknown>;
  html: string;
  images: SideImages[];
}

/** Build the report of a graded card from the maps its sides were graded on (same order as grade.sides). */
export async function buildReport(grade: CardGrade, sides: { maps: CardSideMaps; frame: CardFrame }[], meta: { title: string; createdAt?: string }): Promise<GradeReport> {
  // Sides together: their area averages (native pool) and PNG encodings (sharp's threads) overlap.
  const images: SideImages[] = await Promise.all(grade.sides.map((s, i) => renderSideImages(sides[i].maps, sides[i].frame, s)));
  const createdAt = meta.createdAt ?? new Date().toISOString();
  return { json: { ...gradeJson(grade), title: meta.title, createdAt }, html: renderReportHtml(grade, images, { title: meta.title, createdAt }), images };
}

/**
 * The report's files by name (report.json, report.html, <side>-albedo-overlay.png, …, <side>-defect-N.png).
 * report.json names every other file by its sha256 (`files`, the store's addresses): a stored report alone
 * leads to its overlays and crops (the history opens an earlier card from its report), since the grade row
 * keeps only the report's own address.
 */
export function reportFiles(r: GradeReport, grade: CardGrade): { name: string; mediaType: string; bytes: Buffer }[] {
  const rest: { name: string; mediaType: string; bytes: Buffer }[] = [{ name: 'report.html', mediaType: 'text/html', bytes: Buffer.from(r.html) }];
  grade.sides.forEach((s, i) => {
    const im = r.images[i];
    rest.push({ name: `${s.side}-albedo-overlay.png`, mediaType: 'image/png', bytes: im.albedoOverlay });
    rest.push({ name: `${s.side}-shaded-relief.png`, mediaType: 'image/png', bytes: im.shadedRelief });
    rest.push({ name: `${s.side}-normals.png`, mediaType: 'image/png', bytes: im.normalMap });
    im.crops.forEach((c, k) => rest.push({ name: `${s.side}-defect-${k + 1}.png`, mediaType: 'image/png', bytes: c }));
  });
  const files = Object.fromEntries(rest.map((f) => [f.name, { sha256: createHash('sha256').update(f.bytes).digest('hex'), mediaType: f.mediaType }]));
  return [{ name: 'report.json', mediaType: 'application/json', bytes: Buffer.from(`${JSON.stringify({ ...r.json, files }, null, 2)}\n`) }, ...rest];
}
