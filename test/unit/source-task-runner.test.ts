import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompressionTypes, type ProducerBatch, type RecordMetadata } from 'kafkajs';
import type { Converter } from '../../runtime/converters/converter.js';
import {
  RetriableError,
  type CommittedSourceOffset,
  type DurableLog,
  type ParsedConfig,
  type SourceConnectorPlugin,
  type SourceTask,
  type SourceTaskContext,
} from '../../runtime/plugin/index.js';
import type {
  ConnectRecord,
  SourceOffset,
  SourcePartition,
  SourceRecord,
} from '../../runtime/record/index.js';
import type { StoreMessage } from '../../runtime/stores/compacted-topic.js';
import { offsetKey, type OffsetEntry } from '../../runtime/stores/offset-store.js';
import type { Transform } from '../../runtime/transforms/transform.js';
import type { ErrorPolicy } from '../../runtime/worker/error-policy.js';
import { SourceTaskRunner } from '../../runtime/worker/source-task-runner.js';
import type {
  BatchSender,
  ProducerTransaction,
  SourceOffsetStore,
  SourceTaskKafka,
  TransactionalProducer,
} from '../../runtime/worker/task-ports.js';
import {
  deferred,
  eventually,
  jsonConverter,
  noErrorTolerance,
  quietLogger,
  type Journal,
} from '../support/task-runner-kit.js';

// The runner driven through fakes of its ports: a scripted source task, a producer and a
// transactional producer that record what they were sent, and an in-memory offset store.
// Backoff delays are capped at 1 ms (errors.retry.delay.max.ms), so retries take no time.

const connector = 'shop';

function record(lsn: number, server = 'db1', value: unknown = { id: lsn, total: lsn * 10 }): SourceRecord {
  return {
    topic: 'shop.orders',
    sourcePartition: { server },
    sourceOffset: { lsn },
    keySchema: null,
    key: { id: lsn },
    valueSchema: null,
    value,
  };
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

class ScriptedSourceTask implements SourceTask {
  context: SourceTaskContext | null = null;
  runs = 0;
  readonly committed: CommittedSourceOffset[][] = [];

  constructor(
    private readonly journal: Journal,
    /** One run of the task; by default it runs until it is stopped. */
    readonly script: (context: SourceTaskContext, run: number) => Promise<void> = (context) =>
      untilAborted(context.signal),
  ) {}

  run(context: SourceTaskContext): Promise<void> {
    this.context = context;
    this.runs++;
    return this.script(context, this.runs);
  }

  async offsetsCommitted(committed: readonly CommittedSourceOffset[]): Promise<void> {
    this.journal.push('offsetsCommitted');
    this.committed.push([...committed]);
  }
}

class RecordingProducer implements BatchSender {
  readonly batches: ProducerBatch[] = [];
  attempts = 0;
  /** While set, sends wait for it. */
  gate: Promise<void> | null = null;
  /** The error a send fails with, if any; undefined: the broker takes it. */
  refuse: (batch: ProducerBatch) => unknown = () => undefined;

  constructor(private readonly journal: Journal) {}

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    this.attempts++;
    await this.gate;
    const refusal = this.refuse(batch);
    if (refusal !== undefined) throw refusal;
    this.batches.push(batch);
    this.journal.push('produced');
    return [];
  }

  /** The values produced, in order, as JSON text. */
  values(): string[] {
    return this.batches.flatMap((b) =>
      (b.topicMessages ?? []).flatMap((t) => t.messages.map((m) => String(m.value))),
    );
  }
}

class MemoryOffsetStore implements SourceOffsetStore {
  readonly topic = { spec: { topic: 'siphon-offsets' } };
  readonly stored = new Map<string, SourceOffset>();
  readonly writes: OffsetEntry[][] = [];
  readonly applied: OffsetEntry[][] = [];
  /** Errors the next writes fail with, one each. */
  readonly writeFailures: unknown[] = [];

  constructor(private readonly journal: Journal) {}

  get(name: string, partition: SourcePartition): SourceOffset | null {
    return this.stored.get(offsetKey(name, partition)) ?? null;
  }

