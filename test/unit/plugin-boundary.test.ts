import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

/**
 * The plugin boundary is an ESLint rule (eslint.config.js): these lint made-up connector
 * files with the project's config, so dropping or loosening the rule fails here.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function importProblems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const used = x;\n`, { filePath: `${root}${path}` });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'no-restricted-imports')
    .map((message) => message.message);
}

describe('the plugin boundary', () => {
  it('lets connectors import the three runtime entry points', async () => {
    for (const entry of ['plugin', 'record', 'cdc']) {
      const problems = await importProblems(
        'connectors/source-example/reader.ts',
        `import { x } from '../../runtime/${entry}/index.js';`,
      );
      assert.deepEqual(problems, [], entry);
    }
  });

  it('refuses deep runtime imports, saying what to import instead', async () => {
    for (const deep of [
      '../../runtime/metrics/registry.js',
      '../../runtime/cdc/change-event.js',
      '../../runtime/transforms/read-change-event.js',
      '../../runtime/siphon-version.js',
      '../../../runtime/record/schema.js',
    ]) {
      const problems = await importProblems(
        'connectors/source-example/reader.ts',
        `import { x } from '${deep}';`,
      );
      assert.equal(problems.length, 1, deep);
      assert.match(
        problems[0]!,
        /only through runtime\/plugin\/index\.js, runtime\/record\/index\.js or runtime\/cdc\/index\.js/,
      );
    }
  });

  it('refuses type-only deep imports too', async () => {
    const problems = await importProblems(
      'connectors/source-example/reader.ts',
      `import type { x } from '../../runtime/worker/worker.js';`,
    );
    assert.equal(problems.length, 1);
  });

  it('refuses Kafka and prom-client clients in connectors', async () => {
    const kafka = await importProblems(
      'connectors/source-example/history.ts',
      `import { x } from 'kafkajs';`,
    );
    assert.match(kafka[0] ?? '', /context\.durableLog\(topic\)/);
    const prom = await importProblems(
      'connectors/sink-example/metrics.ts',
      `import { x } from 'prom-client';`,
    );
    assert.match(prom[0] ?? '', /context\.metrics/);
  });

  it('leaves the runtime itself alone', async () => {
    const problems = await importProblems('runtime/worker/example.ts', `import { x } from 'prom-client';`);
    assert.deepEqual(problems, []);
  });
});
