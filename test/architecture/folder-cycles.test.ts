import t from 'tap';
import { fileURLToPath } from 'node:url';
import { folderCycles, readImportEdges } from './import-graph.ts';

// Folders of src/ form layers (core, geometry, imaging at the bottom; hardware and sim; capture, booth,
// calibration, scan; api, daemon, cli on top). A cycle between two folders means neither can be read,
// tested or replaced without the other: this test names the imports that close any such cycle.

const srcDir = fileURLToPath(new URL('../../src', import.meta.url));

t.test('the import graph reader sees static, re-export and dynamic imports, and the cycle finder finds a cycle', async (t) => {
  const dir = t.testdir({
    a: { 'x.ts': "import { y } from '../b/y.ts';\nexport const x = y;\n" },
    b: { 'y.ts': "export const y = 1;\nexport async function later() { return import('../c/z.ts'); }\n" },
    c: { 'z.ts': "export { x } from '../a/x.ts';\n// import { nothing } from '../d/w.ts';\n" },
    d: { 'w.ts': "import type { x } from '../a/x.ts';\nexport type W = typeof x;\n" },
  });
  const edges = readImportEdges(dir);
  t.same(
    edges.map((e) => `${e.from} → ${e.to}`).sort(),
    ['a/x.ts → b/y.ts', 'b/y.ts → c/z.ts', 'c/z.ts → a/x.ts', 'd/w.ts → a/x.ts'],
    'imports in comments are not edges',
  );
  const cycles = folderCycles(edges, '');
  t.same(cycles.map((c) => c.folders), [['a', 'b', 'c']], 'd only depends on the cycle, it is not part of it');
});

const edges = readImportEdges(srcDir);

t.test('src/ has import edges to check', async (t) => {
  t.ok(edges.length > 100, `read ${edges.length} relative imports`);
});

for (const [prefix, label] of [['', 'top-level folders of src/'], ['hardware', 'folders of src/hardware/'], ['sim', 'folders of src/sim/']] as const) {
  t.test(`no import cycle between ${label}`, async (t) => {
    const cycles = folderCycles(edges, prefix);
    const report = cycles.map((c) => `${c.folders.join(' ↔ ')}:\n    ${c.examples.join('\n    ')}`).join('\n');
    t.same(cycles.map((c) => c.folders), [], report === '' ? 'no cycles' : `folder cycles:\n${report}`);
  });
}
