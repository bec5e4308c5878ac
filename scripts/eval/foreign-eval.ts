// Issue 11's check, run here on cards from the second renderer (scripts/eval/foreign_card.py): render a
// set of cards (clean, holo foil, with defects, some with a worn corner), grade each with
// `gradebooth grade --input DIR --um-per-px 60 --json` as the check does, and compare with the renderer's
// truth.json: centering within 0.5 ratio points; scratches, dents and creases found (centre within 2.5 mm),
// recall, precision and the right type; no defect on clean or holo cards; the worn corner named.
//
//   node --import tsx scripts/eval/foreign-eval.ts [--cards 16] [--first-seed 1] [--models DIR] [--work DIR] [--keep]
//
// Prints one line per card and a JSON summary. Needs Debian's python3-numpy at /usr/bin/python3.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);
const { values } = parseArgs({ options: { cards: { type: 'string' }, 'first-seed': { type: 'string' }, models: { type: 'string' }, work: { type: 'string' }, keep: { type: 'boolean' } } });
const cards = Number(values.cards ?? 16);
const firstSeed = Number(values['first-seed'] ?? 1);
const work = resolve(values.work ?? 'var/foreign-eval');
const root = resolve(import.meta.dirname, '../..');
const matchMm = 2.5;
/** The surface kinds the check counts. */
const checked = new Set(['scratch', 'dent', 'crease']);

interface TruthDefect { type: string; centerMm: [number, number]; depthUm: number; lengthMm: number }
interface Truth { kind: string; centering: { leftRight: [number, number]; topBottom: [number, number] }; defects: TruthDefect[]; wornCorner?: string | null }
interface Found { type: string; category?: string; centerMm: [number, number]; depthUm: number; lengthMm: number; corner?: string; edge?: string }

// Kinds cycle so every set of 8 holds 2 clean, 2 holo-foil, 2 with defects, 2 holo foil with defects;
// every 4th card has a worn corner.
const kindOf = (i: number): string => ['clean', 'defects', 'foil', 'foil-defects'][i % 4];
const wornCornerOf = (i: number): string | undefined => (i % 4 === 1 ? ['tl', 'tr', 'br', 'bl'][(i >> 2) % 4] : undefined);

