import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { JsonConverter } from '../../runtime/converters/json-converter.js';
import type { SourceRecord } from '../../runtime/record/index.js';
import { siphonVersion } from '../../runtime/siphon-version.js';
import { changeRecords, connectorConfig, envelope, startTask, TestDatabase } from './source-mysql-harness.js';

/**
 * Golden test: a MySQL/MariaDB table of the common type families, serialised by the
 * JsonConverter (schemas enabled), compared with what Debezium 3.x's MySQL connector writes
 * according to its documentation ("Data type mappings", "Change event values"; default
 * modes: decimal precise, time.precision.mode adaptive_time_microseconds). Values that
 * differ per run (times, binlog positions) are checked by their relation. Accepted
 * differences are in connectors/source-mysql/README.md under "Differences from Debezium".
 */
const db = new TestDatabase();
let historyTopic = '';

before(async () => {
  await db.create();
  await db.query("SET SESSION time_zone = '+00:00'");
  await db.query(
    `CREATE TABLE ${db.name}.golden (
      id INT PRIMARY KEY, tiny TINYINT NOT NULL, big BIGINT, amount DECIMAL(10,3), d DOUBLE,
      name VARCHAR(20) NOT NULL, txt TEXT, bl BLOB, day DATE, tm TIME(6), dtm DATETIME(6),
      dtm3 DATETIME(3), ts TIMESTAMP(3) NULL, size ENUM('small','large'), flag BIT(1))`,
  );
  await db.query(
    `INSERT INTO ${db.name}.golden VALUES (1, -5, 9223372036854775807, -1234.5, 3.25, 'héllo', 'long', x'deadbeef',
      '2024-02-29', '12:30:00.5', '2024-02-29 13:45:07.123456', '2024-02-29 13:45:07.123',
      '2024-02-29 13:45:05.000', 'large', b'1')`,
  );
});

after(async () => {
  await db.drop([historyTopic]);
});

const rowFields =
  '[{"type":"int32","optional":false,"field":"id"},' +
  '{"type":"int16","optional":false,"field":"tiny"},' +
  '{"type":"int64","optional":true,"field":"big"},' +
  '{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"3","connect.decimal.precision":"10"},"field":"amount"},' +
  '{"type":"double","optional":true,"field":"d"},' +
  '{"type":"string","optional":false,"field":"name"},' +
  '{"type":"string","optional":true,"field":"txt"},' +
  '{"type":"bytes","optional":true,"field":"bl"},' +
  '{"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1,"field":"day"},' +
  '{"type":"int64","optional":true,"name":"io.debezium.time.MicroTime","version":1,"field":"tm"},' +
  '{"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,"field":"dtm"},' +
  '{"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"field":"dtm3"},' +
  '{"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"ts"},' +
  '{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"small,large"},"field":"size"},' +
  '{"type":"boolean","optional":true,"field":"flag"}]';

const sourceFields =
  '[{"type":"string","optional":false,"field":"version"},' +
  '{"type":"string","optional":false,"field":"connector"},' +
  '{"type":"string","optional":false,"field":"name"},' +
  '{"type":"int64","optional":false,"field":"ts_ms"},' +
  '{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},' +
  '{"type":"string","optional":false,"field":"db"},' +
  '{"type":"string","optional":true,"field":"sequence"},' +
  '{"type":"int64","optional":true,"field":"ts_us"},' +
  '{"type":"int64","optional":true,"field":"ts_ns"},' +
  '{"type":"string","optional":true,"field":"table"},' +
  '{"type":"int64","optional":false,"field":"server_id"},' +
  '{"type":"string","optional":true,"field":"gtid"},' +
  '{"type":"string","optional":false,"field":"file"},' +
  '{"type":"int64","optional":false,"field":"pos"},' +
  '{"type":"int32","optional":false,"field":"row"},' +
  '{"type":"int64","optional":true,"field":"thread"},' +
  '{"type":"string","optional":true,"field":"query"}]';

