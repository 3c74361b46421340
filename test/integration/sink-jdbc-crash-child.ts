// Runs the JDBC sink task in its own process over a fixed stream of ledger records, so the
// exactly-once test can kill -9 it mid-batch and start it again. Arguments come as env:
// SINK_URL, SINK_TOPIC, SINK_NAME, SINK_TOTAL, SINK_BATCH.
import { int32, int64, struct } from '../../runtime/record/index.js';
import { EventFactory, startTask } from './sink-jdbc-harness.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

export const ledgerSchema = struct('srv.public.ledger.Value', [
  ['entry', int32()],
  ['amount', int64()],
]);

const topic = env('SINK_TOPIC');
const total = Number(env('SINK_TOTAL'));
const batch = Number(env('SINK_BATCH'));
const events = new EventFactory(
  topic,
  struct('srv.public.ledger.Key', [['entry', int32()]]),
  ledgerSchema,
  'ledger',
);
const records = Array.from({ length: total }, (_, i) =>
  events.event('c', { entry: i }, null, { entry: i, amount: BigInt(i) * 3n }),
);

const { task } = await startTask(
  {
    'connection.url': env('SINK_URL'),
    'insert.mode': 'insert',
    'primary.key.mode': 'none',
    'exactly.once': 'true',
    'table.name.format': 'ledger',
    'batch.size': String(batch),
    mappings: JSON.stringify([{ match: { topic }, values: { src_offset: '${offset}' } }]),
  },
  { name: env('SINK_NAME') },
);
const next = (await task.open?.([{ topic, partition: 0 }]))?.get(`${topic}:0`) ?? 0n;
// Like a consumer that restarts from the last Kafka-committed offset (never committed here): from the beginning.
for (let start = 0; start < total; start += batch) await task.put(records.slice(start, start + batch));
await task.stop();
process.stdout.write(`done from ${next}\n`);
