import { readFileSync } from 'node:fs';

/** The package version, read once from package.json so there is one source of truth. */
export const packageVersion: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
