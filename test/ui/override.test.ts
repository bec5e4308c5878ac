// The operator's override of a subgrade with a reason, in headless chromium against a real daemon: from
// the history, a graded card's result, the override form (subgrade, value in half points, a reason from
// the list, a note on the on-screen keyboard), stored beside the machine's grade and shown in the
// history again. No surface model ships yet, so no scan on the simulated booth ends with a grade row:
// the machine grade is written here through the storage layer the grade stage uses (GradeRepository.save
// on the daemon's own database file), not through an API. Screenshots at 1280×800 and 800×480.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { exited, runCli, startServe } from '../cli/run-cli.ts';
import { artefacts, CHROMIUM, shot, signIn, smallTargets, typeOnScreen } from './browser.ts';
import { dataDirLayout } from '../../src/storage/data-dir.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { FileStore } from '../../src/storage/file-store.ts';
import { createRepositories } from '../../src/booth-jobs.ts';

async function shotBoth(page: Page, name: string): Promise<string[]> {
  await shot(page, name);
  const small = await smallTargets(page);
  await page.setViewportSize({ width: 800, height: 480 });
  await shot(page, name);
  small.push(...(await smallTargets(page)));
  await page.setViewportSize({ width: 1280, height: 800 });
  return small;
}

/**
 * What keeps the override form's buttons out of reach at the page's current size: each named button must lie
 * inside the viewport, be the element found at its centre and edges (not clipped by a scrolling box nor covered), and be
 * ≥ 48 px both ways; `fits` also asks that the form's body needs no scroll and the page none either.
 */
async function outOfReach(page: Page, names: string[], fits: boolean): Promise<string[]> {
  return page.evaluate(({ names, fits }) => {
    // Runs in the page (this project's TypeScript has no DOM library): the little of it used here.
    interface Box { left: number; top: number; right: number; bottom: number; width: number; height: number }
    interface El { textContent: string | null; className: string; tagName: string; scrollHeight: number; clientHeight: number; getBoundingClientRect(): Box; contains(other: El): boolean }
    const { window, document } = globalThis as unknown as {
      window: { innerWidth: number; innerHeight: number };
      document: { querySelectorAll(s: string): Iterable<El>; querySelector(s: string): El | null; elementFromPoint(x: number, y: number): El | null; scrollingElement: El | null };
    };
    const problems: string[] = [];
    const vw = window.innerWidth, vh = window.innerHeight;
    const size = `${vw}×${vh}`;
    for (const name of names) {
      const b = [...document.querySelectorAll('button')].find((x) => (x.textContent ?? '').trim() === name && x.getBoundingClientRect().width > 0);
      if (!b) { problems.push(`${size}: no visible "${name}" button`); continue; }
      const r = b.getBoundingClientRect();
      if (r.left < 0 || r.top < 0 || r.right > vw || r.bottom > vh) problems.push(`${size}: "${name}" at ${r.left.toFixed(0)},${r.top.toFixed(0)}–${r.right.toFixed(0)},${r.bottom.toFixed(0)} is not inside the viewport`);
      else {
        // Its centre and the middle of each edge (3 px in; the corners are rounded): a button half cut off by a
        // scrolling box is not in reach either.
        const cx = (r.left + r.right) / 2, cy = (r.top + r.bottom) / 2;
        const points: Array<[string, number, number]> = [['centre', cx, cy], ['top edge', cx, r.top + 3], ['bottom edge', cx, r.bottom - 3], ['left edge', r.left + 3, cy], ['right edge', r.right - 3, cy]];
        for (const [where, x, y] of points) {
          const hit = document.elementFromPoint(x, y);
          if (!hit || !b.contains(hit)) {
            problems.push(`${size}: "${name}" is hidden at its ${where} (by ${hit?.className || hit?.tagName || 'nothing'})`);
            break;
          }
        }
      }
      if (r.width < 48 || r.height < 48) problems.push(`${size}: "${name}" is ${r.width.toFixed(0)}×${r.height.toFixed(0)} px`);
    }
    if (fits) {
      const body = document.querySelector('[data-testid="override-body"]');
      if (body && body.scrollHeight > body.clientHeight + 1) problems.push(`${size}: the form needs a scroll (${body.scrollHeight} px in ${body.clientHeight})`);
      const doc = document.scrollingElement;
      if (doc && doc.scrollHeight > vh + 1) problems.push(`${size}: the page scrolls (${doc.scrollHeight} px)`);
    }
    return problems;
  }, { names, fits });
}

/** outOfReach at 1280×800 and at 800×480 (back to 1280×800 after). */
async function outOfReachBoth(page: Page, names: string[], fits: boolean): Promise<string[]> {
  const problems = await outOfReach(page, names, fits);
  await page.setViewportSize({ width: 800, height: 480 });
  problems.push(...(await outOfReach(page, names, fits)));
  await page.setViewportSize({ width: 1280, height: 800 });
  return problems;
}

