#!/usr/bin/env node
// The `switchyard` command of a checkout (`npx switchyard …`, package.json "bin"): runs the TypeScript CLI through
// tsx, so it always matches the source (a dist/ build can be older than the checkout).
import { register } from 'tsx/esm/api';

register();
const { main, processIo } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2), processIo());
