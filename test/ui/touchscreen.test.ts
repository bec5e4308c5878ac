import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { exited, runCli, startServe } from '../cli/run-cli.ts';
import { artefacts, CHROMIUM, shot, signIn, smallTargets } from './browser.ts';

const sizes = [
  { width: 1280, height: 800 },
  { width: 800, height: 480 },
] as const;

t.test('the touchscreen in headless chromium against a real daemon with the simulated scanner', { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt install chromium)` }, async (t) => {
  mkdirSync(artefacts, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'gb-ui-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = join(dataDir, 'booth.yaml');
  writeFileSync(config, 'hardware:\n  rig: { kind: none }\n  camera: { kind: none }\n  scanner: { kind: simulated, pattern: "SUB-[0-9]{4}" }\n');
  const created = await runCli(['token', 'create', '--role', 'technician', '--data-dir', dataDir]);
  const token = created.stdout.trim().split('\n').at(-1) ?? '';
  const { child, port } = await startServe(['--config', config, '--data-dir', dataDir, '--port', '0']);
  t.teardown(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited(child);
    }
  });
  const base = `http://127.0.0.1:${port}`;
  for (const [name, pin, role] of [['Ana', '2468', 'operator'], ['Tom', '1357', 'technician']]) {
    const r = await fetch(`${base}/api/operators`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, pin, role }) });
    t.equal(r.status, 201, `${name} created by a technician`);
  }

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());

  for (const viewport of sizes) {
    const context = await browser.newContext({ viewport, hasTouch: true });
    const page = await context.newPage();
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(base)) external.push(r.url());
    });
    const size = `${viewport.width}x${viewport.height}`;

    await page.goto(base);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot(page, 'signin');
    t.same(await smallTargets(page), [], `${size}: sign-in touch targets ≥ 48 px`);

    await signIn(page, 'Ana', '9999');
    await page.getByRole('alert').filter({ hasText: 'name or PIN is wrong' }).waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
    for (const d of '2468') await page.locator('.pinpad .key', { hasText: new RegExp(`^${d}$`) }).click();
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('scan-ready').waitFor();
    await page.locator('.statusline', { hasText: 'Live' }).waitFor();
    t.match(await page.getByTestId('who').textContent(), 'Ana · operator');
    await shot(page, 'scan-ready');
    t.same(await smallTargets(page), [], `${size}: scan screen touch targets ≥ 48 px`);
    const cookies = await context.cookies();
    t.match(cookies, [{ name: 'gb_session', httpOnly: true, sameSite: 'Strict' }], 'the session cookie is httpOnly and SameSite=Strict');

    const code = viewport.width === 1280 ? 'SUB-0100' : 'SUB-0101';
    const scanned = await runCli(['sim', 'barcode', code, '--data-dir', dataDir]);
    t.equal(scanned.code, 0, scanned.stderr);
    // This daemon has no booth (rig and camera none): the code is read, no grading job starts.
    await page.getByTestId('scan-last').filter({ hasText: code }).waitFor();
    t.equal(await page.getByTestId('scan-progress').count(), 0, 'no job, no progress shown');
    await shot(page, 'scan-read');

    const bad = await runCli(['sim', 'barcode', 'SUB-12', '--data-dir', dataDir]);
    t.not(bad.code, 0);
    await page.getByTestId('scan-rejected').filter({ hasText: 'does not parse' }).waitFor();
    await shot(page, 'scan-rejected');

    // An operator has no technician tabs, and typing the address does not help: the page and the API refuse.
    t.equal(await page.getByRole('button', { name: 'Booth status' }).count(), 0);
    await page.goto(`${base}/#/tech/status`);
    await page.getByTestId('tech-only').waitFor();
    const apiAnswer = await page.evaluate(async () => (await fetch('/api/operators')).status);
    t.equal(apiAnswer, 403, 'the API refuses an operator session on technician routes');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn(page, 'Tom', '1357');
    await page.getByRole('button', { name: 'Technician' }).click();
    await page.getByRole('button', { name: 'Booth status' }).click();
    await page.getByTestId('status-page').locator('td', { hasText: 'simulated keyboard-wedge scanner' }).waitFor();
    await shot(page, 'tech-status');
    await page.getByRole('button', { name: 'Operators' }).click();
    await page.getByTestId('operators-page').locator('.opname', { hasText: 'Ana' }).waitFor();
    await shot(page, 'tech-operators');
    t.same(await smallTargets(page), [], `${size}: technician pages touch targets ≥ 48 px`);
    // The camera live view: this daemon has no booth, and the page says so (the API answers GB_HW_ABSENT).
    await page.getByRole('button', { name: 'Camera' }).click();
    await page.getByTestId('camera-message').filter({ hasText: 'GB_HW_ABSENT' }).waitFor();
    await shot(page, 'tech-camera');
    t.same(await smallTargets(page), [], `${size}: camera page touch targets ≥ 48 px`);

    t.same(external, [], `${size}: nothing is fetched from outside the booth`);
    await context.close();
  }

  const audit = await fetch(`${base}/api/status`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(audit.status, 200);
});