const dist = (a: [number, number], b: [number, number]): number => Math.hypot(a[0] - b[0], a[1] - b[1]);
const tally = { truths: 0, found: 0, foundTyped: 0, reported: 0, reportedTrue: 0 };
const perType: Record<string, typeof tally> = {};
let centeringOk = 0, centeringN = 0, maxCenteringErr = 0;
let cleanWithReports = 0, cleanN = 0, foilWithFalse = 0, foilN = 0, cornersNamed = 0, cornersWorn = 0, falseCornerWear = 0;
const depthErrors: number[] = [];
await mkdir(work, { recursive: true });
for (let i = 0; i < cards; i++) {
  const seed = firstSeed + i, kind = kindOf(i), worn = wornCornerOf(i);
  const dir = join(work, `card-${seed}`);
  await rm(dir, { recursive: true, force: true });
  await run('/usr/bin/python3', [join(root, 'scripts/eval/foreign_card.py'), '--out', dir, '--seed', String(seed), '--kind', kind, ...(worn ? ['--worn-corner', worn] : [])]);
  const truth = JSON.parse(await readFile(join(dir, 'truth.json'), 'utf8')) as Truth;
  const args = [join(root, 'bin/gradebooth.js'), 'grade', '--input', dir, '--um-per-px', '60', '--json', ...(values.models ? ['--models', resolve(values.models)] : [])];
  const out = await run(process.execPath, args, { maxBuffer: 1 << 26 });
  const g = JSON.parse(out.stdout.trim().split('\n').pop()!);
  const errLR = Math.abs(g.centering.leftRight[0] - truth.centering.leftRight[0]), errTB = Math.abs(g.centering.topBottom[0] - truth.centering.topBottom[0]);
  centeringN++;
  if (errLR <= 0.5 && errTB <= 0.5) centeringOk++;
  maxCenteringErr = Math.max(maxCenteringErr, errLR, errTB);
  const surface = (g.defects as Found[]).filter((d) => checked.has(d.type));
  const truths = truth.defects.filter((d) => checked.has(d.type));
  let falseHere = 0;
  const missed: string[] = [];
  for (const t of truths) {
    const pt = (perType[t.type] ??= { truths: 0, found: 0, foundTyped: 0, reported: 0, reportedTrue: 0 });
    pt.truths++; tally.truths++;
    const near = surface.filter((f) => dist(f.centerMm, t.centerMm) <= matchMm);
    if (near.length) {
      pt.found++; tally.found++;
      const typed = near.find((f) => f.type === t.type);
      if (typed) { pt.foundTyped++; tally.foundTyped++; }
      if (t.type === 'dent') depthErrors.push(((typed ?? near[0]).depthUm - t.depthUm) / t.depthUm);
    } else missed.push(`${t.type}@${t.centerMm.map((v) => v.toFixed(1)).join(',')}${t.lengthMm ? ` ${t.lengthMm.toFixed(1)} mm` : ''} ${t.depthUm.toFixed(0)} µm`);
  }
  for (const f of surface) {
    const pt = (perType[f.type] ??= { truths: 0, found: 0, foundTyped: 0, reported: 0, reportedTrue: 0 });
    pt.reported++; tally.reported++;
    if (truths.some((t) => dist(f.centerMm, t.centerMm) <= matchMm)) { pt.reportedTrue++; tally.reportedTrue++; } else falseHere++;
  }
  // Every reported defect of any category on a clean card counts against it (the check: "no defect reported").
  const all = g.defects as Found[];
  if (kind === 'clean') { cleanN++; if (all.length > 0) cleanWithReports++; }
  if (kind === 'foil') { foilN++; if (all.length > 0) foilWithFalse++; }
  const wear = all.filter((d) => d.type === 'corner-wear');
  if (worn) { cornersWorn++; if (wear.some((d) => d.corner === worn)) cornersNamed++; }
  falseCornerWear += wear.filter((d) => d.corner !== worn).length;
  const line = [`card ${seed} ${kind}${worn ? ` worn ${worn}` : ''}:`, `centering ±${errLR.toFixed(2)}/${errTB.toFixed(2)}`, `${truths.length} true, ${surface.length} surface reported, ${falseHere} false`,
    `missed: ${missed.join(', ') || 'none'}`, `all reported: ${all.map((d) => `${d.type}${d.corner ? `@${d.corner}` : d.edge ? `@${d.edge}` : `@${d.centerMm.map((v) => v.toFixed(1)).join(',')}`}`).join(' ') || 'none'}`, `grade ${g.grade}`];
  console.log(line.join('  '));
  if (!values.keep) await rm(dir, { recursive: true, force: true });
}
const pct = (a: number, b: number): number | null => (b ? Math.round((1000 * a) / b) / 10 : null);
console.log(JSON.stringify({
  cards, firstSeed,
  centering: { within05: centeringOk, of: centeringN, maxErrorPoints: +maxCenteringErr.toFixed(2) },
  surface: { ...tally, recallPct: pct(tally.found, tally.truths), precisionPct: pct(tally.reportedTrue, tally.reported), rightTypePct: pct(tally.foundTyped, tally.found) },
  perType: Object.fromEntries(Object.entries(perType).map(([k, v]) => [k, { ...v, recallPct: pct(v.found, v.truths), precisionPct: pct(v.reportedTrue, v.reported) }])),
  cleanCardsWithAnyReport: `${cleanWithReports} of ${cleanN}`, foilCardsWithAnyReport: `${foilWithFalse} of ${foilN}`,
  wornCornersNamed: `${cornersNamed} of ${cornersWorn}`, cornerWearElsewhere: falseCornerWear,
  dentDepthWithin20Pct: `${depthErrors.filter((e) => Math.abs(e) <= 0.2).length} of ${depthErrors.length}`,
}, null, 1));
