import { join } from 'node:path';

/** Where things live inside the data directory. */
export function dataDirLayout(dataDir: string): { dbPath: string; storeDir: string; controlSocket: string } {
  return { dbPath: join(dataDir, 'gradebooth.sqlite'), storeDir: join(dataDir, 'store'), controlSocket: join(dataDir, 'gradebooth.sock') };
}
