#!/usr/bin/env node
// Builds native/render/build/gradebooth_render.node (the simulator's shading kernel) with the system C
// compiler against the running Node's N-API headers, like native/vision/build.mjs (plain `cc`, no node-gyp
// download, works offline). `--optional` (the package's postinstall) never fails the install: without a
// compiler the SIMD WebAssembly kernel runs instead (src/sim/render/native.ts picks the addon when it loads).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const optional = process.argv.includes('--optional');
const out = join(here, 'build', 'gradebooth_render.node');
const candidates = [
  join(dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
];
const include = candidates.find((d) => existsSync(join(d, 'node_api.h')));

function fail(msg) {
  process.stderr.write(`native/render: ${msg}${optional ? ' — using the WebAssembly kernel instead' : ''}\n`);
  process.exit(optional ? 0 : 1);
}

if (!include) fail('node_api.h not found (install the Node headers, e.g. the nodejs-dev / libnode-dev package)');
mkdirSync(join(here, 'build'), { recursive: true });
const cc = process.env.CC ?? 'cc';
const sources = ['addon.c', 'shade.c', 'sensor.c'].map((f) => join(here, f));
// -fno-math-errno lets sqrt vectorise, -fno-trapping-math lets GCC turn selects of computed values into
// vector blends (neither changes a result); no -ffast-math (the kernel must match the reference within f32
// rounding, and NaN/inf selects must stay IEEE).
const base = ['-O3', '-fPIC', '-shared', '-fno-math-errno', '-fno-trapping-math', '-std=gnu11', '-Wall', '-Wno-psabi', `-I${include}`, ...sources, '-o', `${out}.tmp`, '-lm'];
// Tuned for the CPU it is built on (the booth builds on itself: AVX-512 or AVX2 lanes); generic if refused.
const attempts = [['-march=native', ...base], base];
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
if (!built) fail(`${cc} could not build the render kernel`);
renameSync(`${out}.tmp`, out);
process.stdout.write(`native/render: built ${out}\n`);
