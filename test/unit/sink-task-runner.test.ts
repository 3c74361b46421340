import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  ConsumerConfig,
  ConsumerCrashEvent,
  ConsumerGroupJoinEvent,
  ConsumerSubscribeTopics,
  KafkaMessage,
  TopicPartitionOffset,
  TopicPartitionOffsetAndMetadata,
} from 'kafkajs';
import {
  RetriableError,
  topicPartitionKey,
  type ParsedConfig,
  type SinkConnectorPlugin,
  type SinkTask,
  type SinkTaskContext,
  type TopicPartition,
} from '../../runtime/plugin/index.js';
import type { ConnectRecord, SinkRecord } from '../../runtime/record/index.js';
import type { Transform } from '../../runtime/transforms/transform.js';
import type { FailedRecord } from '../../runtime/worker/dead-letter-queue.js';
import type { ErrorPolicy } from '../../runtime/worker/error-policy.js';
import { SinkTaskRunner } from '../../runtime/worker/sink-task-runner.js';
import type {
  DeadLetterSender,
  SinkBatchPayload,
  SinkConsumer,
  SinkConsumerRunConfig,
  SinkTaskKafka,
  TopicLister,
} from '../../runtime/worker/task-ports.js';
import {
  deferred,
  eventually,
  idle,
  jsonConverter,
  noErrorTolerance,
  quietLogger,
  type Journal,
} from '../support/task-runner-kit.js';

// The runner driven through fakes of its ports: a consumer whose group assignments and
// fetched batches the test hands in, a scripted sink task, and a dead-letter queue that
// records what it was sent. Backoff delays are capped at 1 ms (errors.retry.delay.max.ms).

/** A fetched message; a string value goes as it is (not JSON-encoded). */
function message(offset: number, value: unknown = { id: offset }): KafkaMessage {
  return {
    key: Buffer.from(JSON.stringify({ id: offset })),
    value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    offset: String(offset),
    timestamp: '1700000000000',
    attributes: 0,
    headers: { origin: Buffer.from('pg') },
  };
}

const where = (tps: readonly TopicPartition[]) => tps.map(topicPartitionKey).join(',');

class ScriptedSinkTask implements SinkTask {
  context: SinkTaskContext | null = null;
  readonly puts: SinkRecord[][] = [];
  /** Next offsets open() returns, by topicPartitionKey. */
  readonly openOffsets = new Map<string, bigint>();
  /** While set, close() waits for it (a task flushing what it holds). */
  closing: Promise<void> | null = null;
  stopped = false;

  constructor(
    private readonly journal: Journal,
    /** One call of put; by default the records are durable at once. */
    public script: (records: readonly SinkRecord[], call: number) => Promise<void> = async () => undefined,
  ) {}

  async start(context: SinkTaskContext): Promise<void> {
    this.context = context;
  }

  async open(partitions: readonly TopicPartition[]): Promise<ReadonlyMap<string, bigint>> {
    this.journal.push(`open ${where(partitions)}`);
    return this.openOffsets;
  }

  async put(records: readonly SinkRecord[]): Promise<void> {
    this.puts.push([...records]);
    this.journal.push(`put ${records.map((r) => r.kafkaOffset).join(',')}`);
    await this.script(records, this.puts.length);
    this.journal.push('put resolved');
  }

  async close(partitions: readonly TopicPartition[]): Promise<void> {
    this.journal.push(`close ${where(partitions)}`);
    await this.closing;
    this.journal.push('closed');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.journal.push('stop');
  }
}

/** One fetched batch as kafkajs hands it to eachBatch, recording what the runner did with it. */
class FetchedBatch implements SinkBatchPayload {
  readonly resolved: string[] = [];
  heartbeats = 0;
  /** What heartbeats fail with, if anything. */
  heartbeatFailure: unknown = undefined;

  constructor(readonly batch: SinkBatchPayload['batch']) {}

  // Closures, as kafkajs hands them: the runner destructures the payload.
  readonly resolveOffset = (offset: string): void => void this.resolved.push(offset);

  readonly heartbeat = async (): Promise<void> => {
    this.heartbeats++;
    if (this.heartbeatFailure !== undefined) throw this.heartbeatFailure;
  };

  readonly isRunning = (): boolean => true;

  readonly isStale = (): boolean => false;
}

