import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

/**
 * A fresh private folder removed after the test. Unlike t.testdir() its name is unique per run, so two
 * concurrent test runs in one checkout (several engineers, one machine) cannot clobber each other's renders.
 */
export function privateDir(t: Test, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `gb-${prefix}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
