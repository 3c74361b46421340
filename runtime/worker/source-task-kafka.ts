import type { Kafka } from 'kafkajs';
import { TopicLog } from '../stores/topic-log.js';
import { createProducer } from './kafka-client.js';
import type { SourceTaskKafka } from './task-ports.js';

/** A source task's producers and durable logs on the worker's cluster, with its client settings. */
export function sourceTaskKafka(kafka: Kafka): SourceTaskKafka {
  return {
    transactionalProducer: (transactionalId) =>
      createProducer(kafka, { transactionalId, idempotent: true, maxInFlightRequests: 1 }),
    durableLog: (topic, logger) => new TopicLog(kafka, topic, logger),
  };
}