class ScriptedConsumer implements SinkConsumer {
  readonly events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' } as const;
  readonly subscriptions: ConsumerSubscribeTopics[] = [];
  readonly commits: TopicPartitionOffsetAndMetadata[] = [];
  readonly seeks: TopicPartitionOffset[] = [];
  runConfig: SinkConsumerRunConfig | null = null;
  disconnected = false;
  private groupJoin: ((event: ConsumerGroupJoinEvent) => void) | null = null;
  private crash: ((event: ConsumerCrashEvent) => void) | null = null;

  constructor(private readonly journal: Journal) {}

  async connect(): Promise<void> {}

  async disconnect(): Promise<void> {
    this.disconnected = true;
  }

  async subscribe(subscription: ConsumerSubscribeTopics): Promise<void> {
    this.subscriptions.push(subscription);
  }

  async run(config: SinkConsumerRunConfig): Promise<void> {
    this.runConfig = config;
  }

  async stop(): Promise<void> {}

  seek(offset: TopicPartitionOffset): void {
    this.seeks.push(offset);
  }

  async commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    this.commits.push(...offsets);
    this.journal.push(`commit ${offsets.map((o) => o.offset).join(',')}`);
  }

  on(event: 'consumer.group_join', listener: (event: ConsumerGroupJoinEvent) => void): void;
  on(event: 'consumer.crash', listener: (event: ConsumerCrashEvent) => void): void;
  on(
    event: 'consumer.group_join' | 'consumer.crash',
    listener: ((event: ConsumerGroupJoinEvent) => void) | ((event: ConsumerCrashEvent) => void),
  ): void {
    // The overloads above tie each listener to its event.
    if (event === this.events.GROUP_JOIN)
      this.groupJoin = listener as (event: ConsumerGroupJoinEvent) => void;
    else this.crash = listener as (event: ConsumerCrashEvent) => void;
  }

  /** The group (re)assigned partitions to this member. */
  joined(assignment: Record<string, number[]>): void {
    this.groupJoin?.({
      id: '1',
      type: this.events.GROUP_JOIN,
      timestamp: 0,
      payload: {
        duration: 0,
        groupId: 'connect-jdbc',
        isLeader: true,
        leaderId: 'member-1',
        groupProtocol: 'RoundRobinAssigner',
        memberId: 'member-1',
        memberAssignment: assignment,
      },
    });
  }

  /** kafkajs gave up on the session. */
  crashed(error: Error): void {
    this.crash?.({
      id: '2',
      type: this.events.CRASH,
      timestamp: 0,
      payload: { error, groupId: 'connect-jdbc', restart: false },
    });
  }

  /** Hands a fetched batch to the runner; settles when eachBatch does. */
  fetched(
    messages: KafkaMessage[],
    partition = 0,
    highWatermark = '100',
  ): { batch: FetchedBatch; handled: Promise<void> } {
    const batch = new FetchedBatch({ topic: 'orders', partition, highWatermark, messages });
    assert.ok(this.runConfig, 'the consumer runs');
    const handled = this.runConfig.eachBatch(batch);
    handled.catch(() => undefined);
    return { batch, handled };
  }
}

class ScriptedKafka implements SinkTaskKafka {
  /** One consumer per session, the newest last. */
  readonly consumers: ScriptedConsumer[] = [];
  readonly consumerConfigs: ConsumerConfig[] = [];

  constructor(private readonly journal: Journal) {}

  consumer(config: ConsumerConfig): SinkConsumer {
    const consumer = new ScriptedConsumer(this.journal);
    this.consumers.push(consumer);
    this.consumerConfigs.push(config);
    return consumer;
  }

  admin(): TopicLister {
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      listTopics: async () => ['orders', 'other'],
    };
  }
}

class RecordingDeadLetterQueue implements DeadLetterSender {
  readonly sent: FailedRecord[] = [];

  async send(failed: FailedRecord): Promise<void> {
    this.sent.push(failed);
  }
}

interface Fixture {
  readonly runner: SinkTaskRunner;
  readonly task: ScriptedSinkTask;
  readonly kafka: ScriptedKafka;
  readonly deadLetters: RecordingDeadLetterQueue;
  readonly journal: Journal;
  readonly retrying: { error: unknown; attempt: number }[];
  readonly recovered: { count: number };
}

