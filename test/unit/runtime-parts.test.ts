import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { configureLogging, createLogger, maskSecrets, registerSecret } from '../../runtime/logging/logger.js';
import { RouteMethods } from '../../runtime/rest/route-methods.js';
import type { ConnectorPlugin } from '../../runtime/plugin/index.js';
import { offsetKey } from '../../runtime/stores/offset-store.js';
import type { SourceRecord } from '../../runtime/record/index.js';
import { BoundedQueue, QueueClosedError } from '../../runtime/worker/bounded-queue.js';
import { approximateRecordBytes } from '../../runtime/worker/record-size.js';
import { connectorConfigDef } from '../../runtime/worker/connector-config.js';
import { maskConfig } from '../../runtime/worker/connector-validation.js';
import { chooseConverter } from '../../runtime/worker/converter-setup.js';
import { describeError } from '../../runtime/plugin/errors.js';
import { StageError } from '../../runtime/worker/error-policy.js';
import { recordFailure } from '../../runtime/worker/record-failure.js';
import { PluginCatalog } from '../../runtime/worker/plugin-catalog.js';
import { backoffDelay, withRetries, RetriableError } from '../../runtime/plugin/index.js';
import { counterSource, fileSink } from '../fixtures/counter-plugins.js';

describe('BoundedQueue', () => {
  it('makes producers wait while full and releases them as items are taken', async () => {
    const queue = new BoundedQueue<number>(2);
    let pushed = false;
    const push = queue.push([1, 2, 3, 4]).then(() => (pushed = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(queue.size, 2);
    assert.equal(pushed, false);
    assert.deepEqual(await queue.take(10), [1, 2]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(await queue.take(1), [3]);
    assert.deepEqual(await queue.take(10), [4]);
    await push;
    assert.equal(pushed, true);
  });

  it('wakes takers on abort and rejects pushes after close', async () => {
    const queue = new BoundedQueue<number>(1);
    const abort = new AbortController();
    const taking = queue.take(5, abort.signal);
    abort.abort();
    assert.deepEqual(await taking, []);
    await queue.push([1]);
    const blocked = queue.push([2]);
    queue.close();
    await assert.rejects(blocked, QueueClosedError);
  });

  const settle = () => new Promise((r) => setImmediate(r));

  it('makes producers wait while the items would pass the byte bound', async () => {
    const queue = new BoundedQueue<number>(100, { maxBytes: 10, sizeOf: (n) => n });
    let pushed = false;
    const push = queue.push([4, 4, 4]).then(() => (pushed = true));
    await settle();
    assert.equal(queue.size, 2);
    assert.equal(queue.byteSize, 8);
    assert.equal(pushed, false);
    assert.deepEqual(await queue.take(1), [4]);
    await push;
    assert.equal(queue.byteSize, 8);
    assert.deepEqual(await queue.take(10), [4, 4]);
    assert.equal(queue.byteSize, 0);
  });

  it('lets an item larger than the byte bound pass alone, and none after it until taken', async () => {
    const queue = new BoundedQueue<number>(100, { maxBytes: 10, sizeOf: (n) => n });
    await queue.push([50]);
    let pushed = false;
    const push = queue.push([1]).then(() => (pushed = true));
    await settle();
    assert.equal(pushed, false);
    assert.deepEqual(await queue.take(10), [50]);
    await push;
    assert.deepEqual(await queue.take(10), [1]);
  });

  it('is bounded by count only with a byte bound of 0', async () => {
    const queue = new BoundedQueue<number>(3, { maxBytes: 0, sizeOf: (n) => n });
    await queue.push([1000, 1000, 1000]);
    assert.equal(queue.size, 3);
    assert.equal(queue.byteSize, 0);
  });
});

describe('approximateRecordBytes', () => {
  const record = (value: unknown): SourceRecord => ({
    topic: 't',
    keySchema: null,
    key: null,
    valueSchema: null,
    value,
    sourcePartition: {},
    sourceOffset: {},
  });

  it('grows with the strings, binary values and fields a record holds', () => {
    const small = approximateRecordBytes(record({ after: { id: 1, name: 'a' } }));
    const longText = approximateRecordBytes(record({ after: { id: 1, name: 'a'.repeat(10_000) } }));
    const binary = approximateRecordBytes(record({ after: { id: 1, name: 'a', blob: Buffer.alloc(5000) } }));
    const wider = approximateRecordBytes(
      record({ after: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`c${i}`, i])) }),
    );
    assert.ok(longText - small >= 9_999, `${longText} vs ${small}`);
    assert.ok(binary - small >= 5000, `${binary} vs ${small}`);
    assert.ok(wider - small >= 100 * 8, `${wider} vs ${small}`);
    assert.ok(approximateRecordBytes(record(null)) > 0, 'a tombstone still costs its record');
  });
});

