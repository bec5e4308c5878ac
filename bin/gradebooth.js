#!/usr/bin/env node
// The `gradebooth` command. The daemon is TypeScript run through tsx's loader, so a checkout runs
// exactly its sources (no stale build); `npm test` type-checks them with tsc first.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