  async write(name: string, entries: readonly OffsetEntry[]): Promise<void> {
    const failure = this.writeFailures.shift();
    if (failure !== undefined) throw failure;
    this.journal.push('offsets written');
    this.writes.push([...entries]);
    this.apply(name, entries);
  }

  messages(name: string, entries: readonly OffsetEntry[]): StoreMessage[] {
    return entries.map((e) => ({ key: offsetKey(name, e.partition), value: JSON.stringify(e.offset) }));
  }

  apply(name: string, entries: readonly OffsetEntry[]): void {
    this.applied.push([...entries]);
    for (const e of entries) if (e.offset) this.stored.set(offsetKey(name, e.partition), e.offset);
  }
}

interface RecordedTransaction {
  readonly batches: ProducerBatch[];
  outcome: 'open' | 'committed' | 'aborted';
}

class RecordingTransactionalProducer implements TransactionalProducer {
  readonly transactions: RecordedTransaction[] = [];
  /** The error every send in a transaction fails with, if any. */
  failSends: unknown = undefined;
  connected = false;

  constructor(private readonly journal: Journal) {}

  async connect(): Promise<void> {
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }

  async transaction(): Promise<ProducerTransaction> {
    const recorded: RecordedTransaction = { batches: [], outcome: 'open' };
    this.transactions.push(recorded);
    return {
      sendBatch: async (batch) => {
        if (this.failSends !== undefined) throw this.failSends;
        recorded.batches.push(batch);
        return [];
      },
      commit: async () => {
        recorded.outcome = 'committed';
        this.journal.push('transaction committed');
      },
      abort: async () => {
        recorded.outcome = 'aborted';
      },
    };
  }
}

class FakeSourceKafka implements SourceTaskKafka {
  readonly transactionalIds: string[] = [];

  constructor(private readonly producer: TransactionalProducer) {}

  transactionalProducer(transactionalId: string): TransactionalProducer {
    this.transactionalIds.push(transactionalId);
    return this.producer;
  }

  durableLog(): DurableLog {
    throw new Error('these tests run tasks without durable logs');
  }
}

interface Fixture {
  readonly runner: SourceTaskRunner;
  readonly task: ScriptedSourceTask;
  readonly producer: RecordingProducer;
  readonly transactions: RecordingTransactionalProducer;
  readonly kafka: FakeSourceKafka;
  readonly offsets: MemoryOffsetStore;
  readonly journal: Journal;
  readonly topicsSeen: string[];
  readonly retrying: { error: unknown; attempt: number }[];
  readonly recovered: { count: number };
}

function sourceRunner(
  options: {
    config?: ParsedConfig;
    errors?: Partial<ErrorPolicy>;
    transform?: Transform;
    valueConverter?: Converter;
    transactionalId?: string;
    flushIntervalMs?: number;
    script?: (context: SourceTaskContext, run: number) => Promise<void>;
  } = {},
): Fixture {
  const journal: Journal = [];
  const task = new ScriptedSourceTask(journal, options.script);
  const producer = new RecordingProducer(journal);
  const transactions = new RecordingTransactionalProducer(journal);
  const kafka = new FakeSourceKafka(transactions);
  const offsets = new MemoryOffsetStore(journal);
  const topicsSeen: string[] = [];
  const retrying: { error: unknown; attempt: number }[] = [];
  const recovered = { count: 0 };
  const plugin: SourceConnectorPlugin = {
    type: 'source',
    name: 'scripted',
    className: 'test.ScriptedSource',
    aliases: [],
    version: '0',
    configDef: [],
    taskConfigs: () => [],
    createTask: () => task,
  };
  const runner = new SourceTaskRunner({
    connector,
    taskId: 0,
    plugin,
    config: options.config ?? {},
    keyConverter: jsonConverter,
    valueConverter: options.valueConverter ?? jsonConverter,
    transform: options.transform ?? null,
    offsetStore: offsets,
    errors: { ...noErrorTolerance, ...options.errors },
    // Far off unless a test wants the timer: commits come from the test or from stop.
    flushIntervalMs: options.flushIntervalMs ?? 2_000_000_000,
    logger: quietLogger,
    producer,
    transactionalId: options.transactionalId ?? null,
    kafka,
    compression: CompressionTypes.None,
    onTopic: async (topic) => void topicsSeen.push(topic),
    onProgress: () => undefined,
    onRetrying: (error, attempt) => void retrying.push({ error, attempt }),
    onRecovered: () => void recovered.count++,
  });
  return { runner, task, producer, transactions, kafka, offsets, journal, topicsSeen, retrying, recovered };
}

