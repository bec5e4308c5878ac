// Shared by native/*/build.mjs: build one N-API addon with the system C compiler against the running
// Node's headers. Plain `cc` rather than node-gyp: node-gyp wants to download headers, and a booth
// installing offline already has them next to its node binary (Debian: /usr/include/node).
// With `--optional` (the package's postinstall) a failure never fails the install: the addon's
// TypeScript/WebAssembly twin runs instead (the loaders pick an addon only when it loads).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Compile `sources` (in `dir`) into dir/build/<output>, trying each flag set of `attempts(base)` in order
 * (`base` holds the common flags, the sources and the output) until one compiles.
 * `label` prefixes messages; `fallback` says what runs without the addon.
 */
export function buildAddon({ dir, output, label, fallback, sources, attempts }) {
  const optional = process.argv.includes('--optional');
  const fail = (msg) => {
    process.stderr.write(`${label}: ${msg}${optional ? ` — ${fallback}` : ''}\n`);
    process.exit(optional ? 0 : 1);
  };
  const out = join(dir, 'build', output);
  const candidates = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
  const include = candidates.find((d) => existsSync(join(d, 'node_api.h')));
  if (!include) fail('node_api.h not found (install the Node headers, e.g. the nodejs-dev / libnode-dev package)');
  mkdirSync(join(dir, 'build'), { recursive: true });
  const cc = process.env.CC ?? 'cc';
  // -fno-math-errno lets sqrt vectorise (no result changes).
  const base = ['-O3', '-fPIC', '-shared', '-fno-math-errno', '-std=gnu11', '-Wall', '-Wno-psabi', `-I${include}`, ...sources.map((f) => join(dir, f)), '-o', `${out}.tmp`, '-lm'];
  for (const args of attempts(base)) {
    try {
      execFileSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
      renameSync(`${out}.tmp`, out);
      process.stdout.write(`${label}: built ${out}\n`);
      return;
    } catch {
      // next attempt (the compiler printed why)
    }
  }
  fail(`${cc} could not build ${output}`);
}
