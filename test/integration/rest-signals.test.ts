// Debezium's signals through the REST API (the `rest` channel) against a real worker: the
// body is checked and the worker answers with what was sent; a signal reaches the worker
// running the connector's task 0; a connector with no running task refuses it (409).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deleteTopics, eventually, uniqueNames, WorkerProcess } from '../fixtures/worker-harness.js';

const names = uniqueNames('rest-signals');
const connector = `${names.group}-counter`;
let worker: WorkerProcess;

before(async () => {
  worker = await WorkerProcess.start(names);
  const created = await worker.api('POST', '/connectors', {
    name: connector,
    config: { 'connector.class': 'counter', topic: `${names.group}-data`, 'interval.ms': '200' },
  });
  assert.equal(created.status, 201, created.text);
  await eventually('the task running', async () => {
    const status = await worker.api('GET', `/connectors/${connector}/status`);
    return (status.json as { tasks: { state: string }[] }).tasks[0]?.state === 'RUNNING';
  });
});

after(async () => {
  if (worker) {
    worker.kill('SIGTERM');
    await worker.waitForExit();
  }
  await deleteTopics(names.group);
});

test('a snapshot request reaches the task and answers with the signal it sent', async () => {
  const sent = await worker.api('POST', `/connectors/${connector}/snapshots`, {
    'data-collections': ['public.orders'],
  });
  assert.equal(sent.status, 202, sent.text);
  const body = sent.json as { id: string; type: string; data: Record<string, unknown> };
  assert.equal(body.type, 'execute-snapshot');
  assert.deepEqual(body.data, { type: 'incremental', 'data-collections': ['public.orders'] });
  await eventually('the worker delivered it to the task', async () =>
    worker.lines.some((l) => l.includes('signal delivered to the task') && l.includes(body.id)),
  );
});

test('a signal body that says nothing usable is refused, naming what is missing', async () => {
  const noTables = await worker.api('POST', `/connectors/${connector}/snapshots`, { type: 'incremental' });
  assert.equal(noTables.status, 400);
  assert.match(noTables.text, /data-collections/);
  const badType = await worker.api('POST', `/connectors/${connector}/snapshots`, {
    type: 'sideways',
    'data-collections': ['public.orders'],
  });
  assert.equal(badType.status, 400);
  assert.match(badType.text, /sideways/);
  const noSignalType = await worker.api('POST', `/connectors/${connector}/signals`, { data: {} });
  assert.equal(noSignalType.status, 400);
  assert.match(noSignalType.text, /A signal needs a .*type/);
  const unknown = await worker.api('POST', '/connectors/nope/signals', { type: 'stop-snapshot' });
  assert.equal(unknown.status, 404);
});

test('a connector with no running task refuses a signal (409)', async () => {
  assert.equal((await worker.api('PUT', `/connectors/${connector}/pause`)).status, 202);
  await eventually('the task paused', async () => {
    const status = await worker.api('GET', `/connectors/${connector}/status`);
    return (status.json as { tasks: { state: string }[] }).tasks[0]?.state === 'PAUSED';
  });
  const refused = await worker.api('POST', `/connectors/${connector}/signals`, { type: 'stop-snapshot' });
  assert.equal(refused.status, 409, refused.text);
  assert.match(refused.text, /no RUNNING task/);
});
