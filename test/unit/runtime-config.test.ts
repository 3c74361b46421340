import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configReference } from '../../runtime/plugin/index.js';
import { parseConfig } from '../../runtime/config/config-parser.js';
import {
  ConfigProviderError,
  resolveConfigProviders,
  unrestrictedProviders,
} from '../../runtime/config/config-providers.js';
import { parseProperties } from '../../runtime/config/properties-file.js';
import {
  environmentName,
  loadWorkerConfig,
  WorkerConfigError,
  workerConfigDef,
} from '../../runtime/config/worker-config.js';
import type { ConfigDef } from '../../runtime/plugin/index.js';

const def: ConfigDef = [
  { name: 'host', type: 'string', importance: 'high', group: 'g', documentation: 'd' },
  { name: 'port', type: 'int', default: 5432, importance: 'high', group: 'g', documentation: 'd' },
  { name: 'ratio', type: 'double', default: 0.5, importance: 'low', group: 'g', documentation: 'd' },
  { name: 'ssl', type: 'boolean', default: false, importance: 'low', group: 'g', documentation: 'd' },
  { name: 'tables', type: 'list', default: [], importance: 'low', group: 'g', documentation: 'd' },
  {
    name: 'mode',
    type: 'string',
    default: 'initial',
    allowed: ['initial', 'never'],
    importance: 'low',
    group: 'g',
    documentation: 'd',
    aliases: ['snapshot.mode.old'],
  },
  {
    name: 'even',
    type: 'int',
    default: null,
    importance: 'low',
    group: 'g',
    documentation: 'd',
    validator: (v) => (Number(v) % 2 === 0 ? undefined : `even must be even, got ${String(v)}`),
  },
];

describe('parseConfig', () => {
  it('types values, applies defaults, aliases and allowed spellings', () => {
    const { values, errors } = parseConfig(def, {
      host: 'db',
      ratio: '0.25',
      ssl: 'TRUE',
      tables: 'a, b ,c',
      'snapshot.mode.old': 'NEVER',
      even: '4',
    });
    assert.equal(errors.size, 0);
    assert.deepEqual(values, {
      host: 'db',
      port: 5432,
      ratio: 0.25,
      ssl: true,
      tables: ['a', 'b', 'c'],
      mode: 'never',
      even: 4,
    });
  });

  it('reports every failing key at once, naming key and value', () => {
    const { errors } = parseConfig(def, {
      port: '54x',
      ssl: 'yes',
      mode: 'sometimes',
      even: '3',
      ratio: 'NaN',
    });
    assert.deepEqual([...errors.keys()].sort(), ['even', 'host', 'mode', 'port', 'ratio', 'ssl']);
    assert.match(errors.get('host')![0]!, /Missing required configuration "host"/);
    assert.match(errors.get('port')![0]!, /"54x".*integer/);
    assert.match(errors.get('mode')![0]!, /sometimes.*initial, never/);
    assert.match(errors.get('even')![0]!, /even must be even, got 3/);
  });

  it('rejects ints out of range', () => {
    const { errors } = parseConfig(def, { host: 'x', port: '3000000000' });
    assert.match(errors.get('port')![0]!, /out of range/);
  });
});

describe('parseProperties', () => {
  it('reads Java properties: separators, comments, continuations, escapes', () => {
    const parsed = parseProperties(
      [
        '# comment',
        '! other',
        'a=1',
        'b : two words ',
        'c\\:d=e',
        'long=x\\',
        '   y',
        'tab=\\tz',
        'u=\\u0041',
        'empty',
      ].join('\n'),
    );
    assert.deepEqual(parsed, {
      a: '1',
      b: 'two words ',
      'c:d': 'e',
      long: 'xy',
      tab: '\tz',
      u: 'A',
      empty: '',
    });
  });
});

