import { runSchemaRegistryMain } from '../../runtime/registry/index.js';
import { localStack } from '../support/local-stack.js';

/**
 * A registry in its own process for kill tests: `node --import tsx registry-process.ts <topic>`
 * prints `{"url": …}` on stdout once it serves.
 */
const topic = process.argv[2];
if (topic === undefined) throw new Error('usage: registry-process.ts <topic>');
const registry = await runSchemaRegistryMain({
  overrides: {
    'bootstrap.servers': localStack.kafkaBrokers.join(','),
    'schema.registry.host': '127.0.0.1',
    'schema.registry.port': '0',
    'schema.registry.topic': topic,
    'log.level': 'warn',
  },
});
process.stdout.write(`${JSON.stringify({ url: registry.url })}\n`);
