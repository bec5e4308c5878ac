#!/usr/bin/env node
// Builds native/vision/build/gradebooth_vision.node (see native/build-addon.mjs); `--optional` at
// postinstall: without a compiler the TypeScript kernels run instead (src/vision/native.ts).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAddon } from '../build-addon.mjs';

// FFTW (Debian libfftw3-dev: fftw3f) adds the DCT Poisson solver (dct.c); without it the addon still
// builds and integration uses multigrid PCG alone. Only tried where the header is (a machine without
// FFTW would otherwise print four failed compiles).
const hasFftw = ['/usr/include', '/usr/local/include', '/opt/homebrew/include'].some((d) => existsSync(join(d, 'fftw3.h')));
buildAddon({
  dir: dirname(fileURLToPath(import.meta.url)),
  output: 'gradebooth_vision.node',
  label: 'native/vision',
  fallback: 'using the TypeScript kernels instead',
  sources: ['addon.c', 'ps.c', 'poisson.c', 'warp.c', 'integrate.c', 'dct.c', 'resample.c', 'features.c', 'tiles.c', 'morph.c'],
  attempts: (base) => {
    // Tuned for the CPU it is built on (the booth builds on itself); retry generic if the flag is refused.
    // OpenMP parallelises the Poisson solver's sweeps over rows; without it the same code runs serially.
    const plain = [['-march=native', '-fopenmp', ...base], ['-fopenmp', ...base], ['-march=native', ...base], base];
    const fftw = ['-DHAVE_FFTW', '-lfftw3f', '-lpthread'];
    return [...(hasFftw ? plain.map((a) => [...a, ...fftw]) : []), ...plain];
  },
});