describe('config providers', () => {
  it('resolves ${env:VAR} and ${file:path:key} and returns what it resolved as secrets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siphon-providers-'));
    try {
      const file = join(dir, 'secrets.properties');
      writeFileSync(file, 'db.password=s3cret-file\n');
      process.env.SIPHON_UNIT_SECRET = 's3cret-env';
      const { config, secrets } = resolveConfigProviders({
        a: '${env:SIPHON_UNIT_SECRET}',
        b: `jdbc:x?password=\${file:${file}:db.password}`,
        c: 'plain',
      });
      assert.deepEqual(config, { a: 's3cret-env', b: 'jdbc:x?password=s3cret-file', c: 'plain' });
      assert.deepEqual(secrets, ['s3cret-env', 's3cret-file']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      delete process.env.SIPHON_UNIT_SECRET;
    }
  });

  it('names the config key and the fix when a reference cannot be resolved', () => {
    assert.throws(
      () => resolveConfigProviders({ 'database.password': '${env:SIPHON_SURELY_UNSET}' }),
      (e: Error) =>
        e instanceof ConfigProviderError && /database\.password.*SIPHON_SURELY_UNSET/.test(e.message),
    );
    assert.throws(
      () => resolveConfigProviders({ k: '${file:/nonexistent/x.properties:a}' }),
      /k: cannot read/,
    );
    assert.throws(
      () =>
        resolveConfigProviders({ k: '${vault:a:b}' }, { ...unrestrictedProviders, enabled: ['env', 'file'] }),
      /"vault" is not enabled/,
    );
  });
});

describe('worker config', () => {
  it('reads properties and YAML files, then SIPHON_* environment overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siphon-worker-config-'));
    try {
      const props = join(dir, 'worker.properties');
      writeFileSync(props, 'bootstrap.servers=k1:9092,k2:9092\nrest.port=9000\ngroup.id=from-file\n');
      const config = loadWorkerConfig({ file: props, env: { SIPHON_GROUP_ID: 'from-env' } });
      assert.deepEqual(config.list('bootstrap.servers'), ['k1:9092', 'k2:9092']);
      assert.equal(config.number('rest.port'), 9000);
      assert.equal(config.string('group.id'), 'from-env');
      assert.equal(config.string('offset.storage.topic'), 'siphon-offsets');

      const yaml = join(dir, 'worker.yaml');
      writeFileSync(yaml, 'rest:\n  port: 9100\nplugin:\n  path: [a, b]\n');
      const fromYaml = loadWorkerConfig({ file: yaml, env: {} });
      assert.equal(fromYaml.number('rest.port'), 9100);
      assert.deepEqual(fromYaml.list('plugin.path'), ['a', 'b']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('derives every environment name from the definition', () => {
    assert.equal(environmentName('bootstrap.servers'), 'SIPHON_BOOTSTRAP_SERVERS');
    assert.equal(
      environmentName('task.shutdown.graceful.timeout.ms'),
      'SIPHON_TASK_SHUTDOWN_GRACEFUL_TIMEOUT_MS',
    );
    const names = workerConfigDef.map((k) => environmentName(k.name));
    assert.equal(new Set(names).size, names.length, 'two keys map to one environment variable');
  });

  it('accepts only known converters', () => {
    assert.throws(
      () => loadWorkerConfig({ env: { SIPHON_VALUE_CONVERTER: 'xml' } }),
      /value\.converter: .*xml.*avro/,
    );
    assert.equal(
      loadWorkerConfig({
        env: { SIPHON_VALUE_CONVERTER: 'org.apache.kafka.connect.json.JsonConverter' },
      }).string('value.converter'),
      'org.apache.kafka.connect.json.JsonConverter',
    );
  });

  it('fails with every bad key and how to fix it', () => {
    assert.throws(
      () => loadWorkerConfig({ env: { SIPHON_REST_PORT: 'eighty', SIPHON_SECURITY_PROTOCOL: 'TLS' } }),
      (e: Error) =>
        e instanceof WorkerConfigError &&
        /rest\.port/.test(e.message) &&
        /security\.protocol.*PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL/.test(e.message) &&
        /SIPHON_REST_PORT/.test(e.message),
    );
  });
});

describe('config reference', () => {
  it('renders every key of a definition, grouped, with defaults and allowed values', () => {
    const markdown = configReference('Example', def);
    assert.match(markdown, /^## Example/);
    assert.match(markdown, /\| `host` \| string \| \*required\* \| high \|/);
    assert.match(markdown, /\| `port` \| int \| `5432` \|/);
    assert.match(markdown, /One of: `initial`, `never`\. Also accepted as `snapshot\.mode\.old`\./);
    assert.equal(markdown.split('\n').filter((l) => l.startsWith('| `')).length, def.length);
  });

  it('covers the whole worker definition', () => {
    const markdown = configReference('Worker', workerConfigDef);
    for (const key of workerConfigDef) assert.ok(markdown.includes(`\`${key.name}\``), key.name);
  });
});
