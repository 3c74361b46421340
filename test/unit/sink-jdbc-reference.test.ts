import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { README, regeneratedReadme } from '../../connectors/sink-jdbc/reference.js';

it('the README reference is the one generated from the ConfigDef and the type mappings', async () => {
  const readme = readFileSync(README, 'utf8');
  assert.equal(
    readme,
    await regeneratedReadme(readme),
    'README is stale: run npx tsx connectors/sink-jdbc/reference.ts',
  );
});
