import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plugin as jdbcSink } from '../../connectors/sink-jdbc/index.js';
import { readSinkConfig } from '../../connectors/sink-jdbc/config.js';
import { plugin as mysqlSource } from '../../connectors/source-mysql/index.js';
import { readMySqlConfig } from '../../connectors/source-mysql/config.js';
import { plugin as postgresSource } from '../../connectors/source-postgres/index.js';
import { readPostgresOptions } from '../../connectors/source-postgres/config.js';
import { parseConfig } from '../../runtime/config/config-parser.js';
import type { ConnectorPlugin, ParsedConfig } from '../../runtime/plugin/index.js';
import { sourceQueueConfig, verificationConfig } from '../../runtime/plugin/index.js';
import { buildTransformChain, PREDICATES, TRANSFORMS } from '../../runtime/transforms/index.js';
import {
  commonConnectorConfig,
  connectorConfigDef,
  sinkRuntimeConfig,
} from '../../runtime/worker/connector-config.js';
import { errorPolicy } from '../../runtime/worker/error-policy.js';

/**
 * Every key a reader touches must be defined for the plugin: otherwise it would be read
 * unvalidated and undocumented. The keys read are recorded as the readers run, not listed.
 */
function keysRead<T extends object>(target: T, read: (proxy: T) => unknown): Set<string> {
  const keys = new Set<string>();
  const proxy = new Proxy(target, {
    get(object, key, receiver) {
      if (typeof key === 'string') keys.add(key);
      return Reflect.get(object, key, receiver);
    },
  });
  read(proxy);
  return keys;
}

function definedNames(plugin: ConnectorPlugin): Set<string> {
  return new Set(connectorConfigDef(plugin).flatMap((key) => [key.name, ...(key.aliases ?? [])]));
}

function validConfig(plugin: ConnectorPlugin, raw: Record<string, string>): ParsedConfig {
  const config = { name: 'c', 'connector.class': plugin.className, ...raw };
  const { values, errors } = parseConfig(connectorConfigDef(plugin), config);
  assert.deepEqual([...errors.keys()], []);
  return values;
}

const postgres = validConfig(postgresSource, {
  'database.hostname': 'db',
  'database.user': 'u',
  'database.dbname': 'inventory',
  'topic.prefix': 'pg',
});
const mysql = validConfig(mysqlSource, {
  'database.hostname': 'db',
  'database.user': 'u',
  'database.server.id': '5400',
  'topic.prefix': 'my',
  'schema.history.internal.kafka.topic': 'my.history',
});
const sink = validConfig(jdbcSink, { 'connection.url': 'jdbc:postgresql://db:5432/target', topics: 't' });

const runtimeReaders = (config: ParsedConfig) => {
  errorPolicy(config);
  commonConnectorConfig.read(config);
};

const cases: [ConnectorPlugin, ParsedConfig, (config: ParsedConfig) => unknown][] = [
  [
    postgresSource,
    postgres,
    (config) => {
      readPostgresOptions(config);
      sourceQueueConfig.read(config);
      runtimeReaders(config);
    },
  ],
  [
    mysqlSource,
    mysql,
    (config) => {
      readMySqlConfig(config);
      sourceQueueConfig.read(config);
      runtimeReaders(config);
    },
  ],
  [
    jdbcSink,
    sink,
    (config) => {
      readSinkConfig(config);
      sinkRuntimeConfig.read(config);
      verificationConfig.read(config);
      runtimeReaders(config);
    },
  ],
];

describe('every config key a reader uses is defined', () => {
  for (const [plugin, config, readers] of cases) {
    it(`${plugin.name}: its readers and the runtime's`, () => {
      const defined = definedNames(plugin);
      const read = keysRead(config, readers);
      assert.ok(read.size > 10);
      assert.deepEqual(
        [...read].filter((key) => !defined.has(key)),
        [],
      );
    });
  }

  it('transforms and predicates: each reads only the keys of its own definition', () => {
    const settingsOf: Record<string, Record<string, string>> = {
      'org.apache.kafka.connect.transforms.RegexRouter': { regex: '(.*)', replacement: '$1' },
      'org.apache.kafka.connect.transforms.Cast$Value': { spec: 'string' },
      'org.apache.kafka.connect.transforms.Cast$Key': { spec: 'string' },
    };
    for (const [className, kind] of Object.entries(TRANSFORMS)) {
      const raw: Record<string, string> = {
        transforms: 't',
        predicates: 'p',
        'transforms.t.type': className,
        'transforms.t.predicate': 'p',
        'predicates.p.type': 'org.apache.kafka.connect.transforms.predicates.RecordIsTombstone',
      };
      for (const [key, value] of Object.entries(settingsOf[className] ?? {}))
        raw[`transforms.t.${key}`] = value;
      const read = keysRead(raw, (config) => buildTransformChain(config));
      const defined = new Set(kind.configDef.flatMap((key) => [key.name, ...(key.aliases ?? [])]));
      const own = [...read].filter((key) => key.startsWith('transforms.t.')).map((key) => key.slice(13));
      assert.ok(own.includes('type'), className);
      assert.deepEqual(
        own.filter((key) => !defined.has(key)),
        [],
        className,
      );
    }
    for (const [className, kind] of Object.entries(PREDICATES)) {
      const raw = {
        predicates: 'p',
        'predicates.p.type': className,
        'predicates.p.pattern': 'x',
        'predicates.p.name': 'h',
      };
      const read = keysRead(raw, (config) => buildTransformChain(config));
      const defined = new Set(kind.configDef.map((key) => key.name));
      const own = [...read].filter((key) => key.startsWith('predicates.p.')).map((key) => key.slice(13));
      assert.ok(own.includes('type'), className);
      assert.deepEqual(
        own.filter((key) => !defined.has(key)),
        [],
        className,
      );
    }
  });
});