async function started(fixture: Fixture): Promise<{ context: SourceTaskContext; done: Promise<void> }> {
  const done = fixture.runner.start();
  done.catch(() => undefined);
  await eventually(() => fixture.task.context !== null, 'the task runs');
  return { context: fixture.task.context!, done };
}

const brokerAway = () =>
  Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), {
    name: 'KafkaJSConnectionError',
  });

const tooLarge = () =>
  Object.assign(new Error('The request included a message larger than the max message size'), {
    type: 'MESSAGE_TOO_LARGE',
  });

describe('SourceTaskRunner', () => {
  it('takes emitted records from the queue through the transforms and the converters to the producer', async () => {
    const copyTopics: Transform = {
      apply<R extends ConnectRecord>(r: R): R | null {
        // Drops id 2, renames the others' topic.
        if ((r.key as { id: number }).id === 2) return null;
        return { ...r, topic: `copy.${r.topic}` };
      },
    };
    const fixture = sourceRunner({ transform: copyTopics });
    const { context, done } = await started(fixture);
    await context.emit([
      record(1),
      record(2),
      { ...record(3), kafkaPartition: 4, timestamp: 1700000000000, headers: [{ key: 'h', value: null }] },
    ]);
    await eventually(() => fixture.producer.batches.length === 1, 'the batch is produced');
    const [batch] = fixture.producer.batches;
    assert.equal(batch?.acks, -1);
    assert.equal(batch?.compression, CompressionTypes.None);
    assert.deepEqual(
      batch?.topicMessages?.map((t) => ({
        topic: t.topic,
        messages: t.messages.map((m) => ({ ...m, key: String(m.key), value: String(m.value) })),
      })),
      [
        {
          topic: 'copy.shop.orders',
          messages: [
            { key: '{"id":1}', value: '{"id":1,"total":10}', headers: undefined },
            {
              key: '{"id":3}',
              value: '{"id":3,"total":30}',
              // kafkajs cannot write a null header value: it goes as an empty one.
              headers: { h: '' },
              partition: 4,
              timestamp: '1700000000000',
            },
          ],
        },
      ],
    );
    await context.emit([record(4)]);
    await eventually(() => fixture.producer.batches.length === 2, 'the second batch is produced');
    assert.deepEqual(
      fixture.topicsSeen,
      ['copy.shop.orders'],
      'a topic is announced once, before its first record',
    );
    await fixture.runner.stop();
    await done;
  });

  it('commits the offsets of acknowledged records only, and tells the task once they are written', async () => {
    const fixture = sourceRunner();
    const { context, done } = await started(fixture);
    const acknowledged = deferred();
    fixture.producer.gate = acknowledged.promise;
    await context.emit([record(1), record(2), record(7, 'db2')]);
    await eventually(() => fixture.producer.attempts === 1, 'the batch is being produced');

    await fixture.runner.commitOffsets();
    assert.deepEqual(fixture.offsets.writes, [], 'nothing is acknowledged yet');
    assert.deepEqual(fixture.task.committed, []);

    acknowledged.resolve();
    await eventually(() => fixture.producer.batches.length === 1, 'the broker acknowledged the batch');
    await fixture.runner.commitOffsets();
    const expected = [
      { partition: { server: 'db1' }, offset: { lsn: 2 } },
      { partition: { server: 'db2' }, offset: { lsn: 7 } },
    ];
    assert.deepEqual(fixture.offsets.writes, [expected], 'the last offset of each source partition');
    assert.deepEqual(fixture.task.committed, [expected]);
    assert.deepEqual(fixture.journal, ['produced', 'offsets written', 'offsetsCommitted']);

    await fixture.runner.commitOffsets();
    assert.equal(fixture.offsets.writes.length, 1, 'nothing new: nothing written');
    await fixture.runner.stop();
    await done;
  });

  it('keeps the offsets of a failed offset write for the next flush, and tells the task nothing meanwhile', async () => {
    const fixture = sourceRunner();
    const { context, done } = await started(fixture);
    await context.emit([record(1)]);
    await eventually(() => fixture.producer.batches.length === 1, 'the record is produced');
    fixture.offsets.writeFailures.push(brokerAway());
    await assert.rejects(fixture.runner.commitOffsets(), { name: 'KafkaJSConnectionError' });
    assert.deepEqual(fixture.task.committed, []);
    await fixture.runner.commitOffsets();
    assert.deepEqual(fixture.task.committed, [[{ partition: { server: 'db1' }, offset: { lsn: 1 } }]]);
    await fixture.runner.stop();
    await done;
  });

  it('commits every offset.flush.interval.ms', async () => {
    const fixture = sourceRunner({ flushIntervalMs: 5 });
    const { context, done } = await started(fixture);
    await context.emit([record(1)]);
    await eventually(() => fixture.offsets.writes.length === 1, 'the flush timer commits');
    assert.deepEqual(fixture.task.committed, [[{ partition: { server: 'db1' }, offset: { lsn: 1 } }]]);
    await fixture.runner.stop();
    await done;
  });

  it('on stop, drains the queue and commits the offsets before start() resolves', async () => {
    const fixture = sourceRunner();
    const { context, done } = await started(fixture);
    await context.emit([record(1), record(2)]);
    await fixture.runner.stop();
    await done;
    assert.ok(context.signal.aborted, 'the task was told to stop');
    assert.deepEqual(fixture.producer.values(), ['{"id":1,"total":10}', '{"id":2,"total":20}']);
    assert.deepEqual(fixture.offsets.writes, [[{ partition: { server: 'db1' }, offset: { lsn: 2 } }]]);
    assert.deepEqual(fixture.journal, ['produced', 'offsets written', 'offsetsCommitted']);
  });

  describe('produce failures', () => {
    it('retries a transient failure within errors.retry.timeout', async () => {
      const fixture = sourceRunner({ errors: { retryTimeoutMs: 60_000 } });
      const { context, done } = await started(fixture);
      let failures = 2;
      fixture.producer.refuse = () =>
        failures-- > 0
          ? new RetriableError('NOT_ENOUGH_REPLICAS: the partition has too few in-sync replicas')
          : undefined;
      await context.emit([record(1)]);
      await eventually(() => fixture.producer.batches.length === 1, 'the retried send went through');
      assert.equal(fixture.producer.attempts, 3);
      await fixture.runner.stop();
      await done;
      assert.deepEqual(fixture.offsets.writes, [[{ partition: { server: 'db1' }, offset: { lsn: 1 } }]]);
    });

    it('fails the task once errors.retry.timeout is spent (0: at once), committing nothing of the batch', async () => {
      const fixture = sourceRunner({ errors: { retryTimeoutMs: 0 } });
      const { context, done } = await started(fixture);
      fixture.producer.refuse = () => new RetriableError('NOT_ENOUGH_REPLICAS');
      await context.emit([record(1)]);
      await assert.rejects(done, { stage: 'KAFKA_PRODUCE', message: 'NOT_ENOUGH_REPLICAS' });
      assert.ok(context.signal.aborted, 'the task was stopped');
      assert.deepEqual(fixture.offsets.writes, []);
      assert.deepEqual(fixture.task.committed, []);
    });

    const largeValue = { id: 2, blob: 'x'.repeat(200) };
    const refuseLarge = (batch: ProducerBatch) =>
      (batch.topicMessages ?? []).some((t) => t.messages.some((m) => (m.value?.length ?? 0) > 100))
        ? tooLarge()
        : undefined;

    it('skips a record the broker refuses as too large with errors.tolerance=all, producing the others in order', async () => {
      const fixture = sourceRunner({ errors: { tolerateAll: true } });
      const { context, done } = await started(fixture);
      fixture.producer.refuse = refuseLarge;
      await context.emit([record(1), record(2, 'db1', largeValue), record(3)]);
      await eventually(() => fixture.producer.batches.length === 2, 'the others went one by one');
      assert.deepEqual(fixture.producer.values(), ['{"id":1,"total":10}', '{"id":3,"total":30}']);
      await fixture.runner.stop();
      await done;
      assert.deepEqual(fixture.offsets.writes, [[{ partition: { server: 'db1' }, offset: { lsn: 3 } }]]);
    });

    it('fails the task naming the record too large with errors.tolerance=none', async () => {
      const fixture = sourceRunner();
      const { context, done } = await started(fixture);
      fixture.producer.refuse = refuseLarge;
      await context.emit([record(1), record(2, 'db1', largeValue), record(3)]);
      await assert.rejects(done, (error: Error) => {
        assert.match(
          error.message,
          /^record of \d+ bytes for topic shop\.orders, key \{"id":2\}, source position \{"lsn":2\}/,
        );
        return true;
      });
      assert.deepEqual(fixture.producer.values(), ['{"id":1,"total":10}'], 'the records before it went');
      assert.deepEqual(fixture.offsets.writes, [], 'offsets move only past a batch produced whole');
    });

    const failingOnId2: Converter = {
      ...jsonConverter,
      fromConnectData: async (topic, schema, value) => {
        if ((value as { id?: number } | null)?.id === 2) throw new Error('cannot encode id 2');
        return jsonConverter.fromConnectData(topic, schema, value);
      },
    };

    it('skips a record the converter fails on with errors.tolerance=all', async () => {
      const fixture = sourceRunner({ errors: { tolerateAll: true }, valueConverter: failingOnId2 });
      const { context, done } = await started(fixture);
      await context.emit([record(1), record(2), record(3)]);
      await eventually(() => fixture.producer.batches.length === 1, 'the batch is produced');
      assert.deepEqual(fixture.producer.values(), ['{"id":1,"total":10}', '{"id":3,"total":30}']);
      await fixture.runner.stop();
      await done;
    });

    it('fails the task naming where the record is with errors.tolerance=none when the converter fails', async () => {
      const fixture = sourceRunner({ valueConverter: failingOnId2 });
      const { context, done } = await started(fixture);
      await context.emit([record(1), record(2), record(3)]);
      await assert.rejects(done, {
        stage: 'VALUE_CONVERTER',
        message:
          'VALUE_CONVERTER failed for the record at topic shop.orders, source partition {"server":"db1"}, ' +
          'source offset {"lsn":2} (errors.tolerance=none): cannot encode id 2',
      });
      assert.deepEqual(fixture.producer.batches, []);
    });
  });

  it('rides out a broker outage: the bounded queue holds the task back, and offsets are committed once it is over', async () => {
    const fixture = sourceRunner({ config: { 'max.queue.size': 2 } });
    let emitted = 0;
    const allEmitted = deferred();
    const { context, done } = await started(fixture);
    // Before the outage: one record produced, its offset not flushed yet.
    await context.emit([record(0)]);
    await eventually(() => fixture.producer.batches.length === 1, 'the first record is produced');

    let away = true;
    fixture.producer.refuse = () => (away ? brokerAway() : undefined);
    void (async () => {
      for (let lsn = 1; lsn <= 5; lsn++) {
        await context.emit([record(lsn)]);
        emitted++;
      }
      allEmitted.resolve();
    })();
    await eventually(() => fixture.producer.attempts >= 5, 'the produce is retried');
    await eventually(() => emitted >= 3, 'the queue fills');
    const attempts = fixture.producer.attempts;
    await eventually(() => fixture.producer.attempts >= attempts + 3, 'more retries go by');
    assert.ok(emitted < 5, `emit waits while the queue is full (${emitted} of 5 emitted)`);
    assert.ok(fixture.retrying.length > 0, 'the status shows the retry');
    assert.deepEqual(fixture.offsets.writes, []);

    away = false;
    await allEmitted.promise;
    await eventually(() => fixture.producer.values().length === 6, 'everything is produced');
    await eventually(
      () => fixture.offsets.writes.length === 1,
      'offsets are committed once the broker is back',
    );
    assert.equal(fixture.recovered.count, 1, 'the retry is cleared from the status');
    await fixture.runner.stop();
    await done;
    assert.deepEqual(fixture.offsets.stored.get(offsetKey(connector, { server: 'db1' })), { lsn: 5 });
    assert.deepEqual(
      fixture.producer.values(),
      [0, 1, 2, 3, 4, 5].map((n) => JSON.stringify({ id: n, total: n * 10 })),
      'in order, each once',
    );
  });

  describe('exactly-once', () => {
    it('sends each batch and its offsets in one transaction, and tells the task after the commit', async () => {
      const fixture = sourceRunner({ transactionalId: 'connect-shop-0' });
      const { context, done } = await started(fixture);
      assert.deepEqual(fixture.kafka.transactionalIds, ['connect-shop-0']);
      assert.ok(fixture.transactions.connected);
      await context.emit([record(1), record(2)]);
      await eventually(() => fixture.task.committed.length === 1, 'the task hears of the commit');
      const [transaction] = fixture.transactions.transactions;
      assert.equal(transaction?.outcome, 'committed');
      assert.deepEqual(
        transaction?.batches.flatMap((b) =>
          (b.topicMessages ?? []).map((t) => ({
            topic: t.topic,
            values: t.messages.map((m) => String(m.value)),
          })),
        ),
        [
          { topic: 'shop.orders', values: ['{"id":1,"total":10}', '{"id":2,"total":20}'] },
          { topic: 'siphon-offsets', values: ['{"lsn":2}'] },
        ],
      );
      const expected = [{ partition: { server: 'db1' }, offset: { lsn: 2 } }];
      assert.deepEqual(
        fixture.offsets.applied,
        [expected],
        'the view of the store takes the committed offsets',
      );
      assert.deepEqual(fixture.task.committed, [expected]);
      assert.deepEqual(fixture.journal, ['transaction committed', 'offsetsCommitted']);
      assert.deepEqual(fixture.producer.batches, [], 'nothing goes through the shared producer');
      await fixture.runner.stop();
      await done;
      assert.deepEqual(fixture.offsets.writes, [], 'no offset write outside the transactions');
      assert.ok(!fixture.transactions.connected, 'the transactional producer is closed');
    });

    it('aborts the transaction of a batch that fails, and fails the task without moving the offsets', async () => {
      const fixture = sourceRunner({ transactionalId: 'connect-shop-0' });
      const { context, done } = await started(fixture);
      fixture.transactions.failSends = Object.assign(new Error('The producer has been fenced'), {
        type: 'INVALID_PRODUCER_EPOCH',
      });
      await context.emit([record(1)]);
      await assert.rejects(done, { message: 'The producer has been fenced' });
      assert.deepEqual(
        fixture.transactions.transactions.map((t) => t.outcome),
        ['aborted'],
      );
      assert.deepEqual(fixture.offsets.applied, []);
      assert.deepEqual(fixture.task.committed, []);
    });
  });

  describe('task failures', () => {
    it('restarts a task that throws a RetriableError with backoff, at most errors.max.retries times in a row', async () => {
      const fixture = sourceRunner({
        config: { 'errors.max.retries': 2 },
        script: async () => {
          throw new RetriableError('source unreachable');
        },
      });
      await assert.rejects(fixture.runner.start(), {
        message: 'gave up after 3 attempts (errors.max.retries=2): source unreachable',
      });
      assert.equal(fixture.task.runs, 3);
      assert.deepEqual(
        fixture.retrying.map((r) => r.attempt),
        [1, 2],
      );
    });

    it('starts the count again once the task emits records', async () => {
      const fixture = sourceRunner({
        config: { 'errors.max.retries': 1 },
        script: async (context, run) => {
          if (run === 5) return untilAborted(context.signal);
          await context.emit([record(run)]);
          throw new RetriableError('source unreachable');
        },
      });
      const done = fixture.runner.start();
      await eventually(() => fixture.task.runs === 5, 'the fifth run');
      assert.deepEqual(
        fixture.retrying.map((r) => r.attempt),
        [1, 1, 1, 1],
      );
      assert.equal(fixture.recovered.count, 3, 'each emit after a restart clears the retry from the status');
      await fixture.runner.stop();
      await done;
    });

    it('fails a task that throws any other error at once', async () => {
      const fixture = sourceRunner({
        config: { 'errors.max.retries': 5 },
        script: async () => {
          throw new Error('replication slot "shop" does not exist');
        },
      });
      await assert.rejects(fixture.runner.start(), { message: 'replication slot "shop" does not exist' });
      assert.equal(fixture.task.runs, 1);
      assert.deepEqual(fixture.retrying, []);
    });
  });
});
