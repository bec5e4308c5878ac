#!/usr/bin/env node
// Builds native/vision/build/gradebooth_vision.node with the system C compiler against the running Node's
// N-API headers. Plain `cc` rather than node-gyp: node-gyp wants to download headers, and a booth
// installing offline already has them next to its node binary (Debian: /usr/include/node).
// `--optional` (the package's install script) never fails the install: without a compiler the TypeScript
// kernels run instead (src/vision/native.ts picks the addon only when it loads).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const optional = process.argv.includes('--optional');
const out = join(here, 'build', 'gradebooth_vision.node');
const candidates = [
  join(dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
];
const include = candidates.find((d) => existsSync(join(d, 'node_api.h')));

function fail(msg) {
  process.stderr.write(`native/vision: ${msg}${optional ? ' — using the TypeScript kernels instead' : ''}\n`);
  process.exit(optional ? 0 : 1);
}

if (!include) fail('node_api.h not found (install the Node headers, e.g. the nodejs-dev / libnode-dev package)');
mkdirSync(join(here, 'build'), { recursive: true });
const cc = process.env.CC ?? 'cc';
const sources = ['addon.c', 'ps.c', 'poisson.c', 'warp.c', 'integrate.c', 'dct.c'].map((f) => join(here, f));
const base = ['-O3', '-fPIC', '-shared', '-fno-math-errno', '-std=gnu11', '-Wall', '-Wno-psabi', `-I${include}`, ...sources, '-o', `${out}.tmp`, '-lm'];
// Tuned for the CPU it is built on (the booth builds on itself); retry generic if the flag is refused.
// OpenMP parallelises the Poisson solver's sweeps over rows; without it the same code runs serially.
// FFTW (Debian libfftw3-dev: fftw3f) adds the DCT Poisson solver (dct.c); without it the
// addon still builds and integration uses multigrid PCG alone.
const fftw = ['-DHAVE_FFTW', '-lfftw3f', '-lpthread'];
const plain = [['-march=native', '-fopenmp', ...base], ['-fopenmp', ...base], ['-march=native', ...base], base];
// Only tried where the header is (a machine without FFTW would otherwise print four failed compiles).
const hasFftw = ['/usr/include', '/usr/local/include', '/opt/homebrew/include'].some((d) => existsSync(join(d, 'fftw3.h')));
const attempts = [...(hasFftw ? plain.map((a) => [...a, ...fftw]) : []), ...plain];
let built = false;
for (const args of attempts) {
  try {
    execFileSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    built = true;
    break;
  } catch {
    // next attempt (the compiler printed why)
  }
}
if (!built) fail(`${cc} could not build the vision kernels`);
renameSync(`${out}.tmp`, out);
process.stdout.write(`native/vision: built ${out}\n`);
