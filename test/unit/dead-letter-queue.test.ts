import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Producer } from 'kafkajs';
import { DeadLetterQueue } from '../../runtime/worker/dead-letter-queue.js';

describe('dead-letter queue', () => {
  it('a record the dead-letter topic refuses fails naming the record, never skipped unrecorded', async () => {
    const sent: unknown[] = [];
    const producer = {
      send: async (request: unknown) => {
        sent.push(request);
        throw new Error(
          'The request included a message larger than the max message size the server will accept',
        );
      },
    } as unknown as Producer;
    const queue = new DeadLetterQueue(producer, 'shop-dlq', true, 'sink', 0);
    await assert.rejects(
      queue.send({
        topic: 'shop.public.docs',
        partition: 1,
        message: {
          key: null,
          value: Buffer.alloc(1_600_000),
          offset: '42',
          timestamp: '0',
          attributes: 0,
          headers: {},
        },
        stage: 'TASK_PUT',
        executingClass: 'JdbcSinkConnector',
        error: new Error('null value in column "name"'),
      }),
      /cannot write record shop\.public\.docs-1@42 \(1600000 bytes\) to the dead-letter queue shop-dlq: The request included a message larger.*it failed with: null value in column "name"/,
    );
    assert.equal(sent.length, 1);
  });
});