describe('retry backoff', () => {
  it('grows exponentially up to the cap', () => {
    const policy = { maxDelayMs: 60000 };
    assert.ok(backoffDelay(0, policy) <= 300 && backoffDelay(0, policy) >= 240);
    assert.ok(backoffDelay(3, policy) <= 2400 && backoffDelay(3, policy) >= 1920);
    assert.ok(backoffDelay(20, { maxDelayMs: 1000 }) <= 1000);
  });

  it('retries only retriable errors, within the timeout', async () => {
    let calls = 0;
    const value = await withRetries(
      async () => {
        if (++calls < 3) throw new RetriableError('later');
        return 'ok';
      },
      { policy: { timeoutMs: 5000, maxDelayMs: 10 }, signal: new AbortController().signal },
    );
    assert.equal(value, 'ok');
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(
      withRetries(
        async () => {
          calls++;
          throw new RetriableError('always');
        },
        { policy: { timeoutMs: 0, maxDelayMs: 10 }, signal: new AbortController().signal },
      ),
      /always/,
    );
    assert.equal(calls, 1, 'errors.retry.timeout=0 means no retry');
    await assert.rejects(
      withRetries(async () => Promise.reject(new Error('fatal')), {
        policy: { timeoutMs: -1, maxDelayMs: 10 },
        signal: new AbortController().signal,
      }),
      /fatal/,
    );
  });
});

describe('logger', () => {
  it('masks registered secrets in messages, fields and stack traces', () => {
    const lines: string[] = [];
    configureLogging({ format: 'json', level: 'debug', write: (l) => lines.push(l) });
    registerSecret('pa55word-xyz');
    const logger = createLogger({ component: 'test' });
    logger.info('connecting with pa55word-xyz', {
      url: 'postgres://u:pa55word-xyz@h',
      error: new Error('bad pa55word-xyz'),
    });
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]!.includes('pa55word-xyz'));
    assert.equal((lines[0]!.match(/\[hidden\]/g) ?? []).length, 3);
    assert.equal(maskSecrets('x pa55word-xyz y'), 'x [hidden] y');
    configureLogging({ format: 'text', level: 'info', write: (l) => process.stderr.write(l + '\n') });
  });
});

describe('plugin catalog', () => {
  it('resolves short names, class names, aliases and simple class names', async () => {
    const postgresLike: ConnectorPlugin = {
      ...counterSource,
      name: 'postgres',
      className: 'io.siphon.connector.postgresql.PostgresConnector',
      aliases: ['io.debezium.connector.postgresql.PostgresConnector'],
    };
    const catalog = await PluginCatalog.load({
      connectorsDir: null,
      plugins: [counterSource, fileSink, postgresLike],
      logger: createLogger(),
    });
    assert.equal(catalog.resolve('io.debezium.connector.postgresql.PostgresConnector'), postgresLike);
    assert.equal(catalog.resolve('postgres'), postgresLike);
    assert.equal(catalog.resolve('PostgresConnector'), postgresLike);
    assert.equal(catalog.resolve('siphon.test.FileSinkConnector'), fileSink);
    assert.equal(catalog.resolve('com.acme.Other'), undefined);
    assert.match(catalog.describeInstalled(), /siphon\.test\.CounterSourceConnector \(counter\)/);
  });
});

