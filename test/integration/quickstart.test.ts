// The README's first command, end to end: the demo runs its pipeline for a while, then
// checks row by row that both replicas equal the source (exit code 0 only then).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { freePort } from '../support/free-port.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

test(
  'the quick-start demo replicates live changes into PostgreSQL and MariaDB',
  { timeout: 240_000 },
  async () => {
    const args = [
      '--import',
      'tsx',
      'deploy/quickstart/demo.ts',
      '--duration',
      '15',
      '--suffix',
      `t${randomBytes(3).toString('hex')}`,
      '--rest-port',
      String(await freePort()),
      '--registry-port',
      String(await freePort()),
      '--cleanup',
    ];
    const demo = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolveExit) => demo.once('exit', resolveExit));
    assert.equal(code, 0, output);
    assert.match(output, /both replicas equal the source: (\d+) orders/);
    assert.match(output, /Console +http:\/\/127\.0\.0\.1:\d+\/ui/, 'the console URL is printed');
    assert.match(
      output,
      /\[live\] writes +\d+\/s \| source +\d+ ev\/s \| postgres replica +\d+ rows\/s, lag +\d+\.\d+s/,
    );
  },
);