const expectedValueSchema = (prefix: string) =>
  '{"type":"struct","fields":[' +
  `{"type":"struct","fields":${rowFields},"optional":true,"name":"${prefix}.Value","field":"before"},` +
  `{"type":"struct","fields":${rowFields},"optional":true,"name":"${prefix}.Value","field":"after"},` +
  `{"type":"struct","fields":${sourceFields},"optional":false,"name":"io.debezium.connector.mysql.Source","version":1,"field":"source"},` +
  '{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"},' +
  '{"type":"string","optional":false,"field":"op"},' +
  '{"type":"int64","optional":true,"field":"ts_ms"},' +
  '{"type":"int64","optional":true,"field":"ts_us"},' +
  '{"type":"int64","optional":true,"field":"ts_ns"}' +
  `],"optional":false,"name":"${prefix}.Envelope","version":2}`;

const expectedRow = (id: number) =>
  `{"id":${id},"tiny":-5,"big":9223372036854775807,"amount":"7Sm8","d":3.25,"name":"héllo","txt":"long",` +
  '"bl":"3q2+7w==","day":19782,"tm":45000500000,"dtm":1709214307123456,"dtm3":1709214307123,' +
  '"ts":"2024-02-29T13:45:05.000Z","size":"large","flag":true}';

test('MySQL key and value schemas and values are Debezium 3.x output', { timeout: 120_000 }, async () => {
  const raw = connectorConfig(db.name);
  historyTopic = raw['schema.history.internal.kafka.topic']!;
  const topic = `${db.name}.${db.name}.golden`;
  const task = startTask(raw);
  const json = new JsonConverter();
  const text = async (record: SourceRecord) => ({
    key: (await json.fromConnectData(topic, record.keySchema, record.key))!.toString('utf8'),
    value: (await json.fromConnectData(topic, record.valueSchema, record.value))!.toString('utf8'),
  });
  try {
    const snapshot = await task.collect((all) => changeRecords(all, topic).length >= 1);
    await db.query(
      `INSERT INTO ${db.name}.golden SELECT 2, tiny, big, amount, d, name, txt, bl, day, tm, dtm, dtm3, ts, size, flag FROM ${db.name}.golden WHERE id = 1`,
    );
    const all = await task.collect((records) => changeRecords(records, topic).length >= 2);
    for (const [record, id, op] of [
      [changeRecords(snapshot, topic)[0]!, 1, 'r'],
      [changeRecords(all, topic)[1]!, 2, 'c'],
    ] as const) {
      const { key, value } = await text(record);
      assert.equal(
        key,
        `{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"${topic}.Key"},"payload":{"id":${id}}}`,
      );
      const payloadAt = value.lastIndexOf(',"payload":');
      assert.equal(value.slice('{"schema":'.length, payloadAt), expectedValueSchema(topic));
      const payload = value.slice(payloadAt + ',"payload":'.length, -1);
      assert.ok(
        payload.startsWith(`{"before":null,"after":${expectedRow(id)},"source":{`),
        payload.slice(0, 600),
      );
      const event = envelope(record);
      assert.equal(event.op, op);
      const source = event.source;
      assert.equal(source['version'], siphonVersion);
      assert.equal(source['connector'], 'mysql');
      assert.equal(source['snapshot'], op === 'r' ? 'last' : 'false');
      assert.equal(source['db'], db.name);
      assert.equal(source['table'], 'golden');
      assert.equal(source['ts_us'], (source['ts_ms'] as bigint) * 1000n);
      assert.equal(source['ts_ns'], (source['ts_us'] as bigint) * 1000n);
      const v = record.value as { ts_ms: bigint; ts_us: bigint; ts_ns: bigint };
      assert.equal(v.ts_us / 1000n, v.ts_ms);
      assert.equal(v.ts_ns, v.ts_us * 1000n);
    }
  } finally {
    await task.stop();
  }
});
