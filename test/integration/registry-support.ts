import { Kafka, logLevel } from 'kafkajs';
import { startSchemaRegistry, type RunningSchemaRegistry } from '../../runtime/registry/index.js';
import { localStack } from '../support/local-stack.js';
import { quietLogger, uniqueName } from '../support/plugin-test-kit.js';

/** A Kafka client and a unique `_schemas` topic per test file; `cleanup` deletes the topic. */
export function registryFixture(prefix: string) {
  const kafka = new Kafka({
    clientId: prefix,
    brokers: [...localStack.kafkaBrokers],
    logLevel: logLevel.NOTHING,
  });
  const topic = uniqueName(`${prefix}_schemas`);
  const running: RunningSchemaRegistry[] = [];
  return {
    kafka,
    topic,
    async start(): Promise<RunningSchemaRegistry> {
      const registry = await startSchemaRegistry({
        host: '127.0.0.1',
        port: 0,
        kafka,
        topic,
        logger: quietLogger,
      });
      running.push(registry);
      return registry;
    },
    async cleanup(): Promise<void> {
      await Promise.all(running.map((r) => r.close()));
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/** A raw call to the registry's REST API: status and parsed body. */
export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown; contentType: string | null }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? null : JSON.parse(text),
    contentType: response.headers.get('content-type'),
  };
}
