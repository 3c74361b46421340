#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's ESM loader (no build step).
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../runtime/cli/main.ts');
await run(process.argv.slice(2));