function sinkRunner(
  options: {
    config?: ParsedConfig;
    errors?: Partial<ErrorPolicy>;
    transform?: Transform;
    put?: (records: readonly SinkRecord[], call: number) => Promise<void>;
  } = {},
): Fixture {
  const journal: Journal = [];
  const task = new ScriptedSinkTask(journal, options.put);
  const kafka = new ScriptedKafka(journal);
  const deadLetters = new RecordingDeadLetterQueue();
  const retrying: { error: unknown; attempt: number }[] = [];
  const recovered = { count: 0 };
  const plugin: SinkConnectorPlugin = {
    type: 'sink',
    name: 'scripted',
    className: 'test.ScriptedSink',
    aliases: [],
    version: '0',
    configDef: [],
    taskConfigs: () => [],
    createTask: () => task,
  };
  const runner = new SinkTaskRunner({
    connector: 'jdbc',
    taskId: 0,
    plugin,
    config: { topics: ['orders'], 'consumer.max.poll.records': 500, ...options.config },
    keyConverter: jsonConverter,
    valueConverter: jsonConverter,
    transform: options.transform ?? null,
    errors: { ...noErrorTolerance, ...options.errors },
    deadLetterQueue: deadLetters,
    logger: quietLogger,
    kafka,
    onTopic: async () => undefined,
    onProgress: () => undefined,
    onRetrying: (error, attempt) => void retrying.push({ error, attempt }),
    onRecovered: () => void recovered.count++,
  });
  return { runner, task, kafka, deadLetters, journal, retrying, recovered };
}

/** Starts the runner and waits until its consumer runs, assigned `orders` partition 0. */
async function running(
  fixture: Fixture,
  assignment: Record<string, number[]> = { orders: [0] },
): Promise<{ consumer: ScriptedConsumer; done: Promise<void> }> {
  const done = fixture.runner.start();
  done.catch(() => undefined);
  await eventually(() => fixture.kafka.consumers.at(-1)?.runConfig != null, 'the consumer runs');
  const consumer = fixture.kafka.consumers.at(-1)!;
  consumer.joined(assignment);
  return { consumer, done };
}

