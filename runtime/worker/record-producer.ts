import { randomInt } from 'node:crypto';
import { MultipleErrors, Producer, type MessageToProduce, type ProducerOptions } from '@platformatic/kafka';
import { CompressionTypes, type Message, type ProducerBatch, type RecordMetadata } from 'kafkajs';
import { murmur2 } from './murmur2-partitioner.js';
import type { BatchSender, ProducerTransaction, TransactionalProducer } from './task-ports.js';

/** What the worker's Kafka settings give a record producer (see kafkaConnection). */
export type RecordProducerConnection = Pick<
  ProducerOptions<Buffer, Buffer, Buffer, Buffer>,
  'clientId' | 'bootstrapBrokers' | 'tls' | 'sasl'
>;

/**
 * The source tasks' record producer on @platformatic/kafka, behind the runner's narrow
 * ports (kafkajs-shaped batches in, kafkajs-shaped errors out). It encodes a produce
 * request for about a fifth of kafkajs's CPU (measured in runtime/README.md), which is
 * what bounded streaming and snapshots. Sends are serialized: the client advances an
 * idempotent partition's sequence only when a response arrives, so two requests in
 * flight for one partition would share sequence numbers and the broker would drop the
 * second as a duplicate while acknowledging it. One request in flight keeps every
 * acknowledged record written.
 */
export class RecordProducer implements BatchSender, TransactionalProducer {
  private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly counters = new Map<string, number>();

  private readonly transactional: boolean;
  private readonly deliveryTimeoutMs: number;

  constructor(
    connection: RecordProducerConnection,
    options: { transactionalId?: string; deliveryTimeoutMs?: number } = {},
  ) {
    this.transactional = options.transactionalId !== undefined;
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? defaultDeliveryTimeoutMs;
    this.producer = new Producer({
      ...connection,
      idempotent: true,
      acks: -1,
      // Without them the client waits for an unreachable broker forever; the runner rides
      // out outages itself (SourceTaskRunner.produce) and needs the failure to see one.
      retries: 5,
      retryDelay: 200,
      // kafkajs's producer asked for auto-creation too (the broker decides).
      autocreateTopics: true,
      // Keys land where the Java client (and Kafka Connect) puts them; the client takes
      // the result modulo the partition count. Keyless records go round-robin.
      partitioner: (message, key) =>
        key === undefined ? this.roundRobin(message.topic) : murmur2(key) & 0x7fffffff,
      ...(options.transactionalId === undefined ? {} : { transactionalId: options.transactionalId }),
    });
  }

  /**
   * Registers the producer id with the broker, so a bad address or credential fails here.
   * A transactional producer registers its transactional id now, not at its first
   * transaction: that fences the id's previous owner before the task reads its offsets.
   */
  async connect(): Promise<void> {
    // A fresh registration is producer id -1, epoch -1: the client would send 0 and 0,
    // which the broker takes as an owner's epoch bump and, for an id another producer
    // registered before, refuses as fenced.
    const fresh = { producerId: -1n, producerEpoch: -1 };
    try {
      if (this.transactional) await (await this.producer.beginTransaction(fresh)).cancel();
      else await this.producer.initIdempotentProducer(fresh);
    } catch (error) {
      throw kafkaError(error);
    }
  }

  async disconnect(): Promise<void> {
    await this.producer.close();
  }

  /**
   * Sends are serialized across every task of the worker, so a task that stopped must not
   * hold the others back: its resends end with its stop.
   */
  sendBatch(batch: ProducerBatch, stop?: AbortSignal): Promise<RecordMetadata[]> {
    return this.serialized(() =>
      untilDelivered(() => sendInRuns(batch, (options) => this.producer.send(options)), {
        deliveryTimeoutMs: this.deliveryTimeoutMs,
        stop,
      }),
    );
  }

  async transaction(): Promise<ProducerTransaction> {
    const transaction = await this.producer.beginTransaction().catch((error: unknown) => {
      throw kafkaError(error);
    });
    return {
      sendBatch: (batch) => this.serialized(() => sendInRuns(batch, (options) => transaction.send(options))),
      commit: () => this.serialized(() => transaction.commit()).then(() => undefined),
      abort: () => this.serialized(() => transaction.abort()).then(() => undefined),
    };
  }

  private roundRobin(topic: string): number {
    const next = ((this.counters.get(topic) ?? randomInt(0x7fffffff)) + 1) & 0x7fffffff;
    this.counters.set(topic, next);
    return next;
  }

  private serialized(send: () => Promise<unknown>): Promise<RecordMetadata[]> {
    const run = this.tail.catch(() => undefined).then(send);
    this.tail = run;
    return run.then(
      () => [],
      (error: unknown) => {
        throw kafkaError(error);
      },
    );
  }
}

/** Kafka's own producer default (delivery.timeout.ms): how long a broker may say "retry". */
const defaultDeliveryTimeoutMs = 120_000;

/**
 * Sends until the broker accepts, while it answers with an error its protocol calls
 * retriable (a partition between leaders after a broker restart, a leader moving) and the
 * delivery timeout has not run out, as Kafka's producer does. The client's own few quick
 * retries end well before a leader election does. A lost connection is not retried here:
 * the runner rides that out for as long as it lasts and stops when told to; nor is the send
 * of a task that stopped (`stop`). Resending is
 * safe: a refused request advanced no sequence number, so the broker writes it once.
 */
