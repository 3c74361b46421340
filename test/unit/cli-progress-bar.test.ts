import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeProgress, snapshotting } from '../../runtime/cli/progress-bar.js';
import { SnapshotProgressReporter, tableProgressFields } from '../../runtime/cdc/snapshot-progress.js';

test('one progress shape: percent, rows per second and ETA from rows done over time', () => {
  const fields = tableProgressFields(
    { table: 'public.orders', tableNumber: 2, tables: 5, rowsDone: 2500, rowsEstimated: 10000 },
    5000,
  );
  assert.deepEqual(fields, {
    phase: 'snapshot',
    table: 'public.orders',
    table_number: 2,
    tables: 5,
    rows_done: 2500,
    rows_estimated: 10000,
    percent: 25,
    rows_per_second: 500,
    eta_seconds: 15,
  });
  // An estimate below what was read (stale statistics) never shows more than 100 %.
  const over = tableProgressFields(
    { table: 't', tableNumber: 1, tables: 1, rowsDone: 120, rowsEstimated: 100 },
    1000,
  );
  assert.equal(over.percent, 100);
  assert.equal(over.rows_estimated, 120);
  assert.equal(over.eta_seconds, 0);
});

test('the reporter times each table from its first report and ends with the phase', () => {
  const reports: Record<string, string | number>[] = [];
  let now = 0;
  const reporter = new SnapshotProgressReporter(
    { connectorName: 'c', reportProgress: (p) => reports.push({ ...p }) },
    null,
    'Initial Snapshot',
    () => now,
  );
  reporter.table({ table: 'a', tableNumber: 1, tables: 2, rowsDone: 100, rowsEstimated: 300 });
  now = 1000;
  reporter.table({ table: 'a', tableNumber: 1, tables: 2, rowsDone: 200, rowsEstimated: 300 });
  reporter.table(
    { table: 'b', tableNumber: 2, tables: 2, rowsDone: 10, rowsEstimated: 10 },
    { chunks_done: 1 },
  );
  reporter.finished('COMPLETED', { phase: 'snapshot completed', tables: 2 });
  assert.equal(reports[0]!.rows_per_second, 0);
  // 100 rows read in the second since the table's first report.
  assert.equal(reports[1]!.rows_per_second, 100);
  assert.equal(reports[1]!.eta_seconds, 1);
  assert.equal(reports[2]!.chunks_done, 1);
  assert.deepEqual(reports[3], { phase: 'snapshot completed', tables: 2 });
});

test('the CLI draws a bar with percent, rows, rate and ETA, then the other fields', () => {
  const line = describeProgress({
    ...tableProgressFields(
      { table: 'public.orders', tableNumber: 2, tables: 5, rowsDone: 2500, rowsEstimated: 10000 },
      5000,
    ),
    chunks_done: 3,
  });
  assert.equal(
    line,
    'public.orders (2/5) [#####---------------] 25.0% 2500/10000 rows, 500 rows/s ETA 15s phase=snapshot chunks_done=3',
  );
  assert.equal(describeProgress({ emitted: 7 }), 'emitted=7');
  assert.equal(describeProgress(undefined), '');
  assert.ok(snapshotting({ phase: 'snapshot' }));
  assert.ok(snapshotting({ phase: 'incremental snapshot' }));
  assert.ok(!snapshotting({ phase: 'snapshot completed' }));
});

test('a table resumed half-way shows the rate of the rows this run read, not of all done before', () => {
  const reports: Record<string, string | number>[] = [];
  let now = 0;
  const reporter = new SnapshotProgressReporter(
    { connectorName: 'c', reportProgress: (p) => reports.push({ ...p }) },
    null,
    'Incremental Snapshot',
    () => now,
  );
  reporter.table({ table: 'b', tableNumber: 1, tables: 1, rowsDone: 145_000, rowsEstimated: 300_000 });
  now = 2000;
  reporter.table({ table: 'b', tableNumber: 1, tables: 1, rowsDone: 165_000, rowsEstimated: 300_000 });
  assert.equal(reports[1]!.rows_per_second, 10_000);
  assert.equal(reports[1]!.eta_seconds, 14);
});