describe('SinkTaskRunner', () => {
  it('decodes and transforms a fetched batch, puts it, and commits only once put resolved', async () => {
    const dropId11: Transform = {
      apply<R extends ConnectRecord>(record: R): R | null {
        return (record.key as { id: number }).id === 11 ? null : record;
      },
    };
    const durable = deferred();
    const fixture = sinkRunner({ transform: dropId11, put: () => durable.promise });
    const { consumer, done } = await running(fixture);
    assert.deepEqual(consumer.subscriptions, [{ topics: ['orders'], fromBeginning: true }]);
    assert.equal(fixture.kafka.consumerConfigs[0]?.groupId, 'connect-jdbc');

    const { batch, handled } = consumer.fetched([message(10), message(11), message(12)], 0, '40');
    await eventually(() => fixture.task.puts.length === 1, 'put is called');
    assert.deepEqual(
      fixture.task.puts[0],
      [10, 12].map((offset) => ({
        topic: 'orders',
        kafkaPartition: 0,
        kafkaOffset: BigInt(offset),
        keySchema: null,
        key: { id: offset },
        valueSchema: null,
        value: { id: offset },
        timestamp: 1700000000000,
        headers: [{ key: 'origin', value: Buffer.from('pg') }],
      })),
    );
    assert.equal(fixture.task.context?.endOffset?.({ topic: 'orders', partition: 0 }), 40n);
    // Give the runner every chance to commit early.
    await idle();
    assert.deepEqual(consumer.commits, [], 'nothing is committed while put is in flight');
    assert.deepEqual(batch.resolved, []);

    durable.resolve();
    await handled;
    assert.deepEqual(consumer.commits, [{ topic: 'orders', partition: 0, offset: '13' }]);
    assert.deepEqual(batch.resolved, ['12'], 'the dropped record is committed past too');
    assert.deepEqual(fixture.journal, ['open orders:0', 'put 10,12', 'put resolved', 'commit 13']);
    await fixture.runner.stop();
    await done;
  });

  it('puts a batch in chunks of consumer.max.poll.records, in order, committing each after its put', async () => {
    const fixture = sinkRunner({ config: { 'consumer.max.poll.records': 2 } });
    const { consumer, done } = await running(fixture);
    const { handled } = consumer.fetched([10, 11, 12, 13, 14].map((offset) => message(offset)));
    await handled;
    assert.deepEqual(
      fixture.journal.filter((entry) => entry !== 'open orders:0'),
      [
        ...['put 10,11', 'put resolved', 'commit 12'],
        ...['put 12,13', 'put resolved', 'commit 14'],
        ...['put 14', 'put resolved', 'commit 15'],
      ],
    );
    await fixture.runner.stop();
    await done;
  });

  describe('put failures', () => {
    it('retries put while the target is away, heartbeating so the member keeps its group', async (t) => {
      t.mock.timers.enable({ apis: ['setInterval'] });
      let away = true;
      const fixture = sinkRunner({
        put: async () => {
          if (away) throw new RetriableError('connection to the target database lost');
        },
      });
      const { consumer, done } = await running(fixture);
      const { batch, handled } = consumer.fetched([message(10)]);
      await eventually(() => fixture.task.puts.length >= 3, 'put is retried');
      assert.equal(batch.heartbeats, 0);
      t.mock.timers.tick(2500);
      t.mock.timers.tick(2500);
      assert.equal(batch.heartbeats, 2, 'a heartbeat every 2.5 s while put is retried');
      assert.deepEqual(consumer.commits, []);
      assert.deepEqual(
        fixture.retrying.slice(0, 3).map((r) => r.attempt),
        [1, 2, 3],
      );

      away = false;
      await handled;
      assert.deepEqual(consumer.commits, [{ topic: 'orders', partition: 0, offset: '11' }]);
      assert.equal(fixture.recovered.count, 1, 'the retry is cleared from the status');
      const heartbeats = batch.heartbeats;
      t.mock.timers.tick(2500);
      assert.equal(batch.heartbeats, heartbeats, 'no heartbeats of its own once put resolved');
      await fixture.runner.stop();
      await done;
    });

    it('leaves the batch to kafkajs when the group forgets the member during the retries', async (t) => {
      t.mock.timers.enable({ apis: ['setInterval'] });
      const fixture = sinkRunner({
        put: async () => {
          throw new RetriableError('connection to the target database lost');
        },
      });
      const { consumer, done } = await running(fixture);
      const { batch, handled } = consumer.fetched([message(10)]);
      batch.heartbeatFailure = Object.assign(new Error('The group is rebalancing'), {
        type: 'REBALANCE_IN_PROGRESS',
      });
      await eventually(() => fixture.task.puts.length >= 2, 'put is retried');
      t.mock.timers.tick(2500);
      await assert.rejects(handled, { type: 'REBALANCE_IN_PROGRESS' });
      assert.deepEqual(consumer.commits, []);
      let settled = false;
      void done.finally(() => (settled = true));
      await idle();
      assert.ok(!settled, 'the task keeps running: kafkajs rejoins and fetches again');
      await fixture.runner.stop();
      await done;
    });

    it('fails the task on a put error that is not transient, committing nothing', async () => {
      const fixture = sinkRunner({
        put: async () => {
          throw new Error('permission denied for table orders');
        },
      });
      const { consumer, done } = await running(fixture);
      consumer.fetched([message(10)]);
      await assert.rejects(done, { message: 'permission denied for table orders' });
      assert.equal(fixture.task.puts.length, 1);
      assert.deepEqual(consumer.commits, []);
      assert.ok(fixture.task.stopped, 'the task is stopped');
      assert.ok(consumer.disconnected);
    });
  });

  describe('bad records', () => {
    it('sends a record the converter cannot read to the dead-letter queue with errors.tolerance=all', async () => {
      const fixture = sinkRunner({ errors: { tolerateAll: true } });
      const { consumer, done } = await running(fixture);
      const bad = message(11, 'not json');
      const { handled } = consumer.fetched([message(10), bad, message(12)]);
      await handled;
      assert.deepEqual(
        fixture.task.puts.map((records) => records.map((r) => r.kafkaOffset)),
        [[10n, 12n]],
      );
      assert.equal(fixture.deadLetters.sent.length, 1);
      const [failed] = fixture.deadLetters.sent;
      assert.equal(failed?.topic, 'orders');
      assert.equal(failed?.partition, 0);
      assert.equal(failed?.message, bad);
      assert.equal(failed?.stage, 'VALUE_CONVERTER');
      assert.equal(failed?.executingClass, 'siphon.runtime');
      assert.ok(failed?.error instanceof SyntaxError);
      assert.deepEqual(consumer.commits, [{ topic: 'orders', partition: 0, offset: '13' }]);
      await fixture.runner.stop();
      await done;
    });

    it('sends a record the task reports bad in put to the dead-letter queue, naming the connector class', async () => {
      const fixture = sinkRunner({
        errors: { tolerateAll: true },
        put: async (records) => {
          const rejected = records.find((r) => r.kafkaOffset === 11n)!;
          await fixture.task.context!.reportBadRecord(rejected, new Error('value too long for column note'));
        },
      });
      const { consumer, done } = await running(fixture);
      const { handled } = consumer.fetched([message(10), message(11)]);
      await handled;
      assert.equal(fixture.deadLetters.sent.length, 1);
      const [failed] = fixture.deadLetters.sent;
      assert.equal(failed?.message.offset, '11');
      assert.equal(failed?.stage, 'TASK_PUT');
      assert.equal(failed?.executingClass, 'test.ScriptedSink');
      assert.deepEqual(consumer.commits, [{ topic: 'orders', partition: 0, offset: '12' }]);
      await fixture.runner.stop();
      await done;
    });

    it('fails the task naming topic, partition and offset with errors.tolerance=none, after committing the chunks before it', async () => {
      const fixture = sinkRunner({ config: { 'consumer.max.poll.records': 1 } });
      const { consumer, done } = await running(fixture);
      consumer.fetched([message(10), message(11, 'not json'), message(12)]);
      await assert.rejects(done, (error: Error & { stage?: unknown }) => {
        assert.equal(error.stage, 'VALUE_CONVERTER');
        assert.match(
          error.message,
          /^VALUE_CONVERTER failed for the record at topic orders, partition 0, offset 11 \(errors\.tolerance=none\): /,
        );
        return true;
      });
      assert.deepEqual(
        fixture.task.puts.map((records) => records.map((r) => r.kafkaOffset)),
        [[10n]],
      );
      assert.deepEqual(consumer.commits, [{ topic: 'orders', partition: 0, offset: '11' }]);
      assert.deepEqual(fixture.deadLetters.sent, []);
    });
  });

  describe('rebalances', () => {
    it('closes revoked partitions (the task flushes them) before opening the new assignment and putting again', async () => {
      const fixture = sinkRunner();
      const { consumer, done } = await running(fixture, { orders: [0, 1] });
      await eventually(() => fixture.journal.includes('open orders:0,orders:1'), 'the partitions are opened');

      const flushed = deferred();
      fixture.task.closing = flushed.promise;
      consumer.joined({ orders: [0] });
      const { handled } = consumer.fetched([message(20)]);
      await eventually(() => fixture.journal.includes('close orders:1'), 'the revoked partition is closed');
      await idle();
      assert.deepEqual(fixture.task.puts.length, 0, 'no put until the revoked partition is flushed');

      flushed.resolve();
      await handled;
      assert.deepEqual(fixture.journal, [
        'open orders:0,orders:1',
        'close orders:1',
        'closed',
        'open orders:0',
        'put 20',
        'put resolved',
        'commit 21',
      ]);
      fixture.task.closing = null;
      await fixture.runner.stop();
      await done;
      assert.deepEqual(
        fixture.journal.slice(-3),
        ['close orders:0', 'closed', 'stop'],
        'stop closes what is assigned',
      );
    });

    it('seeks to the offsets an exactly-once task returns from open, skipping what was fetched before them', async () => {
      const fixture = sinkRunner();
      fixture.task.openOffsets.set('orders:0', 12n);
      const { consumer, done } = await running(fixture);
      await eventually(() => consumer.seeks.length === 1, 'the consumer seeks');
      assert.deepEqual(consumer.seeks, [{ topic: 'orders', partition: 0, offset: '12' }]);
      const { handled } = consumer.fetched([10, 11, 12, 13].map((offset) => message(offset)));
      await handled;
      assert.deepEqual(
        fixture.task.puts.map((records) => records.map((r) => r.kafkaOffset)),
        [[12n, 13n]],
      );
      await fixture.runner.stop();
      await done;
    });
  });

  it('starts a new consumer session when kafkajs gives one up on a transient failure', async () => {
    const fixture = sinkRunner();
    const { consumer, done } = await running(fixture);
    consumer.crashed(
      Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' }),
    );
    await eventually(() => fixture.kafka.consumers.length === 2, 'a second session starts');
    assert.ok(consumer.disconnected, 'the first session is disconnected');
    assert.equal(fixture.retrying.length, 1);
    await eventually(() => fixture.kafka.consumers[1]?.runConfig != null, 'the new consumer runs');
    await fixture.runner.stop();
    await done;
  });
});
