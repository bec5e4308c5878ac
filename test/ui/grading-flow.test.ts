// The operator's grading flow in headless chromium against a real daemon on the simulated booth (real
// firmware in simavr, rendered camera): a barcode from the simulated scanner starts the job, the screen
// shows its progress, asks for the flip, and shows the result; a second card is cancelled from the screen.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { exited, runCli, startServe } from '../cli/run-cli.ts';
import { artefacts, CHROMIUM, shot, signIn, smallTargets, typeOnScreen } from './browser.ts';
import { ensureSimBuilt } from '../../src/sim/rig/simulated-rig.ts';
import { shippedSurfaceModel } from '../helpers/shipped-model.ts';

let skip: string | false = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt install chromium)`;
try {
  await ensureSimBuilt();
} catch (err) {
  skip = `simulated rig unavailable (needs simavr and the built firmware): ${(err as Error).message}`;
}

/** The same screen at the small display too (the booth's UI must stay usable at 800×480). */
async function shotBoth(page: Page, name: string): Promise<string[]> {
  await shot(page, name);
  await page.setViewportSize({ width: 800, height: 480 });
  await shot(page, name);
  const small = await smallTargets(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  return small;
}

t.test('scan a barcode, watch the job, flip the card, read the result; cancel the next one', { skip }, async (t) => {
  // With a surface model in models/ the card must end graded; without one, with the reason it has no grade.
  const model = await shippedSurfaceModel();
  mkdirSync(artefacts, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'gb-uiflow-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = join(dataDir, 'booth.json');
  writeFileSync(config, JSON.stringify({ booth: { sim_flip_wait_s: 0 }, hardware: { camera: { width_px: 375, height_px: 512 }, scanner: { kind: 'simulated', pattern: 'SUB-[0-9]{4}' } } }));
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
  const cal = await call('POST', '/api/calibrations', {});
  for (;;) {
    const j = await call('GET', `/api/jobs/${cal.jobId}`);
    if (j.state !== 'queued' && j.state !== 'running') {
      t.equal(j.state, 'done', 'the booth is calibrated');
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true });
  const page = await context.newPage();
  await page.goto(base);
  await signIn(page, 'Ana', '2468');
  await page.getByTestId('scan-ready').waitFor();
  await page.locator('.statusline', { hasText: 'Live' }).waitFor();

  const read = await runCli(['sim', 'barcode', 'SUB-0100', '--data-dir', dataDir]);
  t.equal(read.code, 0, read.stderr);
  await page.getByTestId('scan-progress').filter({ hasText: 'SUB-0100' }).waitFor();
  await page.getByTestId('scan-step').filter({ hasText: /Capturing|Storing|Reconstructing|Grading|Saving/ }).waitFor();
  t.same(await shotBoth(page, 'grading-progress'), [], 'progress: touch targets ≥ 48 px at both sizes');

  await page.getByTestId('scan-flip').waitFor({ timeout: 120_000 });
  t.match(await page.getByTestId('scan-flip').textContent(), /Turn the card over/);
  t.same(await shotBoth(page, 'grading-flip'), [], 'flip prompt: touch targets ≥ 48 px at both sizes');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByTestId('scan-progress').filter({ hasText: 'back' }).waitFor();

  await page.getByTestId('scan-result').waitFor({ timeout: 120_000 });
  const job = (await call('GET', '/api/jobs?kind=scan-card&limit=1')).items[0];
  t.equal(job.state, 'done');
  const grade = job.result.grade;
  t.equal(grade.grade !== null, model !== null, model ? `surface model ${model.version} installed: the card is graded (${grade.error ?? 'graded'})` : 'no surface model: no grade');
  if (grade.grade === null) {
    // No surface model installed: the screen says why there is no grade, and shows what was measured.
    t.match(await page.getByTestId('result-nograde').textContent(), /No grade: the surface-defect model is not installed on this booth \(GB_MODEL_MISSING\)/);
  } else {
    t.match(await page.getByTestId('result-grade').textContent(), new RegExp(`Grade\\s*${grade.grade}\\s*${grade.score1000} / 1000`), 'the grade and its 1000-point score');
    t.match(grade.model, { name: model?.name, version: model?.version }, 'graded by the installed model');
    // The card's stored grade (the API) is the job's.
    const stored = (await call('GET', '/api/cards?barcode=SUB-0100')).items[0];
    t.match(stored.grades, [{ id: grade.gradeId, jobId: job.id, grade: grade.grade, score1000: grade.score1000, subgrades: grade.subgrades }], "the card's grade in the API is the job's");
    t.equal(stored.grades[0].defects.length, grade.defects.length, 'every defect of the report is stored');
    // The overlays: loaded, a tap zooms.
    const overlay = page.getByTestId('overlay');
    await overlay.locator('img').waitFor();
    await overlay.locator('img').evaluate((img) => (img as unknown as { decode(): Promise<void> }).decode());
    t.ok(await overlay.locator('img').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0), 'the overlay image loaded');
    await overlay.locator('img').click();
    t.match(await overlay.getAttribute('class'), /zoomed/, 'a tap zooms the overlay');
    await shotBoth(page, 'grading-result-zoomed');
    await overlay.locator('img').click();
    // Each deduction a defect caused names it (numbered as the overlay labels it) with its crop.
    const caused = (grade.sides as Array<{ side: string; deductions: Array<{ defect?: number }> }>).flatMap((s) => s.deductions.filter((d) => d.defect !== undefined).map((d) => `defect ${(d.defect as number) + 1} on the ${s.side}`));
    t.ok(caused.length > 0, `deductions caused by defects: ${caused.length}`);
    t.same(await page.getByTestId('deduction-defect').allTextContents(), caused, 'each deduction with its defect');
    t.equal(await page.locator('.deductions img.crop').count(), caused.length, "each with its defect's crop");
  }
  const subgrades = await page.getByTestId('result-subgrades').textContent();
  t.match(subgrades, /Centering/);
  t.match(subgrades, new RegExp(`Centering${grade.subgrades.centering ?? '—'}`), 'the centering subgrade the job computed');
  t.match(await page.getByTestId('scan-result').textContent(), /Centering, front.*L\/R.*Centering, back/, 'centering figures for both sides');
  t.same(await shotBoth(page, 'grading-result'), [], 'result: touch targets ≥ 48 px at both sizes');

  // The next card: cancelled from the screen while it captures.
  await page.getByRole('button', { name: 'Next card' }).click();
  await page.getByTestId('scan-ready').waitFor();
  t.equal((await runCli(['sim', 'barcode', 'SUB-0101', '--data-dir', dataDir])).code, 0);
  await page.getByTestId('scan-progress').filter({ hasText: 'SUB-0101' }).waitFor();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.getByTestId('scan-ended').filter({ hasText: 'Grading cancelled' }).waitFor({ timeout: 60_000 });
  await shot(page, 'grading-cancelled');
  const cancelled = (await call('GET', '/api/jobs?kind=scan-card&limit=1')).items[0];
  t.equal(cancelled.state, 'cancelled', 'the job was cancelled');
  await page.getByRole('button', { name: 'Next card' }).click();
  await page.getByTestId('scan-ready').waitFor();

  // History: find the first card again by part of its barcode, typed on the on-screen keyboard.
  await page.getByRole('button', { name: 'History' }).click();
  await page.getByTestId('history-page').waitFor();
  await page.getByTestId('history-count').filter({ hasText: '2 cards' }).waitFor();
  await page.getByTestId('history-search').click();
  await typeOnScreen(page, '0100');
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByTestId('history-count').filter({ hasText: '1 card' }).waitFor();
  t.same(await page.getByTestId('history-row').locator('.cb').allTextContents(), ['SUB-0100']);
  t.same(await shotBoth(page, 'history'), [], 'history: touch targets ≥ 48 px at both sizes');
  await page.getByTestId('history-row').click();
  if (grade.grade === null) {
    await page.getByTestId('history-card').filter({ hasText: 'This card has no grade.' }).waitFor();
    t.match(await page.getByTestId('history-card').textContent(), /front.*back|back.*front/, 'its scanned sides are listed');
  } else {
    await page.getByTestId('result-grade').filter({ hasText: String(grade.grade) }).waitFor();
    // An earlier card opens with its overlays (the stored report names its files).
    await page.getByTestId('overlay').locator('img').waitFor();
    t.equal(await page.getByTestId('deduction-defect').count(), (grade.sides as Array<{ deductions: Array<{ defect?: number }> }>).flatMap((s) => s.deductions.filter((d) => d.defect !== undefined)).length, 'with its deductions and their defects');
    // An operator overrides the machine's surface subgrade of this real grade, with a reason.
    const surface = grade.subgrades.surface as number;
    await page.getByRole('button', { name: 'Override a subgrade' }).click();
    const panel = page.getByTestId('override-panel');
    await panel.locator('button[data-subgrade="surface"]').click();
    t.equal(await page.getByTestId('override-value').textContent(), String(surface), "the form starts at the machine's surface subgrade");
    await panel.getByRole('button', { name: surface >= 10 ? '−½' : '+½' }).click();
    await panel.getByRole('button', { name: 'Not a defect (dust, print, foil)' }).click();
    await panel.getByRole('button', { name: 'Save override' }).click();
    const value = surface >= 10 ? surface - 0.5 : surface + 0.5;
    await page.getByTestId('override-saved').filter({ hasText: `Override saved: Surface ${value}` }).waitFor();
    const overridden = (await call('GET', '/api/cards?barcode=SUB-0100')).items[0].grades;
    t.match(overridden, [{ id: grade.gradeId, grade: grade.grade, subgrades: grade.subgrades, overrides: [{ gradeId: grade.gradeId, subgrade: 'surface', machineValue: surface, value, reason: 'not-a-defect', createdByName: 'Ana' }] }], "kept beside the machine's grade, which is unchanged");
    t.match(await page.getByTestId('override-surface').textContent(), `→ ${value} by Ana`);
  }
  await shot(page, 'history-card');
  // (exact: the card's sides are buttons too, and one of them is "back")
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  // By grade: the card is under its own grade's band (or under "No grade"), and under no other.
  const band = grade.grade === null ? 'No grade' : grade.grade >= 9 ? '9–10' : grade.grade >= 7 ? '7–8.5' : '1–6.5';
  await page.getByTestId('history-search').click();
  for (let i = 0; i < 4; i++) await page.locator('.osk .key', { hasText: '⌫' }).first().click();
  await page.getByRole('button', { name: 'Done' }).click();
  const bandQuery: Record<string, string> = { '9–10': 'minGrade=9', '7–8.5': 'minGrade=7&maxGrade=8.5', '1–6.5': 'maxGrade=6.5', 'No grade': 'graded=false' };
  for (const b of ['9–10', '7–8.5', '1–6.5', 'No grade']) {
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url().includes('/api/cards?') && r.url().endsWith(bandQuery[b])), page.getByRole('button', { name: b, exact: true }).click()]);
    const total = ((await answer.json()) as { total: number }).total;
    await page.getByTestId('history-count').filter({ hasText: new RegExp(`^${total} cards?$`) }).waitFor();
    const rows = await page.getByTestId('history-row').locator('.cb').allTextContents();
    t.equal(rows.includes('SUB-0100'), b === band, `grade band ${b}: SUB-0100 ${b === band ? 'listed' : 'not listed'} (${rows.join(', ') || 'none'})`);
    if (b === band) await shot(page, 'history-by-grade');
  }
  await context.close();
});
