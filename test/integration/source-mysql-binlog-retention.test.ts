import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { plugin } from '../../connectors/source-mysql/index.js';
import { parseConfig } from '../../runtime/config/config-parser.js';
import { TestMetrics, uniqueName } from '../support/plugin-test-kit.js';
import { connectorConfig, mariadbOptions } from './source-mysql-harness.js';

/**
 * The MySQL source's retention probe against real MariaDB: from a committed offset it
 * reports the binlog files still needed, their bytes and the bytes behind as the server
 * lists them (SHOW BINARY LOGS), and a purged offset file as lost.
 */
const database = uniqueName('siphon_retention');
let admin: mysql.Connection;

before(async () => {
  admin = await mysql.createConnection(mariadbOptions);
  await admin.query(`CREATE DATABASE \`${database}\``);
});

after(async () => {
  await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await admin.end();
});

test('binlog files needed, bytes retained and behind follow SHOW BINARY LOGS', async () => {
  const parsed = parseConfig(plugin.configDef, connectorConfig(database));
  assert.equal(parsed.errors.size, 0);
  const metrics = new TestMetrics();
  const probe = plugin.retentionProbe?.(parsed.values, 'mysql-retention-it', metrics);
  assert.ok(probe);
  try {
    const [logs] = await admin.query<RowDataPacket[]>('SHOW BINARY LOGS');
    const last = logs.at(-1)!;
    const partition = { server: database };
    assert.equal(await probe.measure([]), null, 'no offset: nothing is kept for the connector');

    const sample = await probe.measure([{ partition, offset: { file: String(last.Log_name), pos: 4 } }]);
    const [after] = await admin.query<RowDataPacket[]>('SHOW BINARY LOGS');
    const size = (name: string) => Number(after.find((l) => l.Log_name === name)?.File_size);
    assert.ok(sample);
    assert.equal(sample.holder, String(last.Log_name));
    assert.equal(sample.lost, false);
    assert.equal(
      sample.details.files_needed,
      after.filter((l) => String(l.Log_name) >= String(last.Log_name)).length,
    );
    assert.ok(sample.retainedBytes >= size(String(last.Log_name)) * 0.95);
    assert.equal(sample.behindBytes, sample.retainedBytes - 4);

    const gone = await probe.measure([{ partition, offset: { file: 'mysql-bin.000000', pos: 4 } }]);
    assert.equal(gone?.lost, true, 'an offset file the server no longer has');
    const measured = await metrics.registry.getMetricsAsJSON();
    assert.ok(
      measured
        .find((m) => m.name === 'siphon_source_mysql_binlog_files_needed')
        ?.values.some((v) => v.labels.connector === 'mysql-retention-it'),
    );
  } finally {
    await probe.close();
  }
});
