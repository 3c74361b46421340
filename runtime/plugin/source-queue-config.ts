import { atLeast, defineConfig, type KeySpecs } from './define-config.js';

/**
 * The keys bounding a source task's queue and batches, defined once: the runtime's
 * source task runner reads them for every source connector, and the CDC sources, which
 * batch and queue with the same limits, declare these same definitions in their ConfigDef.
 */
export const sourceQueueKeySpecs = {
  'max.batch.size': {
    type: 'int',
    default: 2048,
    importance: 'low',
    group: 'Runtime',
    documentation:
      'Most records in one batch: handed from the source reader to the runtime, and produced to Kafka.',
    validator: atLeast(1),
  },
  'max.queue.size': {
    type: 'int',
    default: 8192,
    importance: 'low',
    group: 'Runtime',
    documentation:
      'Most records waiting between the source reader and Kafka before emit() waits (backpressure); must exceed max.batch.size.',
    validator: (value, config) => {
      const batch = config['max.batch.size'];
      return (
        atLeast(1)(value, config) ??
        (typeof value === 'number' && typeof batch === 'number' && value <= batch
          ? `max.queue.size (${value}) must be larger than max.batch.size (${batch}); raise max.queue.size`
          : undefined)
      );
    },
  },
  'max.queue.size.in.bytes': {
    type: 'long',
    default: 8388608,
    importance: 'low',
    group: 'Runtime',
    documentation:
      "Most bytes of records (the runtime's estimate of their size in memory) waiting before emit() waits; 0: bounded by max.queue.size only (Debezium's default). The default, 8 MiB, keeps wide rows from filling the worker's memory (8192 rows of 100 KB would hold 800 MB) and measured faster than deeper queues (fewer records live across garbage collections); a record larger than this still passes, alone.",
    validator: atLeast(0),
  },
} as const satisfies KeySpecs;

/** The queue keys typed, for the runtime's source task runner. */
export const sourceQueueConfig = defineConfig(sourceQueueKeySpecs);
