// Workers must load TypeScript. Node 20 does not apply `--import` loader hooks to a worker's entry
// module, and `bin/gradebooth.js` registers tsx at runtime (not inherited), so each worker starts from a
// tiny JavaScript bootstrap that registers tsx itself and then imports the TypeScript entry (also used by the
// scene-build helper, scenes/build-helper.ts).
/** Worker source (eval: true) that registers tsx, then imports the TypeScript entry. */
export function workerBootstrap(entry: URL): string {
  const api = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`
    + `.catch((e) => { require('node:worker_threads').parentPort.postMessage({ id: 0, error: String(e && e.stack || e) }); });`;
}
