#!/usr/bin/env node
// The compiled worker in dist/: `node bin/compiled-build.js build` (npm run build) compiles
// runtime/ and connectors/ with tsc and copies the console's assets; `build-if-stale` does
// so only when dist/ is missing or older than the sources; imported, it tells bin/siphon.js
// whether dist/ may run.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const distDir = join(root, 'dist');
/** Written last by a successful build, dated when the build started. */
const stamp = join(distDir, '.build-stamp');
const sourceDirs = ['runtime', 'connectors'];
const buildInputs = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file changes its directory
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** 'fresh', 'missing' or 'stale' (a source, the tsconfig or the lock file changed since the build). */
export function buildState() {
  if (!existsSync(stamp)) return 'missing';
  const built = statSync(stamp).mtimeMs;
  const inputs = [...sourceDirs, ...buildInputs].map((p) => newestMtime(join(root, p)));
  return Math.max(...inputs) > built ? 'stale' : 'fresh';
}

export function build() {
  const started = new Date();
  // From scratch: a module deleted from the sources must not live on in dist/.
  rmSync(distDir, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`tsc failed (exit ${result.status ?? result.signal})`);
  // The console serves its own files from next to ui-routes.js.
  cpSync(join(root, 'runtime/ui/assets'), join(distDir, 'runtime/ui/assets'), { recursive: true });
  writeFileSync(stamp, `${started.toISOString()}\n`);
  // Dated at the start, so a source saved during the build still makes it stale.
  utimesSync(stamp, started, started);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  if (command === 'build' || (command === 'build-if-stale' && buildState() !== 'fresh')) {
    console.error('[build] compiling runtime/ and connectors/ into dist/');
    build();
  } else if (command !== 'build-if-stale') {
    console.error('usage: node bin/compiled-build.js build|build-if-stale');
    process.exitCode = 2;
  }
}
