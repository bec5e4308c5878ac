import type Database from 'better-sqlite3';
import { m0001Initial } from './0001-initial.ts';
import { m0002Operators } from './0002-operators.ts';
import { m0003Jobs } from './0003-jobs.ts';
import { m0004TokenExpiry } from './0004-token-expiry.ts';
import { m0005OutboxDelivery } from './0005-outbox-delivery.ts';
import { m0006OperatorDisable } from './0006-operator-disable.ts';
import { m0007Datasets } from './0007-datasets.ts';
import { m0008GradeOverrides } from './0008-grade-overrides.ts';
import { m0009ModelRollout } from './0009-model-rollout.ts';

/** One schema step: `up` runs inside a transaction opened by migrate(); never await inside it. */
export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
  /**
   * The migration rebuilds a table other tables reference (SQLite's 12-step ALTER): foreign keys are
   * switched off around its transaction and `foreign_key_check` must be clean before it commits.
   */
  rebuildsTables?: boolean;
}

/** Every migration in order; versions are consecutive from 1. */
export const migrations: readonly Migration[] = [m0001Initial, m0002Operators, m0003Jobs, m0004TokenExpiry, m0005OutboxDelivery, m0006OperatorDisable, m0007Datasets, m0008GradeOverrides, m0009ModelRollout];
