import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { atLeast, ConfigError, defineConfig } from '../../runtime/plugin/index.js';

const example = defineConfig({
  host: { type: 'string', importance: 'high', group: 'g', documentation: 'Server host.' },
  port: {
    type: 'int',
    default: 5432,
    importance: 'high',
    group: 'g',
    documentation: 'Port.',
    validator: atLeast(1),
  },
  ssl: { type: 'boolean', default: false, importance: 'low', group: 'g', documentation: 'TLS.' },
  tables: { type: 'list', default: [], importance: 'low', group: 'g', documentation: 'Tables.' },
  ops: {
    type: 'list',
    default: ['c', 'u'],
    allowed: ['c', 'u', 'd'],
    importance: 'low',
    group: 'g',
    documentation: 'Operations.',
  },
  mode: {
    type: 'string',
    default: 'initial',
    allowed: ['initial', 'never'],
    aliases: ['snapshot.mode.old'],
    importance: 'low',
    group: 'g',
    documentation: 'Snapshot mode.',
  },
  slot: { type: 'string', default: null, importance: 'low', group: 'g', documentation: 'Slot.' },
  size: {
    type: 'long',
    default: null,
    importance: 'low',
    group: 'g',
    documentation: 'Size.',
    validator: atLeast(0),
  },
});

/** Compile-time checks: each line fails `tsc` if the parse result's types drift. */
type Expect<T extends true> = T;
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Options = ReturnType<typeof example.parse>;
export type TypeChecks = [
  Expect<Equal<Options['host'], string>>,
  Expect<Equal<Options['port'], number>>,
  Expect<Equal<Options['ssl'], boolean>>,
  Expect<Equal<Options['tables'], readonly string[]>>,
  Expect<Equal<Options['ops'], readonly ('c' | 'u' | 'd')[]>>,
  Expect<Equal<Options['mode'], 'initial' | 'never'>>,
  Expect<Equal<Options['slot'], string | null>>,
  Expect<Equal<Options['size'], number | null>>,
];

describe('defineConfig', () => {
  it('parses to typed options with the defaults applied once', () => {
    const options = example.parse({ host: 'db', 'snapshot.mode.old': 'NEVER', ops: 'D' }, 'Example');
    // Used without casts: the types come from the definitions.
    const port: number = options.port + 1;
    const mode: 'initial' | 'never' = options.mode;
    const firstTable: string | undefined = options.tables[0];
    assert.equal(port, 5433);
    assert.equal(mode, 'never');
    assert.equal(firstTable, undefined);
    assert.equal(options.ssl, false);
    assert.deepEqual(options.ops, ['d']);
    assert.equal(options.slot, null);
    assert.equal(options.size, null);
  });

  it('reports every bad key at once, naming key, value and fix', () => {
    assert.throws(
      () => example.parse({ port: '0', mode: 'sometimes', size: '-1', ssl: 'yes' }, 'Example'),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.key, 'host');
        assert.match(error.message, /^Example configuration is invalid/);
        assert.match(error.message, /host: Missing required configuration "host"/);
        assert.match(error.message, /port: must be at least 1, got 0/);
        assert.match(error.message, /mode: Invalid value "sometimes".*must be one of initial, never/);
        assert.match(error.message, /size: must be at least 0, got -1/);
        assert.match(error.message, /ssl: Invalid value "yes".*true or false/);
        return true;
      },
    );
  });

  it('reads a parsed config, giving left-out keys their default and blank optional text as null', () => {
    const options = example.read({ host: 'db', slot: '', mode: 'NEVER' });
    assert.equal(options.port, 5432);
    assert.equal(options.slot, null);
    assert.equal(options.mode, 'never');
    assert.deepEqual(options.ops, ['c', 'u']);
  });

  it('refuses a parsed config whose value does not fit its key', () => {
    assert.throws(
      () => example.read({ port: 5432 }),
      (error: unknown) =>
        error instanceof ConfigError && error.key === 'host' && /host: missing/.test(error.message),
    );
    assert.throws(
      () => example.read({ host: 'db', port: '5432' }),
      (error: unknown) =>
        error instanceof ConfigError && error.key === 'port' && /expected a int/.test(error.message),
    );
  });

  it('derives the ConfigDef the validate endpoint and the reference use', () => {
    assert.deepEqual(
      example.def.map((key) => [key.name, key.type, key.default]),
      [
        ['host', 'string', undefined],
        ['port', 'int', 5432],
        ['ssl', 'boolean', false],
        ['tables', 'list', []],
        ['ops', 'list', ['c', 'u']],
        ['mode', 'string', 'initial'],
        ['slot', 'string', null],
        ['size', 'long', null],
      ],
    );
    assert.deepEqual(example.def.find((key) => key.name === 'mode')?.aliases, ['snapshot.mode.old']);
  });
});
