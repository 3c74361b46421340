// The local PostgreSQL decodes logically: a pgoutput slot streams insert, update, delete.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import type { Pgoutput } from 'pg-logical-replication';
import { localStack } from '../support/local-stack.js';
import { uniqueName } from '../support/plugin-test-kit.js';

const database = uniqueName('siphon_t_stack');
const slot = uniqueName('siphon_t_slot');
const publication = uniqueName('siphon_t_pub');
const connection = { ...localStack.postgres, database };
let admin: pg.Client;
let db: pg.Client;

before(async () => {
  admin = new pg.Client({ ...localStack.postgres, database: 'postgres' });
  await admin.connect();
  assert.equal(
    (await admin.query('SHOW wal_level')).rows[0].wal_level,
    'logical',
    'run npm run stack:up first',
  );
  await admin.query(`CREATE DATABASE ${database}`);
  db = new pg.Client(connection);
  await db.connect();
  await db.query('CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL)');
  await db.query(`CREATE PUBLICATION ${publication} FOR TABLE customers`);
  await db.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
});

after(async () => {
  await db.query(
    'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
    [slot],
  );
  await db.end();
  await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
  await admin.end();
});

test('insert, update and delete arrive through a pgoutput slot', async () => {
  await db.query(`INSERT INTO customers VALUES (1, 'Ada')`);
  await db.query(`UPDATE customers SET name = 'Ada L.' WHERE id = 1`);
  await db.query('DELETE FROM customers WHERE id = 1');

  const service = new LogicalReplicationService(connection, {
    acknowledge: { auto: false, timeoutSeconds: 0 },
  });
  const changes: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only saw ${changes.join(', ')} in 20s`)), 20_000);
    service.on('data', (_lsn: string, message: Pgoutput.Message) => {
      if (message.tag === 'insert') changes.push(`insert ${message.new.name}`);
      if (message.tag === 'update') changes.push(`update ${message.new.name}`);
      if (message.tag === 'delete') changes.push(`delete ${message.key?.id}`);
      if (changes.length === 3) {
        clearTimeout(timer);
        resolve();
      }
    });
    service.on('error', reject);
  });
  void service
    .subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [publication] }), slot)
    .catch(() => undefined);
  try {
    await done;
  } finally {
    await service.stop();
  }
  assert.deepEqual(changes, ['insert Ada', 'update Ada L.', 'delete 1']);
});
