// The local MariaDB writes a row-based binlog that zongji reads by file and position.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import ZongJi from '@vlasky/zongji';
import type { AnyBinlogEvent, DeleteRowsEvent, UpdateRowsEvent, WriteRowsEvent } from '@vlasky/zongji';
import { localStack } from '../support/local-stack.js';
import { uniqueName } from '../support/plugin-test-kit.js';

const database = uniqueName('siphon_t_stack');
let db: mysql.Connection;

before(async () => {
  db = await mysql.createConnection({ ...localStack.mariadb, password: '' });
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    'SELECT @@log_bin AS logBin, @@binlog_format AS format, @@binlog_row_image AS image',
  );
  assert.deepEqual({ ...rows[0] }, { logBin: 1, format: 'ROW', image: 'FULL' }, 'run npm run stack:up first');
  await db.query(`CREATE DATABASE ${database}`);
  await db.query(`CREATE TABLE ${database}.products (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL)`);
});

after(async () => {
  await db.query(`DROP DATABASE IF EXISTS ${database}`);
  await db.end();
});

test('insert, update and delete arrive as row events from the binlog position taken before them', async () => {
  const [status] = await db.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
  const { File: filename, Position: position } = status[0] as { File: string; Position: number };
  await db.query(`INSERT INTO ${database}.products VALUES (1, 'lamp')`);
  await db.query(`UPDATE ${database}.products SET name = 'desk lamp' WHERE id = 1`);
  await db.query(`DELETE FROM ${database}.products WHERE id = 1`);

  const zongji = new ZongJi({ ...localStack.mariadb, password: '' });
  const seen: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only saw ${seen.join(', ')} in 20s`)), 20_000);
      zongji.on('error', reject);
      zongji.on('binlog', (event: AnyBinlogEvent) => {
        // getEventName() does not narrow the union, hence the casts.
        const name = event.getEventName();
        if (name === 'writerows') seen.push(`insert ${String((event as WriteRowsEvent).rows[0]?.name)}`);
        if (name === 'updaterows')
          seen.push(`update ${String((event as UpdateRowsEvent).rows[0]?.after.name)}`);
        if (name === 'deleterows') seen.push(`delete ${String((event as DeleteRowsEvent).rows[0]?.id)}`);
        if (seen.length === 3) {
          clearTimeout(timer);
          resolve();
        }
      });
      zongji.start({
        // A server id no other binlog reader on this server uses.
        serverId: randomInt(100_000, 2_000_000_000),
        filename,
        position,
        includeEvents: ['tablemap', 'writerows', 'updaterows', 'deleterows'],
        includeSchema: { [database]: ['products'] },
      });
    });
  } finally {
    await new Promise<void>((resolve) => {
      zongji.once('stopped', () => resolve());
      zongji.stop();
    });
  }
  assert.deepEqual(seen, ['insert lamp', 'update desk lamp', 'delete 1']);
});
