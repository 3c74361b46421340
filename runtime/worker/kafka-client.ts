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
import './kafkajs-request-queue-patch.js';
import { murmur2Partitioner } from './murmur2-partitioner.js';
import type { RecordProducerConnection } from './record-producer.js';

interface KafkaSecurity {
  ssl?: { ca?: string; cert?: string; key?: string; passphrase?: string };
  /** `mechanism` as configured (sasl.mechanism's allowed values). */
  sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string };
}

/** TLS and SASL from the worker config (security.protocol, ssl.*, sasl.*), for either client. */
function kafkaSecurity(config: WorkerConfig): KafkaSecurity {
  const protocol = config.string('security.protocol');
  const security: KafkaSecurity = {};
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const read = (name: WorkerKeyOf<string | null>) => {
      const path = config.optionalString(name);
      return path ? readFileSync(path, 'utf8') : undefined;
    };
    security.ssl = {
      ca: read('ssl.ca.location'),
      cert: read('ssl.certificate.location'),
      key: read('ssl.key.location'),
      passphrase: config.optionalString('ssl.key.password') ?? undefined,
    };
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    security.sasl = {
      mechanism: config.string('sasl.mechanism').toUpperCase() as NonNullable<
        KafkaSecurity['sasl']
      >['mechanism'],
      username: config.optionalString('sasl.username') ?? '',
      password: config.optionalString('sasl.password') ?? '',
    };
  }
  return security;
}

/** Builds the worker's kafkajs client from the worker config (bootstrap, SASL, TLS). */
export function createKafka(config: WorkerConfig, logger: Logger): Kafka {
  const { ssl, sasl } = kafkaSecurity(config);
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
  if (ssl) kafkaConfig.ssl = ssl;
  if (sasl) kafkaConfig.sasl = { ...sasl, mechanism: sasl.mechanism.toLowerCase() } as SASLOptions;
  return new Kafka(kafkaConfig);
}

/** The same bootstrap, TLS and SASL settings for the source tasks' record producers. */
export function recordProducerConnection(config: WorkerConfig): RecordProducerConnection {
  const { ssl, sasl } = kafkaSecurity(config);
  const connection: RecordProducerConnection = {
    clientId: config.string('client.id'),
    bootstrapBrokers: [...config.list('bootstrap.servers')],
  };
  if (ssl) connection.tls = ssl;
  if (sasl) connection.sasl = sasl;
  return connection;
}

/** Producers partition keys with murmur2, like the Java client, so keys land where Kafka Connect's would. */
export function createProducer(kafka: Kafka, config: ProducerConfig = {}): Producer {
  return kafka.producer({ createPartitioner: murmur2Partitioner, ...config });
}
