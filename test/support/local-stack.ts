import { Kafka, logLevel } from 'kafkajs';

/** Addresses of the local stack (deploy/local/stack.sh), overridable for other setups. */
export const localStack = {
  kafkaBrokers: (process.env.SIPHON_TEST_KAFKA ?? '127.0.0.1:9092').split(','),
  postgres: {
    host: process.env.SIPHON_TEST_PGHOST ?? '127.0.0.1',
    port: Number(process.env.SIPHON_TEST_PGPORT ?? 5432),
    user: process.env.SIPHON_TEST_PGUSER ?? 'postgres',
  },
  mariadb: {
    host: process.env.SIPHON_TEST_MYSQL_HOST ?? '127.0.0.1',
    port: Number(process.env.SIPHON_TEST_MYSQL_PORT ?? 3306),
    user: process.env.SIPHON_TEST_MYSQL_USER ?? 'root',
  },
} as const;

/** A kafkajs client of the local stack's broker, for harnesses and clean-up. */
export function localKafka(): Kafka {
  return new Kafka({ brokers: [...localStack.kafkaBrokers], logLevel: logLevel.NOTHING });
}
