// What the UI tests share: Debian's chromium (never a downloaded browser), screenshots as artefacts, the
// on-screen keyboard and PIN pad, and the 48 px touch-target check.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const artefacts = fileURLToPath(new URL('../../artefacts/ui/', import.meta.url));

/** A screenshot named after the screen and the viewport, in artefacts/ui/. */
export async function shot(page: Page, name: string): Promise<void> {
  const v = page.viewportSize()!;
  await page.screenshot({ path: join(artefacts, `${name}-${v.width}x${v.height}.png`) });
}

/** Type on the on-screen keyboard (the keyboard starts shifted for the first letter). */
export async function typeOnScreen(page: Page, text: string): Promise<void> {
  for (const ch of text) await page.locator('.osk .key', { hasText: new RegExp(`^${ch}$`) }).click();
}

/** Sign in with a name typed on the on-screen keyboard and a PIN on the keypad. */
export async function signIn(page: Page, name: string, pin: string): Promise<void> {
  await page.getByTestId('name-field').click();
  await typeOnScreen(page, name);
  await page.getByRole('button', { name: 'Done' }).click();
  for (const d of pin) await page.locator('.pinpad .key', { hasText: new RegExp(`^${d}$`) }).click();
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Every visible button is a touch target of at least 48 × 48 CSS px: the ones that are not. */
export async function smallTargets(page: Page): Promise<string[]> {
  return page.$$eval('button', (buttons) =>
    buttons
      .map((b) => ({ text: b.textContent ?? '', r: b.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0 && r.height > 0 && (r.width < 48 || r.height < 48))
      .map(({ text, r }) => `"${text}" ${r.width.toFixed(0)}×${r.height.toFixed(0)}`),
  );
}
