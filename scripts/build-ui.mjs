// Builds the touchscreen UI (src/ui/) into ui-dist/: one bundled, minified script with preact inside,
// the stylesheet and the page. Run at install (postinstall) and before the tests, so every asset the
// daemon serves is shipped with it and nothing is fetched from the network at run time.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}ui-dist`;
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [`${root}src/ui/main.tsx`],
  outfile: `${out}/app.js`,
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'esm',
  target: ['chrome100'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(`${root}src/ui/index.html`, `${out}/index.html`);
copyFileSync(`${root}src/ui/styles.css`, `${out}/styles.css`);
console.log('ui: built ui-dist/');