describe('connector config', () => {
  it('merges the runtime keys with the plugin keys, sink keys only for sinks', () => {
    const source = connectorConfigDef(counterSource).map((k) => k.name);
    const sink = connectorConfigDef(fileSink).map((k) => k.name);
    assert.ok(source.includes('exactly.once.support') && !source.includes('topics'));
    assert.ok(sink.includes('topics') && sink.includes('errors.deadletterqueue.topic.name'));
    assert.ok(source.includes('secret') && sink.includes('output.file'));
  });

  it('hides password values but shows provider references', () => {
    const def = connectorConfigDef(counterSource);
    assert.deepEqual(maskConfig(def, { secret: 'x', topic: 't' }), { secret: '[hidden]', topic: 't' });
    assert.deepEqual(maskConfig(def, { secret: '${env:PW}' }), { secret: '${env:PW}' });
  });

  it('takes converter settings from the level that names the converter', () => {
    const worker = { 'value.converter.schemas.enable': 'true', 'value.converter.other': 'w' };
    assert.deepEqual(chooseConverter(false, { 'value.converter.schemas.enable': 'false' }, worker, 'json'), {
      name: 'json',
      config: { 'schemas.enable': 'true', other: 'w' },
    });
    assert.deepEqual(
      chooseConverter(
        false,
        { 'value.converter': 'string', 'value.converter.encoding': 'UTF-8' },
        worker,
        'json',
      ),
      { name: 'string', config: { encoding: 'UTF-8' } },
    );
  });
});

describe('offset keys', () => {
  it('writes one key per source partition whatever the field order', () => {
    assert.equal(offsetKey('c', { b: 1, a: 'x' }), '["c",{"a":"x","b":1}]');
    assert.equal(offsetKey('c', { a: 'x', b: 1 }), offsetKey('c', { b: 1, a: 'x' }));
  });
});

describe('record failures', () => {
  it('name the stage, topic, partition and offset, and keep the cause', () => {
    const cause = new SyntaxError('Unexpected token n in JSON');
    const failure = recordFailure(
      'VALUE_CONVERTER',
      'topic orders, partition 2, offset 41',
      new StageError('VALUE_CONVERTER', cause),
    );
    assert.equal(
      failure.message,
      'VALUE_CONVERTER failed for the record at topic orders, partition 2, offset 41 (errors.tolerance=none): Unexpected token n in JSON',
    );
    assert.ok(
      failure instanceof StageError && failure.stage === 'VALUE_CONVERTER' && failure.cause === cause,
    );
    assert.match(describeError(failure), /offset 41[^]*Caused by: SyntaxError: Unexpected token/);
  });
});

describe('route methods', () => {
  it('knows which methods a concrete path answers, parameters and wildcards included', async () => {
    const app = Fastify();
    const methods = new RouteMethods();
    methods.record(app);
    app.get('/connectors/:name/config', async () => ({}));
    app.put('/connectors/:name/config', async () => ({}));
    app.get('/ui/*', async () => '');
    app.route({ method: ['POST', 'DELETE'], url: '/a.b', handler: async () => ({}) });
    await app.ready();
    assert.deepEqual(methods.allowed('/connectors/x%20y/config'), ['GET', 'HEAD', 'PUT']);
    assert.deepEqual(methods.allowed('/connectors/x/y/config'), []);
    assert.deepEqual(methods.allowed('/ui/app/main.js'), ['GET', 'HEAD']);
    assert.deepEqual(methods.allowed('/a.b'), ['DELETE', 'POST']);
    assert.deepEqual(methods.allowed('/aXb'), [], 'a dot in a path is no wildcard');
    await app.close();
  });
});
