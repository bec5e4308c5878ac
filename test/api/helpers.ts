import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from '../../src/api/app.ts';
import { EventBus } from '../../src/core/events.ts';
import { openDatabase, type Db } from '../../src/storage/database.ts';
import { TokenRepository } from '../../src/storage/tokens.ts';
import { AuditLog } from '../../src/storage/audit-log.ts';
import { OperatorRepository, SessionRepository } from '../../src/storage/operators.ts';
import type { BoothStatus } from '../../src/api/status.ts';
import type { ApiServices } from '../../src/api/services.ts';
import { FileStore } from '../../src/storage/file-store.ts';
import { createRepositories, type Repositories } from '../../src/booth-jobs.ts';

export interface TestApi {
  app: FastifyInstance;
  db: Db;
  bus: EventBus;
  operator: string;
  technician: string;
  repos: Repositories;
  close(): Promise<void>;
}

/** The real API over a real SQLite file in `dir`, with one operator and one technician token. */
export async function buildTestApi(dir: string, status?: () => Promise<BoothStatus>, options: Partial<AppOptions> = {}, services: Partial<ApiServices> = {}): Promise<TestApi> {
  const db = openDatabase(join(dir, 'gb.sqlite'));
  const bus = new EventBus();
  const tokens = new TokenRepository(db);
  const store = new FileStore(join(dir, 'store'));
  await store.init();
  const repos = createRepositories(db, store);
  const app = await buildApp(
    {
      bus,
      tokens,
      audit: new AuditLog(db),
      operators: new OperatorRepository(db),
      sessions: new SessionRepository(db, { idleMs: 300_000, maxMs: 12 * 3_600_000 }),
      status: status ?? (async () => { throw new Error('no status in this test'); }),
      accepting: () => true,
      repos,
      store,
      jobs: undefined,
      ...services,
    },
    { bodyLimitBytes: 4096, logger: false, ...options },
  );
  await app.ready();
  return {
    app,
    db,
    bus,
    repos,
    operator: tokens.create('operator', 'op').token,
    technician: tokens.create('technician', 'tech').token,
    async close() {
      await app.close();
      db.close();
    },
  };
}
