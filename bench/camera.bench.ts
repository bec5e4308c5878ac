// GenICam camera throughput from Aravis' fake GigE camera at its largest size: frames per second, CPU of
// this process (JavaScript + the addon + Aravis' stream thread) per frame, and the copies per frame. The
// measurement (camera-measure.ts) runs in its own network namespace, as the camera tests do.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BenchResult, BenchSuite } from './bench.ts';

const measure = fileURLToPath(new URL('./camera-measure.ts', import.meta.url));

export const cameraBench: BenchSuite = {
  name: 'camera',
  async *run({ quick }): AsyncIterable<BenchResult> {
    const node = [process.execPath, '--import', 'tsx', measure, ...(quick ? ['--quick'] : [])];
    const ownNetns = spawnSync('unshare', ['-rn', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' }).status === 0;
    const child = ownNetns ? spawn('unshare', ['-rn', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...node], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(node[0], node.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.startsWith('{')) yield JSON.parse(line) as BenchResult;
    }
    const code = await exited;
    if (code !== 0) throw new Error(`camera bench measurement exited with ${code}`);
  },
};
