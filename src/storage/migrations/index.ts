import type Database from 'better-sqlite3';
import { m0001Initial } from './0001-initial.ts';
import { m0002Operators } from './0002-operators.ts';

/** One schema step: `up` runs inside a transaction opened by migrate(); never await inside it. */
export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

/** Every migration in order; versions are consecutive from 1. */
export const migrations: readonly Migration[] = [m0001Initial, m0002Operators];
