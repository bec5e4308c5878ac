// The technician's pages in headless chromium against a real daemon on the simulated booth (the real
// firmware in simavr, the rendered camera): rig diagnostics (an LED lit from the screen, the counters
// moving); the calibration wizard (a run followed live to pass); tokens and operators; an operator reaches none of these pages nor their API. Screenshots of each at both sizes.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { exited, runCli, startServe } from '../cli/run-cli.ts';
import { artefacts, CHROMIUM, shot, signIn, smallTargets, typeOnScreen } from './browser.ts';
import { ensureSimBuilt } from '../../src/sim/rig/simulated-rig.ts';

let skip: string | false = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt install chromium)`;
try {
  await ensureSimBuilt();
} catch (err) {
  skip = `simulated rig unavailable (needs simavr and the built firmware): ${(err as Error).message}`;
}

/** The same screen at the small display too; the buttons under 48 px at either size. */
async function shotBoth(page: Page, name: string): Promise<string[]> {
  await shot(page, name);
  const small = await smallTargets(page);
  await page.setViewportSize({ width: 800, height: 480 });
  await shot(page, name);
  small.push(...(await smallTargets(page)));
  await page.setViewportSize({ width: 1280, height: 800 });
  return small;
}

/** A link counter as the rig page shows it. */
async function counter(page: Page, key: string): Promise<number> {
  return Number(await page.getByTestId('rig-counters').locator(`[data-counter="${key}"] .num`).textContent());
}

t.test('technician pages on the simulated booth; operators refused', { skip }, async (t) => {
  mkdirSync(artefacts, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'gb-uitech-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = join(dataDir, 'booth.json');
  writeFileSync(config, JSON.stringify({ hardware: { camera: { width_px: 375, height_px: 512 }, scanner: { kind: 'simulated', pattern: 'SUB-[0-9]{4}' } } }));
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
  t.match(await call('POST', '/api/operators', { name: 'Tom', pin: '1357', role: 'technician' }), { name: 'Tom' });
  t.match(await call('POST', '/api/operators', { name: 'Ana', pin: '2468', role: 'operator' }), { name: 'Ana' });

  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());

  t.test('an operator reaches no technician page nor its API', async (t) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true });
    t.teardown(() => context.close());
    const page = await context.newPage();
    await page.goto(base);
    await signIn(page, 'Ana', '2468');
    await page.getByTestId('scan-ready').waitFor();
    t.equal(await page.getByRole('button', { name: 'Technician' }).count(), 0, 'no technician tab');
    for (const p of ['status', 'camera', 'rig', 'calibration', 'operators', 'tokens']) {
      await page.goto(`${base}/#/tech/${p}`);
      await page.getByTestId('tech-only').waitFor();
      t.equal(await page.getByTestId('tech-tabs').count(), 0, `#/tech/${p}: the page refuses, no technician tabs`);
    }
    const answers = await page.evaluate(async () => {
      const out: Record<string, number> = {};
      for (const [method, url, body] of [
        ['GET', '/api/rig/diagnostics'], ['POST', '/api/rig/leds', { led: 1 }], ['DELETE', '/api/rig/leds'], ['POST', '/api/rig/faults/clear'],
        ['GET', '/api/operators'], ['GET', '/api/camera/preview'], ['GET', '/api/tokens'], ['POST', '/api/tokens', { name: 'x', role: 'operator' }],
        ['POST', '/api/operators/000000000000/disable'], ['POST', '/api/operators/000000000000/pin', { pin: '1234' }], ['GET', '/api/calibrations/guide'], ['POST', '/api/calibrations', {}],
      ] as Array<[string, string, unknown?]>) {
        const res = await fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
        out[`${method} ${url}`] = res.status;
      }
      return out;
    });
    t.same(Object.values(answers), Object.values(answers).map(() => 403), `every technician route answers 403 to an operator session: ${JSON.stringify(answers)}`);
  });

  t.test('rig diagnostics: light an LED from the screen, see the counters move', async (t) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true });
    t.teardown(() => context.close());
    const page = await context.newPage();
    await page.goto(base);
    await signIn(page, 'Tom', '1357');
    await page.getByRole('button', { name: 'Technician' }).click();
    await page.getByTestId('tech-tabs').getByRole('button', { name: 'Rig' }).click();
    await page.getByTestId('rig-firmware').filter({ hasText: /\d+\.\d+\.\d+/ }).waitFor();
    t.match(await page.getByTestId('rig-temp').textContent(), /°C \(limit 70 °C\)/, 'the thermistor temperature and its limit');
    const sentBefore = await counter(page, 'txFrames');
    await page.getByTestId('rig-leds').getByRole('button', { name: '5', exact: true }).click();
    await page.getByTestId('rig-lit').filter({ hasText: 'LED 5 at 4095/4095' }).waitFor();
    t.equal(await page.getByTestId('rig-leds').locator('.ledkey.lit').count(), 1, 'one LED lit, as the firmware reports its levels');
    await page.waitForFunction(`Number(document.querySelector('[data-testid="rig-counters"] [data-counter="txFrames"] .num')?.textContent) > ${sentBefore}`);
    t.ok((await counter(page, 'txFrames')) > sentBefore, 'frames sent counts up');
    t.same(await shotBoth(page, 'tech-rig'), [], 'rig page: touch targets ≥ 48 px at both sizes');
    await page.getByRole('button', { name: 'All off' }).click();
    await page.getByTestId('rig-lit').filter({ hasText: 'nothing' }).waitFor();
    t.equal(await page.getByTestId('rig-leds').locator('.ledkey.lit').count(), 0, 'all off');
    const audit = (await call('GET', '/api/rig/diagnostics')) as { lit: unknown };
    t.equal(audit.lit, null);
  });

  t.test('calibration wizard: each procedure with its steps and limits; a run followed live to pass', async (t) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true });
    t.teardown(() => context.close());
    const page = await context.newPage();
    await page.goto(base);
    await signIn(page, 'Tom', '1357');
    await page.getByRole('button', { name: 'Technician' }).click();
    await page.getByTestId('tech-tabs').getByRole('button', { name: 'Calibration' }).click();
    await page.getByTestId('calib-state-dark').filter({ hasText: 'never run' }).waitFor();
    await page.locator('.procrow[data-procedure="lights"]').click();
    const detail = page.getByTestId('calib-detail');
    await detail.filter({ hasText: 'Place: the mirror sphere' }).waitFor();
    t.match(await detail.textContent(), /Largest ray residual.*≤ 0\.5 mm/, 'the limits shown are the ones the booth applies');
    t.same(await shotBoth(page, 'tech-calibration'), [], 'calibration page: touch targets ≥ 48 px at both sizes');

    await page.getByRole('button', { name: 'Run calibration' }).click();
    await page.getByTestId('calib-place').waitFor();
    // Live figures from the job's websocket events (the first step's, the dark frame's, at the latest).
    await page.getByTestId('calib-live').locator('dd').first().waitFor({ timeout: 120_000 });
    t.ok((await page.getByTestId('calib-live').locator('dt').count()) > 0, 'figures of a finished step while the next runs');
    t.same(await shotBoth(page, 'tech-calibration-running'), [], 'running calibration: touch targets ≥ 48 px at both sizes');
    await page.getByTestId('calib-result').waitFor({ timeout: 600_000 });
    t.match(await page.getByTestId('calib-result').textContent(), /Calibration passed/);
    for (const p of ['dark', 'flat', 'lights', 'scale', 'verify']) t.match(await page.getByTestId(`calib-state-${p}`).textContent(), 'pass', `${p} saved and passed, shown as it was saved`);
    t.same(await shotBoth(page, 'tech-calibration-passed'), [], 'calibration result: touch targets ≥ 48 px at both sizes');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.locator('.procrow[data-procedure="verify"]').click();
    await page.getByTestId('calib-record').filter({ hasText: /v1 · calibrated \d+ s ago/ }).waitFor();
    const rows = page.getByTestId('calib-checks').locator('tbody tr');
    t.equal(await rows.count(), 2);
    t.same(await rows.locator('td:last-child').allTextContents(), ['pass', 'pass'], 'each figure passes its limit');
    await shot(page, 'tech-calibration-record');

    const current = await call('GET', '/api/calibrations/current');
    t.equal(current.readyToScan, true);
    for (const p of current.procedures) {
      t.equal(p.state, 'valid', `${p.procedure} valid`);
      t.ok(p.checks.length > 0 && p.checks.every((c: { passed: boolean }) => c.passed) === p.latest.passed, `${p.procedure}: the checks shown agree with the record's pass`);
    }

    // The dark frame expires daily and needs no other procedure: it runs alone, and only it gets a new record.
    await page.locator('.procrow[data-procedure="dark"]').click();
    await page.getByRole('button', { name: 'Run dark frame only' }).click();
    await page.getByTestId('calib-result').filter({ hasText: 'Calibration passed' }).waitFor({ timeout: 300_000 });
    t.same(await page.getByTestId('calib-result').locator('.savedlist li').allTextContents(), ['pass Dark frame'], 'only the dark frame ran');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByTestId('calib-record').filter({ hasText: /^v2 ·/ }).waitFor();
    const after = await call('GET', '/api/calibrations/current');
    t.same(after.procedures.map((p: { procedure: string; latest: { version: number } }) => `${p.procedure} v${p.latest.version}`), ['dark v2', 'flat v1', 'lights v1', 'scale v1', 'verify v1']);
    t.equal(after.readyToScan, true);
    const bad = await fetch(`${base}/api/calibrations`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ only: 'flat' }) });
    t.equal(bad.status, 400, 'the other procedures do not run alone');
  });

  t.test('tokens and operators: create a token (shown once), revoke it; add, disable, enable and re-PIN an operator', async (t) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true });
    t.teardown(() => context.close());
    const page = await context.newPage();
    await page.goto(base);
    await signIn(page, 'Tom', '1357');
    await page.getByRole('button', { name: 'Technician' }).click();
    await page.getByTestId('tech-tabs').getByRole('button', { name: 'Tokens' }).click();
    await page.getByTestId('tokens-page').waitFor();
    await typeOnScreen(page, 'Kiosk2');
    await page.getByRole('button', { name: 'technician', exact: true }).click();
    await page.getByRole('button', { name: '30 days' }).click();
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByTestId('token-secret').textContent()) ?? '';
    t.match(secret, /^gb_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/, 'the new token, shown once');
    const status = await fetch(`${base}/api/rig/diagnostics`, { headers: { authorization: `Bearer ${secret}` } });
    t.equal(status.status, 200, 'it works as a technician token');
    t.same(await shotBoth(page, 'tech-tokens-new'), [], 'new token: touch targets ≥ 48 px at both sizes');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    const id = secret.slice(3, 15);
    const row = page.locator(`li[data-token="${id}"]`);
    await row.filter({ hasText: /Kiosk2.*technician.*expires/ }).waitFor();
    t.notMatch(await page.getByTestId('tokens-page').textContent(), secret.slice(16), 'the secret is not shown again');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Revoke now?' }).click();
    await row.filter({ hasText: 'revoked' }).waitFor();
    t.equal((await fetch(`${base}/api/rig/diagnostics`, { headers: { authorization: `Bearer ${secret}` } })).status, 401, 'revoked: it no longer works');
    t.same(await shotBoth(page, 'tech-tokens'), [], 'tokens: touch targets ≥ 48 px at both sizes');

    await page.getByTestId('tech-tabs').getByRole('button', { name: 'Operators' }).click();
    await page.getByTestId('operators-page').waitFor();
    await page.getByRole('button', { name: /^Name/ }).click();
    await typeOnScreen(page, 'Lee');
    await page.getByRole('button', { name: 'Done' }).click();
    for (const d of '1122') await page.locator('.pinpad .key', { hasText: new RegExp(`^${d}$`) }).click();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByTestId('operators-message').filter({ hasText: 'Lee can now sign in' }).waitFor();
    const lee = page.locator('li[data-operator="Lee"]');
    const signInAs = async (pin: string): Promise<number> => (await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Lee', pin }) })).status;
    t.equal(await signInAs('1122'), 200, 'Lee signs in');
    await lee.getByRole('button', { name: 'Disable' }).click();
    await lee.filter({ hasText: 'disabled' }).waitFor();
    t.equal(await signInAs('1122'), 401, 'disabled: Lee cannot sign in');
    t.same(await shotBoth(page, 'tech-operators'), [], 'operators: touch targets ≥ 48 px at both sizes');
    await lee.getByRole('button', { name: 'Enable' }).click();
    await lee.getByRole('button', { name: 'Disable' }).waitFor();
    await lee.getByRole('button', { name: 'New PIN' }).click();
    await page.getByTestId('pin-for').filter({ hasText: 'New PIN for Lee' }).waitFor();
    for (const d of '3344') await page.locator('.pinpad .key', { hasText: new RegExp(`^${d}$`) }).click();
    await shot(page, 'tech-operators-pin');
    await page.getByRole('button', { name: 'Set PIN' }).click();
    await page.getByTestId('operators-message').filter({ hasText: 'Lee has a new PIN' }).waitFor();
    t.equal(await signInAs('1122'), 401, 'the old PIN is gone');
    t.equal(await signInAs('3344'), 200, 'the new PIN works');
  });
});
