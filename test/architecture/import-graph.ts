// Reads the relative import graph of src/ so architecture tests can reason about folder dependencies.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** One import of a module by another, both as paths relative to the source root. */
export interface ImportEdge {
  from: string;
  to: string;
}

// Static `import … from '…'`, `export … from '…'`, side-effect `import '…'` and dynamic `import('…')`.
const importPatterns = [
  /\bimport\s+(?:type\s+)?[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g,
  /\bexport\s+(?:type\s+)?[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

function listSourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...listSourceFiles(path));
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

// Comments may mention imports in prose; drop them before matching.
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Every relative import inside rootDir, as root-relative POSIX paths (`a/b.ts` → `c/d.ts`). */
export function readImportEdges(rootDir: string): ImportEdge[] {
  const root = resolve(rootDir);
  const edges: ImportEdge[] = [];
  for (const file of listSourceFiles(root)) {
    const source = stripComments(readFileSync(file, 'utf8'));
    const specifiers = new Set<string>();
    for (const pattern of importPatterns) {
      for (const match of source.matchAll(pattern)) specifiers.add(match[1]!);
    }
    for (const specifier of specifiers) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
      const to = relative(root, target).split(sep).join('/');
      if (to.startsWith('..')) continue;
      edges.push({ from: relative(root, file).split(sep).join('/'), to });
    }
  }
  return edges;
}

/** The folder a module belongs to at the given depth below prefix, or undefined outside prefix. */
export function folderOf(path: string, prefix: string): string | undefined {
  if (prefix !== '' && !path.startsWith(prefix + '/')) return undefined;
  const rest = prefix === '' ? path : path.slice(prefix.length + 1);
  const slash = rest.indexOf('/');
  return slash < 0 ? undefined : rest.slice(0, slash);
}

/** Cycles of the folder graph (strongly connected components with more than one folder). */
export function folderCycles(edges: ImportEdge[], prefix: string): { folders: string[]; examples: string[] }[] {
  const graph = new Map<string, Map<string, string>>();
  for (const { from, to } of edges) {
    const a = folderOf(from, prefix);
    const b = folderOf(to, prefix);
    if (a === undefined || b === undefined || a === b) continue;
    if (!graph.has(a)) graph.set(a, new Map());
    if (!graph.has(b)) graph.set(b, new Map());
    if (!graph.get(a)!.has(b)) graph.get(a)!.set(b, `${from} → ${to}`);
  }
  // Tarjan's strongly connected components.
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string): void => {
    indexOf.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)!.keys()) {
      if (!indexOf.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indexOf.get(next)!));
      }
    }
    if (low.get(node) === indexOf.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!indexOf.has(node)) visit(node);
  return components.map((folders) => ({
    folders,
    examples: folders.flatMap((a) =>
      folders.filter((b) => graph.get(a)!.has(b)).map((b) => graph.get(a)!.get(b)!),
    ),
  }));
}
