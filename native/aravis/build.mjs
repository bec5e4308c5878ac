#!/usr/bin/env node
// Builds native/aravis/build/gradebooth_aravis.node, the GenICam camera's bridge to the system libaravis
// 0.8 (Debian: libaravis-dev), with the shared native/build-addon.mjs. `--optional` at postinstall: a machine
// without libaravis builds and runs everything else, and `gradebooth camera list` says why no GenICam
// camera is available (src/hardware/camera/genicam/aravis-addon.ts).
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAddon } from '../build-addon.mjs';

let flags = [];
try {
  flags = execFileSync('pkg-config', ['--cflags', '--libs', 'aravis-0.8'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(/\s+/);
} catch {
  flags = null;
}
const optional = process.argv.includes('--optional');
if (flags === null) {
  process.stderr.write(`native/aravis: pkg-config finds no aravis-0.8 (install libaravis-dev)${optional ? ' — no GenICam camera support in this build' : ''}\n`);
  process.exit(optional ? 0 : 1);
}
buildAddon({
  dir: dirname(fileURLToPath(import.meta.url)),
  output: 'gradebooth_aravis.node',
  label: 'native/aravis',
  fallback: 'no GenICam camera support in this build',
  sources: ['addon.c', 'unpack.c'],
  attempts: (base) => [[...base, ...flags]],
});
