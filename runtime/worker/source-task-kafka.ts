import type { Kafka } from 'kafkajs';
import { TopicLog } from '../stores/topic-log.js';
import { RecordProducer, type RecordProducerConnection } from './record-producer.js';
import type { SourceTaskKafka } from './task-ports.js';

/** A source task's producers and durable logs on the worker's cluster, with its client settings. */
export function sourceTaskKafka(kafka: Kafka, connection: RecordProducerConnection): SourceTaskKafka {
  return {
    transactionalProducer: (transactionalId) => new RecordProducer(connection, { transactionalId }),
    durableLog: (topic, logger) => new TopicLog(kafka, topic, logger),
  };
}