t.test('an operator overrides a subgrade with a reason; it is kept beside the machine grade and shows in history', { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt install chromium)` }, async (t) => {
  mkdirSync(artefacts, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'gb-uiover-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = join(dataDir, 'booth.yaml');
  writeFileSync(config, 'hardware:\n  rig: { kind: none }\n  camera: { kind: none }\n  scanner: { kind: none }\n');
  const token = (await runCli(['token', 'create', '--role', 'technician', '--data-dir', dataDir])).stdout.trim().split('\n').at(-1) ?? '';
  const { child, port } = await startServe(['--config', config, '--data-dir', dataDir, '--port', '0']);
  t.teardown(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited(child);
    }
  });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method: string, path: string, body?: unknown): Promise<any> =>
    (await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })).json();
  t.match(await call('POST', '/api/operators', { name: 'Ana', pin: '2468', role: 'operator' }), { name: 'Ana' });

  // The machine's grade of SUB-0300, as the grade stage stores one: rows and report in one transaction.
  const { dbPath, storeDir } = dataDirLayout(dataDir);
  const db = openDatabase(dbPath);
  t.teardown(() => db.close());
  const repos = createRepositories(db, new FileStore(storeDir));
  const cardId = repos.cards.ensure('SUB-0300');
  const report = {
    grade: 8, score1000: 812,
    subgrades: { centering: 9, corners: 8, edges: 8.5, surface: 8 },
    subscores1000: { centering: 905, corners: 801, edges: 846, surface: 820 },
    notGraded: {},
    sides: [
      { side: 'front', centering: { leftRight: [52.1, 47.9], topBottom: [54.0, 46.0], psaMax: 10, bgs: 9.5 }, deductions: [{ subgrade: 'corners', side: 'front', points: 1.5, reason: 'top-left corner rounded 0.42 mm' }] },
      { side: 'back', centering: { leftRight: [58.0, 42.0], topBottom: [51.0, 49.0], psaMax: 9, bgs: 9 }, deductions: [{ subgrade: 'edges', side: 'back', points: 1, reason: 'edge whitening 3.1 mm on the right' }] },
    ],
    model: null,
  };
  const machine = await repos.grades.save({
    cardId, overall: 8, centering: 9, corners: 8, edges: 8.5, surface: 8, score1000: 812, defects: [],
    report: { name: 'report.json', mediaType: 'application/json', bytes: new TextEncoder().encode(JSON.stringify(report)) },
  });

  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true });
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(base);
  await signIn(page, 'Ana', '2468');
  await page.getByTestId('scan-ready').waitFor();
  await page.getByRole('button', { name: 'History' }).click();
  await page.getByTestId('history-row').filter({ hasText: 'SUB-0300' }).click();
  await page.getByTestId('result-grade').filter({ hasText: '8' }).waitFor();

  await page.getByRole('button', { name: 'Override a subgrade' }).click();
  const panel = page.getByTestId('override-panel');
  await panel.locator('button[data-subgrade="corners"]').click();
  t.same(await outOfReachBoth(page, ['Save override', 'Cancel', 'Missed a defect', 'Other (say what)', '+½'], true), [], 'the form fits at both sizes: Save, Cancel, every reason and the value in view without a scroll');
  t.equal(await page.getByTestId('override-value').textContent(), '8', "starts at the machine's value");
  t.ok(await panel.getByRole('button', { name: 'Save override' }).isDisabled(), 'nothing to save until the value and a reason are chosen');
  await panel.getByRole('button', { name: '−½' }).click();
  await panel.getByRole('button', { name: '−½' }).click();
  t.equal(await page.getByTestId('override-value').textContent(), '7', 'half points down');
  await panel.getByRole('button', { name: 'Missed a defect' }).click();
  t.same(await shotBoth(page, 'override'), [], 'override form: touch targets ≥ 48 px at both sizes');
  await page.getByTestId('override-note').click();
  await typeOnScreen(page, 'Whitening');
  t.same(await outOfReachBoth(page, ['Save override', 'Cancel', 'Done', '1', 'z', 'Space'], false), [], 'typing the note: Save, Cancel and the whole keyboard in view at both sizes');
  await shot(page, 'override-note');
  await page.setViewportSize({ width: 800, height: 480 });
  await shot(page, 'override-note');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole('button', { name: 'Done' }).click();
  await panel.getByRole('button', { name: 'Save override' }).click();
  await page.getByTestId('override-saved').filter({ hasText: 'Override saved: Corners 7' }).waitFor();
  t.match(await page.getByTestId('override-corners').textContent(), '→ 7 by Ana: Missed a defect — Whitening');
  t.match(await page.getByTestId('result-grade').textContent(), /Grade\s*8/, "the machine's grade stays");
  t.match(await page.getByTestId('result-subgrades').textContent(), /Corners8.*→ 7/, "the machine's corners subgrade, the override beside it");
  t.same(await shotBoth(page, 'override-saved'), [], 'result with an override: touch targets ≥ 48 px at both sizes');

  // Stored beside the machine grade, which is unchanged; audited as Ana's.
  const card = (await call('GET', '/api/cards?barcode=SUB-0300')).items[0];
  t.match(card.grades, [{ id: machine.id, grade: 8, subgrades: { corners: 8 }, overrides: [{ gradeId: machine.id, subgrade: 'corners', machineValue: 8, value: 7, reason: 'missed-defect', note: 'Whitening', createdByName: 'Ana', createdBy: /^operator:/ }] }]);
  t.match(repos.grades.get(machine.id), { overall: 8, corners: 8 }, 'the grade row is untouched');
  const audit = db.prepare("SELECT actor, target FROM audit_log WHERE action = 'grade.override'").all() as Array<{ actor: string; target: string }>;
  t.match(audit, [{ actor: /^operator:/, target: card.grades[0].overrides[0].id }], 'audited');

  // The history shows it when the card is opened again.
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await page.getByTestId('history-row').filter({ hasText: 'SUB-0300' }).click();
  await page.getByTestId('override-corners').filter({ hasText: '→ 7 by Ana' }).waitFor();
  await shot(page, 'history-override');
});
