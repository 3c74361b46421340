import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { deleteTopics, eventually, uniqueNames, WorkerProcess } from '../fixtures/worker-harness.js';
import { SseStream, type StreamedEvent } from '../support/sse-stream.js';

/**
 * GET /events against a real worker: a connector is created paused, resumed (its task then
 * fails as configured), paused and resumed again; a subscriber reads exactly those state
 * changes in order, a reconnect with Last-Event-ID misses none, the config event masks the
 * secret, the stream needs the REST API's token, and `siphon events` follows it.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const names = uniqueNames('ev-stream');
const token = `token-${names.group}`;
const secret = `secret-${names.group}`;
const connector = `${names.group}-counter`;
const auth = { authorization: `Bearer ${token}` };
let worker: WorkerProcess;
const streams: SseStream[] = [];

before(async () => {
  worker = await WorkerProcess.start(names, {
    SIPHON_REST_AUTH_BEARER_TOKEN: token,
    SIPHON_EVENTS_LAG_INTERVAL_MS: '300',
  });
});

after(async () => {
  for (const s of streams) await s.close();
  if (worker) {
    await worker.api('DELETE', `/connectors/${connector}`, undefined, auth).catch(() => undefined);
    worker.kill('SIGTERM');
    await worker.waitForExit();
  }
  await deleteTopics(names.group);
});

const describe = (e: StreamedEvent) =>
  `${e.data.type}${e.data.data?.task === undefined ? '' : `#${String(e.data.data.task)}`}:${String(e.data.data?.state)}`;

async function open(query: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const stream = await SseStream.open(`${worker.url}/events${query}`, { ...auth, ...headers });
  streams.push(stream);
  return stream;
}

test('state changes arrive in order, resume with Last-Event-ID misses none, secrets stay masked', async () => {
  const unauthorized = await fetch(`${worker.url}/events`);
  assert.equal(unauthorized.status, 401);
  await unauthorized.body?.cancel();
  const badType = await worker.api('GET', '/events?types=nope', undefined, auth);
  assert.equal(badType.status, 400);

  const everything = await open('');
  const states = await open(`?connector=${encodeURIComponent(connector)}&types=connector.state,task.state`);
  const created = await worker.api(
    'POST',
    '/connectors',
    {
      name: connector,
      initial_state: 'PAUSED',
      config: { 'connector.class': 'counter', topic: `${names.group}-data`, 'fail.at': '30', secret },
    },
    auth,
  );
  assert.equal(created.status, 201, created.text);
  await states.waitFor(2);
  assert.equal((await worker.api('PUT', `/connectors/${connector}/resume`, undefined, auth)).status, 202);
  await states.waitFor(5);
  assert.equal((await worker.api('PUT', `/connectors/${connector}/pause`, undefined, auth)).status, 202);
  const first = await states.waitFor(7);
  assert.deepEqual(first.map(describe), [
    'connector.state:PAUSED',
    'task.state#0:PAUSED',
    'connector.state:RUNNING',
    'task.state#0:RUNNING',
    'task.state#0:FAILED',
    'connector.state:PAUSED',
    'task.state#0:PAUSED',
  ]);
  assert.match(String(first[4]?.data.data?.trace), /counter failed at 30/);
  const ids = first.map((e) => e.id ?? 0);
  assert.deepEqual(
    [...ids].sort((a, b) => a - b),
    ids,
    'ids increase',
  );
  assert.equal(new Set(ids).size, ids.length);

  // Disconnected while the connector resumes and fails again: the reconnect gets exactly that.
  await states.close();
  const lastId = ids.at(-1) ?? 0;
  const cli = spawn(
    process.execPath,
    [
      resolve(root, 'bin/siphon.js'),
      'events',
      '--connector',
      connector,
      '--types',
      'lag,task.state',
      '--json',
    ],
    {
      env: { ...process.env, SIPHON_URL: worker.url, SIPHON_REST_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let cliOutput = '';
  cli.stdout.on('data', (chunk: Buffer) => (cliOutput += chunk.toString('utf8')));
  try {
    // The CLI follows from "now": it is connected once it printed a lag sample.
    await eventually('the CLI printed a lag sample', async () => /"type":"lag"/.test(cliOutput), 30000);
    assert.equal((await worker.api('PUT', `/connectors/${connector}/resume`, undefined, auth)).status, 202);
    await everything.waitFor(
      1,
      (e) => e.data.type === 'task.state' && e.data.data?.state === 'FAILED' && (e.id ?? 0) > lastId,
    );
    const resumed = await open(
      `?connector=${encodeURIComponent(connector)}&types=connector.state,task.state`,
      { 'last-event-id': String(lastId) },
    );
    const replayed = await resumed.waitFor(3);
    assert.deepEqual(replayed.map(describe), [
      'connector.state:RUNNING',
      'task.state#0:RUNNING',
      'task.state#0:FAILED',
    ]);
    assert.ok(replayed.every((e) => (e.id ?? 0) > lastId));
    assert.ok(!resumed.events.some((e) => e.data.type === 'stream.gap'), 'no gap within the buffer');
    await eventually(
      'siphon events printed the failure',
      async () => /"state":"FAILED"/.test(cliOutput),
      20000,
    );
    const printed = cliOutput
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as StreamedEvent['data']);
    assert.ok(printed.every((e) => ['lag', 'task.state'].includes(e.type) && e.connector === connector));
  } finally {
    cli.kill('SIGTERM');
  }

  const config = everything.events.find((e) => e.data.type === 'connector.config');
  assert.equal(config?.data.data?.action, 'created');
  assert.equal((config?.data.data?.config as Record<string, string>).secret, '[hidden]');
  assert.ok(!everything.raw.includes(secret), 'the secret never appears in the stream');
});

test('GET/PUT /admin/loggers change log levels at run time; GET /connector-plugins/{p}/config', async () => {
  const listed = await worker.api('GET', '/admin/loggers', undefined, auth);
  assert.equal(listed.status, 200);
  const levels = listed.json as Record<string, { level: string }>;
  assert.equal(levels.root?.level, 'INFO');
  assert.ok(levels.worker, 'the worker logger is listed');
  const quiet = await worker.api('PUT', '/admin/loggers/worker', { level: 'ERROR' }, auth);
  assert.equal(quiet.status, 200, quiet.text);
  assert.ok((quiet.json as string[]).includes('worker'));
  const level = await worker.api('GET', '/admin/loggers/worker', undefined, auth);
  assert.equal((level.json as { level: string }).level, 'ERROR');
  const other = `${connector}-quiet`;
  const config = { 'connector.class': 'counter', topic: `${names.group}-data`, limit: '1' };
  assert.equal((await worker.api('POST', '/connectors', { name: other, config }, auth)).status, 201);
  await worker.api('PUT', '/admin/loggers/worker', { level: 'INFO' }, auth);
  assert.equal((await worker.api('DELETE', `/connectors/${other}`, undefined, auth)).status, 204);
  await eventually('the deletion is logged at INFO again', async () =>
    worker.lines.some((l) => l.includes('connector deleted') && l.includes(other)),
  );
  assert.ok(
    !worker.lines.some((l) => l.includes('connector created') && l.includes(other)),
    'quiet at ERROR',
  );
  const bad = await worker.api('PUT', '/admin/loggers/worker', { level: 'LOUD' }, auth);
  assert.equal(bad.status, 400);
  assert.match(String((bad.json as { message: string }).message), /Invalid log level/);

  const keys = await worker.api('GET', '/connector-plugins/counter/config', undefined, auth);
  assert.equal(keys.status, 200);
  const mode = (keys.json as { name: string; recommended_values: string[]; type: string }[]).find(
    (k) => k.name === 'mode',
  );
  assert.deepEqual(mode?.recommended_values, ['normal', 'fast']);
  assert.equal((await worker.api('GET', '/connector-plugins/nope/config', undefined, auth)).status, 404);
});
