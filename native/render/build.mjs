#!/usr/bin/env node
// Builds native/render/build/gradebooth_render.node, the simulator's shading and exposure kernels (see
// native/build-addon.mjs); `--optional` at postinstall: without a compiler the SIMD WebAssembly kernels
// run instead (src/sim/render/native.ts picks the addon when it loads).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAddon } from '../build-addon.mjs';

buildAddon({
  dir: dirname(fileURLToPath(import.meta.url)),
  output: 'gradebooth_render.node',
  label: 'native/render',
  fallback: 'using the WebAssembly kernel instead',
  sources: ['addon.c', 'shade.c', 'sensor.c'],
  // -fno-trapping-math lets GCC turn selects of computed values into vector blends (no result changes); no
  // -ffast-math: the kernel must match the reference within f32 rounding, and NaN/inf selects stay IEEE.
  // Tuned for the CPU it is built on (the booth builds on itself: AVX-512 or AVX2 lanes); generic if refused.
  attempts: (base) => [['-march=native', '-fno-trapping-math', ...base], ['-fno-trapping-math', ...base]],
});
