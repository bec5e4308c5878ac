import type { CardGrade, SideGrade } from './grade.ts';
import type { SideImages } from './report-images.ts';

// One self-contained HTML page per card, for a collector: the grade, the subgrades, what cost points and
// why, centering, corners and edges with their figures, every defect with its picture, and the albedo,
// relief and normal images (all inline as data: URIs, no external file or script).

function esc(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const png = (b: Buffer): string => `data:image/png;base64,${b.toString('base64')}`;
const num = (v: number | undefined, k = 2): string => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(k));

function sideSection(s: SideGrade, img: SideImages | undefined): string {
  const c = s.centering;
  const centering = c.measurable && c.leftRight && c.topBottom && c.bordersMm
    ? `<p>Left/right <b>${num(c.leftRight[0], 1)}/${num(c.leftRight[1], 1)}</b>, top/bottom <b>${num(c.topBottom[0], 1)}/${num(c.topBottom[1], 1)}</b>
       (borders left ${num(c.bordersMm.left)} mm, right ${num(c.bordersMm.right)} mm, top ${num(c.bordersMm.top)} mm, bottom ${num(c.bordersMm.bottom)} mm).
       BGS centering ${c.bgs}; PSA allows at most ${c.psaMax}.</p>`
    : `<p>Centering not measurable: ${esc(c.reason ?? '')}</p>`;
  const corners = s.corners.map((k) => `<tr><td>${k.corner}</td><td>${num(k.radiusMm)}</td><td>${num(k.frayUm, 0)}</td><td>${num(k.fillPct, 1)}</td><td>${num(k.whiteningPct, 0)}</td><td>${num(k.dingDepthUm, 0)}</td></tr>`).join('');
  const edges = s.edges.map((e) => `<tr><td>${e.edge}</td><td>${e.chips.length}</td><td>${num(e.maxChipDepthUm, 0)}</td><td>${num(e.maxWhiteningPct, 0)}</td><td>${num(e.roughnessUm, 0)}</td><td>${num(e.dentDepthUm, 0)}</td></tr>`).join('');
  const defects = s.defects.map((d, k) => `<tr><td>${k + 1}</td><td>${esc(d.type)}${d.corner ? ` (${d.corner})` : ''}${d.edge ? ` (${d.edge} edge)` : ''}</td><td>${num(d.centerMm[0], 1)}, ${num(d.centerMm[1], 1)}</td><td>${num(d.lengthMm)}</td><td>${num(d.widthMm)}</td><td>${num(d.depthUm, 0)}</td><td>${num(d.confidence)}</td><td>${img?.crops[k] ? `<img class="crop" alt="defect ${k + 1}" src="${png(img.crops[k])}">` : ''}</td></tr>`).join('');
  const deductions = s.deductions.map((d) => `<li>−${d.points} ${d.subgrade}: ${esc(d.reason)}</li>`).join('') || '<li>none</li>';
  const notGraded = Object.entries(s.notGraded).map(([k, v]) => `<li>${k}: ${esc(v)}</li>`).join('');
  return `<section><h2>${s.side === 'front' ? 'Front' : 'Back'}</h2>
  <h3>Centering</h3>${centering}
  <h3>What cost points</h3><ul>${deductions}</ul>${notGraded ? `<h3>Not graded</h3><ul>${notGraded}</ul>` : ''}
  <h3>Corners</h3><table><tr><th>corner</th><th>radius mm</th><th>fray µm</th><th>fill %</th><th>whitening %</th><th>ding µm</th></tr>${corners}</table>
  <h3>Edges</h3><table><tr><th>edge</th><th>chips</th><th>deepest chip µm</th><th>whitening %</th><th>roughness µm</th><th>dent µm</th></tr>${edges}</table>
  <h3>Defects</h3>${s.defects.length ? `<table><tr><th>#</th><th>type</th><th>centre mm (x right, y up)</th><th>length mm</th><th>width mm</th><th>depth µm</th><th>confidence</th><th>picture</th></tr>${defects}</table>` : '<p>none found</p>'}
  ${img ? `<h3>Images</h3><p>Whole side at ${num(img.overviewUmPerPx, 0)} µm per pixel; the defect pictures above are at full resolution.</p><div class="imgs"><figure><img alt="albedo with defects" src="${png(img.albedoOverlay)}"><figcaption>print (albedo), defects outlined</figcaption></figure>
  <figure><img alt="shaded relief" src="${png(img.shadedRelief)}"><figcaption>relief, shaded</figcaption></figure>
  <figure><img alt="normal map" src="${png(img.normalMap)}"><figcaption>surface normals</figcaption></figure></div>` : ''}
  </section>`;
}

/** The report page of a card. `title` names the card (its barcode or capture). */
export function renderReportHtml(g: CardGrade, images: (SideImages | undefined)[], meta: { title: string; createdAt: string }): string {
  const sub = (['centering', 'corners', 'edges', 'surface'] as const).map((k) => `<div class="sub"><div class="k">${k}</div><div class="v">${g.subgrades[k] ? g.subgrades[k]?.grade : '—'}</div><div class="s">${g.subgrades[k] ? `${Math.round((g.subgrades[k]?.smooth ?? 0) * 100)}/1000` : esc(g.notGraded[k] ?? '')}</div></div>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Grade report — ${esc(meta.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1.5rem;color:#1b1b1f;background:#fafafa}
h1{margin:0 0 .3rem}.grade{font-size:3.5rem;font-weight:700}.score{color:#555}
.subs{display:flex;gap:1rem;margin:1rem 0}.sub{background:#fff;border:1px solid #ddd;border-radius:8px;padding:.6rem 1rem;min-width:8rem}
.sub .k{color:#666;text-transform:capitalize}.sub .v{font-size:1.8rem;font-weight:600}.sub .s{color:#777;font-size:.85rem}
table{border-collapse:collapse;margin:.4rem 0;background:#fff}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:middle}
.imgs{display:flex;flex-wrap:wrap;gap:1rem}.imgs img{max-width:340px;border:1px solid #ccc}figure{margin:0}img.crop{max-width:160px}
section{margin-top:2rem;border-top:2px solid #ddd}footer{margin-top:2rem;color:#777;font-size:.85rem}
</style></head><body>
<h1>${esc(meta.title)}</h1>
<div class="grade">${g.grade ?? '—'}</div><div class="score">${g.score1000 !== undefined ? `${g.score1000} / 1000` : esc(g.incomplete ?? '')}</div>
<div class="subs">${sub}</div>
<p>The overall grade is not an average: the weakest subgrade counts double and the overall is at most one point above it. Positions are in mm from the card's centre, x to the right and y up as the card is seen.</p>
${g.sides.map((s, i) => sideSection(s, images[i])).join('\n')}
<footer>Graded ${esc(meta.createdAt)}${g.model ? ` · surface model ${esc(g.model.name)} ${esc(g.model.version)} (sha256 ${esc(g.model.sha256.slice(0, 12))}…)` : ''} · gradebooth</footer>
</body></html>
`;
}
