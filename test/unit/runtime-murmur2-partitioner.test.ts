import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { describe, it } from 'node:test';
import { Partitioners, type Message, type PartitionMetadata } from 'kafkajs';
import { murmur2, murmur2Partitioner } from '../../runtime/worker/murmur2-partitioner.js';

const partitions = (count: number, leaderless: readonly number[] = []): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 1,
    replicas: [1],
    isr: [1],
  }));

describe('murmur2 partitioner', () => {
  it("hashes like Kafka's Java client (its published test vectors)", () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) assert.equal(murmur2(Buffer.from(key)), hash, key);
  });

  it("assigns every keyed message the partition kafkajs's default partitioner assigns", () => {
    const theirs = Partitioners.DefaultPartitioner();
    const ours = murmur2Partitioner();
    for (let i = 0; i < 20_000; i++) {
      const count = randomInt(1, 200);
      const metadata = partitions(count, [randomInt(0, count)]);
      // Every length class (0–3 trailing bytes), empty keys and string keys included.
      const bytes = randomBytes(randomInt(0, 80));
      const key = i % 5 === 0 ? bytes.toString('base64') : bytes;
      const message: Message = { key, value: null };
      const args = { topic: 't', partitionMetadata: metadata, message };
      assert.equal(ours(args), theirs(args), `key ${bytes.toString('hex')}, ${count} partitions`);
    }
  });

  it("keeps a message's own partition", () => {
    const ours = murmur2Partitioner();
    const message: Message = { key: 'k', value: null, partition: 7 };
    assert.equal(ours({ topic: 't', partitionMetadata: partitions(3), message }), 7);
  });

  it('sends keyless messages round-robin over the partitions that have a leader', () => {
    const ours = murmur2Partitioner();
    const metadata = partitions(6, [1, 4]);
    const keyless = (topic: string) => ours({ topic, partitionMetadata: metadata, message: { value: 'v' } });
    const picked = Array.from({ length: 12 }, () => keyless('t'));
    const available = [0, 2, 3, 5];
    const start = available.indexOf(picked[0]!);
    assert.ok(start >= 0, `picked a leaderless partition: ${picked[0]}`);
    assert.deepEqual(
      picked,
      picked.map((_, i) => available[(start + i) % available.length]),
    );
    // Each topic has its own counter: another topic's traffic does not move this one's.
    const next = available[(start + picked.length) % available.length];
    keyless('other');
    assert.equal(keyless('t'), next);
  });

  it('gives a keyless message some partition when none has a leader', () => {
    const ours = murmur2Partitioner();
    const metadata = partitions(3, [0, 1, 2]);
    const partition = ours({ topic: 't', partitionMetadata: metadata, message: { value: 'v' } });
    assert.ok(partition >= 0 && partition < 3);
  });
});
