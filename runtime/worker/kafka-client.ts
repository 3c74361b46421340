import { readFileSync } from 'node:fs';
import {
  Kafka,
  logLevel,
  type KafkaConfig,
  type Producer,
  type ProducerConfig,
  type SASLOptions,
} from 'kafkajs';
import type { WorkerConfig, WorkerKeyOf } from '../config/worker-config.js';
import type { Logger } from '../logging/logger.js';
import { murmur2Partitioner } from './murmur2-partitioner.js';

/** Builds the worker's kafkajs client from the worker config (bootstrap, SASL, TLS). */
export function createKafka(config: WorkerConfig, logger: Logger): Kafka {
  const protocol = config.string('security.protocol');
  const kafkaConfig: KafkaConfig = {
    clientId: config.string('client.id'),
    brokers: [...config.list('bootstrap.servers')],
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        // kafkajs repeats its own timestamp and logger name in every entry.
        const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
        // kafkajs reports transient broker errors at ERROR before retrying them.
        if (level <= logLevel.WARN) logger.warn(`kafka: ${message}`, fields);
      },
  };
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const read = (name: WorkerKeyOf<string | null>) => {
      const path = config.optionalString(name);
      return path ? readFileSync(path, 'utf8') : undefined;
    };
    kafkaConfig.ssl = {
      ca: read('ssl.ca.location'),
      cert: read('ssl.certificate.location'),
      key: read('ssl.key.location'),
      passphrase: config.optionalString('ssl.key.password') ?? undefined,
    };
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const username = config.optionalString('sasl.username') ?? '';
    const password = config.optionalString('sasl.password') ?? '';
    const mechanism = config.string('sasl.mechanism').toLowerCase();
    kafkaConfig.sasl = { mechanism, username, password } as SASLOptions;
  }
  return new Kafka(kafkaConfig);
}

/** Producers partition keys with murmur2, like the Java client, so keys land where Kafka Connect's would. */
export function createProducer(kafka: Kafka, config: ProducerConfig = {}): Producer {
  return kafka.producer({ createPartitioner: murmur2Partitioner, ...config });
}
