import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { CONFIGURATION_DOC, README, configurationDoc, readmeWithMetrics } from '../../docs/reference.js';

it('docs/configuration.md is the reference generated from the config definitions', async () => {
  assert.ok(
    readFileSync(CONFIGURATION_DOC, 'utf8') === (await configurationDoc()),
    'docs/configuration.md is stale: run npm run docs',
  );
});

it("the README's metrics table lists every metric the code defines", async () => {
  const readme = readFileSync(README, 'utf8');
  assert.ok(readme === (await readmeWithMetrics(readme)), 'README metrics table is stale: run npm run docs');
});