export async function untilDelivered(
  send: () => Promise<void>,
  {
    deliveryTimeoutMs,
    stop,
    sleep = (ms) => new Promise((r) => setTimeout(r, ms)),
  }: {
    readonly deliveryTimeoutMs: number;
    readonly stop?: AbortSignal | undefined;
    readonly sleep?: (ms: number) => Promise<void>;
  },
): Promise<void> {
  const deadline = Date.now() + deliveryTimeoutMs;
  for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 1000)) {
    try {
      return await send();
    } catch (error) {
      const classified = kafkaError(error);
      const brokerSaysRetry = classified.retriable && classified.name !== 'KafkaConnectionError';
      if (!brokerSaysRetry || stop?.aborted || Date.now() + delayMs > deadline) throw error;
      await sleep(delayMs);
    }
  }
}

type ProduceMessage = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;
interface SendOptions {
  messages: ProduceMessage[];
  compression?: 'gzip';
}

/**
 * The client writes each record's timestamp as a delta from its batch's first, and its
 * zigzag encoding is only right below 2^31 ms (about 24.8 days) either way. Every message
 * gets an explicit timestamp (the client would use now) and a request whose timestamps
 * span more is sent as consecutive runs that do not, in order.
 */
async function sendInRuns(
  batch: ProducerBatch,
  send: (options: SendOptions) => Promise<unknown>,
): Promise<void> {
  const messages: ProduceMessage[] = [];
  const now = BigInt(Date.now());
  for (const { topic, messages: list } of batch.topicMessages ?? []) {
    for (const message of list) messages.push(toProduce(topic, message, now));
  }
  const compression = batch.compression === CompressionTypes.GZIP ? { compression: 'gzip' as const } : {};
  for (const run of timestampRuns(messages)) await send({ messages: run, ...compression });
}

const maxTimestampSpan = 2n ** 31n - 1n;

/** Consecutive runs of messages whose timestamps span less than 2^31 ms (usually one run). */
export function timestampRuns<M extends { timestamp?: bigint }>(messages: readonly M[]): M[][] {
  const runs: M[][] = [];
  let run: M[] = [];
  let min = 0n;
  let max = 0n;
  for (const message of messages) {
    const ts = message.timestamp ?? 0n;
    const lo = ts < min ? ts : min;
    const hi = ts > max ? ts : max;
    if (run.length === 0 || hi - lo > maxTimestampSpan) {
      if (run.length > 0) runs.push(run);
      run = [];
      min = max = ts;
    } else {
      min = lo;
      max = hi;
    }
    run.push(message);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function toProduce(topic: string, message: Message, now: bigint): ProduceMessage {
  const out: ProduceMessage = { topic };
  if (message.key !== null && message.key !== undefined) out.key = bytes(message.key);
  if (message.value !== null) out.value = bytes(message.value);
  if (typeof message.partition === 'number') out.partition = message.partition;
  out.timestamp = message.timestamp === undefined ? now : BigInt(message.timestamp);
  if (message.headers) {
    // Distinct key buffers: a header repeated under one name stays repeated.
    const headers = new Map<Buffer, Buffer>();
    for (const [name, value] of Object.entries(message.headers)) {
      for (const v of Array.isArray(value) ? value : [value]) {
        if (v !== undefined) headers.set(Buffer.from(name), bytes(v));
      }
    }
    out.headers = headers;
  }
  return out;
}

function bytes(value: Buffer | string): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value);
}

/**
 * Kafka's error as the runtime classifies them (errors.ts, unproducible-record.ts): the
 * broker's error name as `type` (MESSAGE_TOO_LARGE, …), `retriable` as the protocol says,
 * and a lost or timed-out connection named as one. The client reports per-broker
 * failures as an aggregate; the first broker error found is the one that matters.
 */
export function kafkaError(error: unknown): KafkaProduceError {
  const leaf = firstLeaf(error);
  const fields = leaf as { code?: unknown; apiId?: unknown; canRetry?: unknown; message?: unknown };
  const top = error instanceof Error ? error.message : String(error);
  const detail = typeof fields.message === 'string' && fields.message !== top ? `: ${fields.message}` : '';
  const wrapped = new KafkaProduceError(`${top}${detail}`, { cause: error });
  if (typeof fields.apiId === 'string') wrapped.type = fields.apiId;
  wrapped.retriable = fields.canRetry === true;
  if (fields.code === 'PLT_KFK_NETWORK' || fields.code === 'PLT_KFK_TIMEOUT') {
    wrapped.name = 'KafkaConnectionError';
    wrapped.retriable = true;
  }
  return wrapped;
}

function firstLeaf(error: unknown): unknown {
  let e = error;
  for (let depth = 0; depth < 10; depth++) {
    if (e instanceof MultipleErrors || e instanceof AggregateError) {
      const first = (e as AggregateError).errors[0] as unknown;
      if (first === undefined) return e;
      e = first;
    } else if (e instanceof Error && (e as { code?: unknown }).code === 'PLT_KFK_USER' && e.cause) {
      e = e.cause;
    } else {
      return e;
    }
  }
  return e;
}

export class KafkaProduceError extends Error {
  type: string | undefined;
  retriable = false;
}
