#!/usr/bin/env node
// Runs the compiled CLI from dist/ (`npm run build`). When dist/ is missing or older than
// the sources, runs the TypeScript sources through tsx instead: what runs is always the
// code in the tree, never a stale build, and `siphon` works straight after a checkout.
// The worker then says so once, since it runs slower that way.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildState, distDir } from './compiled-build.js';

const args = process.argv.slice(2);
const state = buildState();
let main;
if (state === 'fresh') {
  process.setSourceMapsEnabled(true); // stack traces name the .ts lines
  main = await import(pathToFileURL(join(distDir, 'runtime/cli/main.js')).href);
} else {
  if (args[0] === 'worker' || args[0] === 'registry') {
    const why = state === 'missing' ? 'dist/ is missing' : 'dist/ is older than the sources';
    console.error(`siphon: ${why}; running the TypeScript sources through tsx (npm run build compiles them)`);
  }
  const { register } = await import('tsx/esm/api');
  register();
  main = await import('../runtime/cli/main.ts');
}
await main.run(args);
