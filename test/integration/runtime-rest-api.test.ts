import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  deleteTopics,
  eventually,
  kafka,
  readTopic,
  uniqueNames,
  WorkerProcess,
} from '../fixtures/worker-harness.js';

/**
 * The worker's REST API against a real worker process and real Kafka: every endpoint,
 * every documented error, pause/resume, offsets (KIP-875), a sink with a dead-letter
 * queue, and secrets that never show up in a response or a log line.
 */
const names = uniqueNames('rt-rest');
const dataTopic = `${names.group}-data`;
const dlqTopic = `${names.group}-dlq`;
const envSecret = `env-secret-${names.group}`;
const literalSecret = `literal-pass-${names.group}`;
const responses: string[] = [];
let worker: WorkerProcess;
let outputDir: string;

type Json = Record<string, unknown> & { error_code?: number; message?: string };

async function call(method: string, path: string, body?: unknown) {
  const response = await worker.api(method, path, body);
  responses.push(response.text);
  return { status: response.status, json: response.json as Json };
}

/** Counter values; the worker's JSON converter writes Kafka Connect's {schema, payload} envelope. */
function counts(messages: { value: Buffer | null }[]): number[] {
  return messages.map((m) => {
    const json = JSON.parse(m.value?.toString() ?? '{}') as { payload?: { count: number }; count?: number };
    return Number((json.payload ?? json).count);
  });
}

async function highWatermark(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

const counter = (name: string, extra: Record<string, string> = {}) => ({
  name,
  config: {
    'connector.class': 'counter',
    topic: dataTopic,
    'value.converter.schemas.enable': 'false',
    ...extra,
  },
});

describe('runtime REST API', { timeout: 120000 }, () => {
  before(async () => {
    outputDir = await mkdtemp(join(tmpdir(), 'siphon-rt-'));
    worker = await WorkerProcess.start(names, { RT_SECRET: envSecret });
  });

  after(async () => {
    worker?.kill('SIGTERM');
    await worker?.waitForExit();
    await deleteTopics(names.group);
    await rm(outputDir, { recursive: true, force: true });
  });

  it('serves the root, health, metrics and plugin list', async () => {
    const root = await call('GET', '/');
    assert.equal(root.status, 200);
    assert.equal(typeof root.json.version, 'string');
    assert.equal(typeof root.json.kafka_cluster_id, 'string');
    assert.equal((await call('GET', '/health')).status, 200);
    const metrics = await fetch(`${worker.url}/metrics`).then((r) => r.text());
    assert.match(metrics, /siphon_source_records_produced_total/);
    const plugins = await call('GET', '/connector-plugins');
    const classes = (plugins.json as unknown as { class: string; type: string }[]).map((p) => p.class);
    assert.ok(classes.includes('siphon.test.CounterSourceConnector'));
    assert.ok(classes.includes('siphon.test.FileSinkConnector'));
  });

  it('rejects bad requests with Kafka Connect errors and stores nothing', async () => {
    const malformed = await worker.api('POST', '/connectors', '{"name": "x", "config": {', {});
    assert.equal(malformed.status, 400);
    assert.equal((malformed.json as Json).error_code, 400);

    const noName = await call('POST', '/connectors', {
      config: { 'connector.class': 'counter', topic: 't' },
    });
    assert.equal(noName.status, 400);
    assert.match(String(noName.json.message), /"name"/);

    const noClass = await call('POST', '/connectors', { name: 'bad', config: { topic: 't' } });
    assert.equal(noClass.status, 400);
    assert.match(String(noClass.json.message), /connector\.class/);

    const unknown = await call('POST', '/connectors', {
      name: 'bad',
      config: { 'connector.class': 'com.acme.Nope' },
    });
    assert.equal(unknown.status, 400);
    assert.match(String(unknown.json.message), /com\.acme\.Nope/);
    assert.match(String(unknown.json.message), /siphon\.test\.CounterSourceConnector/);

    const invalid = await call('POST', '/connectors', {
      name: 'bad',
      config: { 'connector.class': 'counter', 'interval.ms': 'soon', mode: 'weird', 'tasks.max': '0' },
    });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.json.error_code, 400);
    for (const field of ['topic', 'interval.ms', 'mode', 'tasks.max']) {
      assert.match(String(invalid.json.message), new RegExp(field.replace('.', '\\.')));
    }
    assert.match(String(invalid.json.message), /contains the following 4 error/);

    const nameMismatch = await call('POST', '/connectors', {
      name: 'a',
      config: { name: 'b', 'connector.class': 'counter', topic: 't' },
    });
    assert.equal(nameMismatch.status, 400);

    const eos = await call('POST', '/connectors', counter('eos', { 'exactly.once.support': 'required' }));
    assert.equal(eos.status, 400);
    assert.match(String(eos.json.message), /exactly\.once\.source\.support=enabled/);

    assert.deepEqual((await call('GET', '/connectors')).json, []);
  });

  it('creates connectors by class name alias and short name, hides passwords, refuses duplicates', async () => {
    const created = await call(
      'POST',
      '/connectors',
      counter('by-alias', {
        'connector.class': 'io.example.LegacyCounterConnector',
        secret: '${env:RT_SECRET}',
      }),
    );
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal(created.json.type, 'source');
    assert.deepEqual(created.json.tasks, [{ connector: 'by-alias', task: 0 }]);
    assert.equal((created.json.config as Record<string, string>).secret, '${env:RT_SECRET}');

    const literal = await call(
      'POST',
      '/connectors',
      counter('literal', { secret: literalSecret, 'interval.ms': '50' }),
    );
    assert.equal(literal.status, 201);
    assert.equal((literal.json.config as Record<string, string>).secret, '[hidden]');
    const config = await call('GET', '/connectors/literal/config');
    assert.equal(config.json.secret, '[hidden]');

    const duplicate = await call('POST', '/connectors', counter('literal'));
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.json.error_code, 409);

    await eventually('both connectors running', async () => {
      const all = await call('GET', '/connectors?expand=status&expand=info');
      const states = Object.values(all.json).map(
        (c) => (c as { status: { tasks: { state: string }[] } }).status.tasks[0]?.state,
      );
      return states.length === 2 && states.every((s) => s === 'RUNNING');
    });
    const expanded = await call('GET', '/connectors?expand=info');
    assert.equal(
      (expanded.json.literal as { info: { config: Record<string, string> } }).info.config.secret,
      '[hidden]',
    );
    const messages = await readTopic(dataTopic, (m) => m.length >= 20);
    assert.ok(counts(messages).includes(1));
  });

  it('answers status, tasks and 404s', async () => {
    const status = await call('GET', '/connectors/literal/status');
    assert.equal(status.status, 200);
    assert.equal((status.json.connector as { state: string }).state, 'RUNNING');
    const tasks = await call('GET', '/connectors/literal/tasks');
    assert.equal(tasks.status, 200);
    const taskList = tasks.json as unknown as { id: { task: number }; config: Record<string, string> }[];
    assert.equal(taskList[0]?.id.task, 0);
    assert.equal(taskList[0]?.config.secret ?? '[hidden]', '[hidden]');
    assert.equal((await call('GET', '/connectors/literal/tasks/0/status')).json.state, 'RUNNING');
    assert.equal((await call('GET', '/connectors/literal/tasks/7/status')).status, 404);
    assert.equal((await call('GET', '/connectors/literal/tasks/x/status')).status, 404);
    for (const path of ['', '/config', '/status', '/tasks', '/topics', '/offsets']) {
      const missing = await call('GET', `/connectors/nope${path}`);
      assert.equal(missing.status, 404, path);
      assert.equal(missing.json.error_code, 404);
    }
    assert.equal((await call('PUT', '/connectors/nope/pause')).status, 404);
    assert.equal((await call('POST', '/connectors/nope/restart')).status, 404);
    assert.equal((await call('POST', '/connectors/literal/tasks/5/restart')).status, 404);
    assert.equal((await call('DELETE', '/connectors/nope')).status, 404);
  });

  it('updates configs with PUT and PATCH', async () => {
    const put = await call('PUT', '/connectors/literal/config', {
      'connector.class': 'counter',
      topic: dataTopic,
      secret: '[hidden]',
      'interval.ms': '30',
      'value.converter.schemas.enable': 'false',
    });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    assert.equal((put.json.config as Record<string, string>)['interval.ms'], '30');
    const badPut = await call('PUT', '/connectors/literal/config', {
      'connector.class': 'counter',
      mode: 'x',
    });
    assert.equal(badPut.status, 400);
    assert.equal((await call('GET', '/connectors/literal/config')).json['interval.ms'], '30');
    const mismatch = await call('PUT', '/connectors/literal/config', {
      name: 'other',
      'connector.class': 'counter',
    });
    assert.equal(mismatch.status, 400);

    const patched = await call('PATCH', '/connectors/literal/config', {
      'batch.size': '2',
      'interval.ms': null,
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.json));
    const config = patched.json.config as Record<string, string>;
    assert.equal(config['batch.size'], '2');
    assert.equal(config['interval.ms'], undefined);
    assert.equal(config.secret, '[hidden]');
    assert.equal((await call('PATCH', '/connectors/nope/config', { a: '1' })).status, 404);

    const createdByPut = await call('PUT', '/connectors/by-put/config', {
      'connector.class': 'counter',
      topic: `${names.group}-put`,
      'tasks.max': '2',
    });
    assert.equal(createdByPut.status, 201);
    assert.equal((createdByPut.json.tasks as unknown[]).length, 2);
    assert.equal((await call('DELETE', '/connectors/by-put')).status, 204);
  });

  it('pauses and resumes data', async () => {
    assert.equal((await call('PUT', '/connectors/by-alias/pause')).status, 202);
    assert.equal((await call('PUT', '/connectors/literal/pause')).status, 202);
    await eventually('paused', async () => {
      const s = await call('GET', '/connectors/literal/status');
      return (s.json.connector as { state: string }).state === 'PAUSED' && s.json;
    });
    const paused = await highWatermark(dataTopic);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await highWatermark(dataTopic), paused, 'no data while paused');
    assert.equal((await call('PUT', '/connectors/literal/resume')).status, 202);
    await eventually('data again', async () => (await highWatermark(dataTopic)) > paused);
    assert.equal(
      ((await call('GET', '/connectors/literal/status')).json.connector as { state: string }).state,
      'RUNNING',
    );
  });

  it('restarts connectors and tasks', async () => {
    assert.equal((await call('POST', '/connectors/literal/restart')).status, 204);
    const withTasks = await call('POST', '/connectors/literal/restart?includeTasks=true&onlyFailed=false');
    assert.equal(withTasks.status, 202);
    assert.equal(withTasks.json.name, 'literal');
    assert.equal((await call('POST', '/connectors/literal/tasks/0/restart')).status, 204);
    await eventually('running after restarts', async () => {
      const s = await call('GET', '/connectors/literal/tasks/0/status');
      return s.json.state === 'RUNNING';
    });

    const failing = await call(
      'POST',
      '/connectors',
      counter('failing', { 'fail.at': '3', topic: `${names.group}-fail` }),
    );
    assert.equal(failing.status, 201);
    const trace = await eventually('task failed', async () => {
      const s = await call('GET', '/connectors/failing/tasks/0/status');
      return s.json.state === 'FAILED' && String(s.json.trace);
    });
    assert.match(trace, /fail\.at/);
    const onlyFailed = await call('POST', '/connectors/failing/restart?includeTasks=true&onlyFailed=true');
    assert.equal(onlyFailed.status, 202);
    assert.equal((onlyFailed.json.tasks as { state: string }[])[0]?.state, 'RESTARTING');
    assert.equal((await call('DELETE', '/connectors/failing')).status, 204);
  });

  it('restarts a task after retriable errors and applies transforms', async () => {
    const created = await call(
      'POST',
      '/connectors',
      counter('routed', {
        topic: `${names.group}-raw`,
        'retriable.failures': '2',
        limit: '10',
        transforms: 'route',
        'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter',
        'transforms.route.regex': '(.*)-raw',
        'transforms.route.replacement': '$1-routed',
      }),
    );
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const routed = await readTopic(`${names.group}-routed`, (m) => m.length >= 10);
    assert.deepEqual(counts(routed), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal((await call('GET', '/connectors/routed/tasks/0/status')).json.state, 'RUNNING');
    assert.ok(worker.lines.some((l) => l.includes('transient error') && l.includes('routed')));
    assert.deepEqual((await call('GET', '/connectors/routed/topics')).json, {
      routed: { topics: [`${names.group}-routed`] },
    });
    assert.equal((await call('DELETE', '/connectors/routed')).status, 204);
  });

  it('tracks and resets active topics', async () => {
    const topics = await call('GET', '/connectors/literal/topics');
    assert.deepEqual(topics.json, { literal: { topics: [dataTopic] } });
    assert.equal((await call('PUT', '/connectors/literal/topics/reset')).status, 200);
    assert.deepEqual((await call('GET', '/connectors/literal/topics')).json, { literal: { topics: [] } });
  });

  it('reads offsets always and changes them only when STOPPED', async () => {
    const running = await call('GET', '/connectors/by-alias/offsets');
    assert.equal(running.status, 200);
    const entries = running.json.offsets as {
      partition: Record<string, unknown>;
      offset: { count: number };
    }[];
    assert.deepEqual(entries[0]?.partition, { counter: 'by-alias', task: 0 });
    const body = { offsets: [{ partition: { counter: 'by-alias', task: 0 }, offset: { count: 100000 } }] };
    assert.equal((await call('PATCH', '/connectors/by-alias/offsets', body)).status, 409);
    assert.equal((await call('DELETE', '/connectors/by-alias/offsets')).status, 409);
    assert.equal((await call('PATCH', '/connectors/nope/offsets', body)).status, 404);

    assert.equal((await call('PUT', '/connectors/by-alias/stop')).status, 202);
    const stopped = await call('GET', '/connectors/by-alias/status');
    assert.equal((stopped.json.connector as { state: string }).state, 'STOPPED');
    assert.deepEqual(stopped.json.tasks, []);
    assert.deepEqual((await call('GET', '/connectors/by-alias/tasks')).json, []);

    assert.equal((await call('PATCH', '/connectors/by-alias/offsets', { nothing: true })).status, 400);
    const altered = await call('PATCH', '/connectors/by-alias/offsets', body);
    assert.equal(altered.status, 200);
    assert.match(String(altered.json.message), /altered successfully/);
    assert.deepEqual((await call('GET', '/connectors/by-alias/offsets')).json, body);
    assert.equal((await call('PUT', '/connectors/by-alias/resume')).status, 202);
    await readTopic(dataTopic, (m) => counts(m).includes(100001));

    assert.equal((await call('PUT', '/connectors/by-alias/stop')).status, 202);
    const reset = await call('DELETE', '/connectors/by-alias/offsets');
    assert.equal(reset.status, 200);
    assert.match(String(reset.json.message), /reset successfully/);
    assert.deepEqual((await call('GET', '/connectors/by-alias/offsets')).json, { offsets: [] });
  });

  it("validates configs in Kafka Connect's shape", async () => {
    const result = await call('PUT', '/connector-plugins/counter/config/validate', {
      'connector.class': 'siphon.test.CounterSourceConnector',
      'interval.ms': 'x',
      secret: 'validate-secret',
    });
    assert.equal(result.status, 200);
    assert.equal(result.json.name, 'siphon.test.CounterSourceConnector');
    // name (required, Kafka Connect reports it too), topic (required), interval.ms (not an int)
    assert.equal(result.json.error_count, 3);
    const configs = result.json.configs as {
      definition: { name: string; type: string; required: boolean };
      value: { value: string | null; errors: string[] };
    }[];
    const byName = new Map(configs.map((c) => [c.definition.name, c]));
    assert.equal(byName.get('name')?.value.errors.length, 1);
    assert.equal(byName.get('topic')?.definition.required, true);
    assert.equal(byName.get('topic')?.value.errors.length, 1);
    assert.equal(byName.get('interval.ms')?.value.errors.length, 1);
    assert.equal(byName.get('secret')?.definition.type, 'PASSWORD');
    assert.equal(byName.get('secret')?.value.value, '[hidden]');
    assert.ok((result.json.groups as string[]).includes('Common'));
    assert.equal((await call('PUT', '/connector-plugins/nope/config/validate', {})).status, 404);
    const mismatch = await call('PUT', '/connector-plugins/counter/config/validate', {
      'connector.class': 'file-sink',
    });
    assert.equal(mismatch.status, 400);
  });

  it('runs a sink with a dead-letter queue and commits its consumer offsets', async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: dataTopic, messages: [{ key: 'bad', value: 'not json {' }] });
    await producer.disconnect();
    const output = join(outputDir, 'sink.jsonl');
    const created = await call('POST', '/connectors', {
      name: 'sink',
      config: {
        'connector.class': 'siphon.test.FileSinkConnector',
        topics: dataTopic,
        'output.file': output,
        'retriable.failures': '1',
        'errors.tolerance': 'all',
        'errors.log.enable': 'true',
        'errors.deadletterqueue.topic.name': dlqTopic,
        'errors.deadletterqueue.context.headers.enable': 'true',
        'value.converter.schemas.enable': 'false',
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const dlq = await readTopic(dlqTopic, (m) => m.length >= 1);
    assert.equal(dlq[0]?.value?.toString(), 'not json {');
    assert.equal(dlq[0]?.headers?.['__connect.errors.stage']?.toString(), 'VALUE_CONVERTER');
    assert.equal(dlq[0]?.headers?.['__connect.errors.topic']?.toString(), dataTopic);
    assert.equal(dlq[0]?.headers?.['__connect.errors.connector.name']?.toString(), 'sink');
    await eventually('sink wrote records', async () => {
      const text = await readFile(output, 'utf8').catch(() => '');
      return text.split('\n').filter(Boolean).length >= 20;
    });
    const offsets = await eventually('sink offsets committed', async () => {
      const o = await call('GET', '/connectors/sink/offsets');
      const list = o.json.offsets as {
        partition: { kafka_topic: string };
        offset: { kafka_offset: number };
      }[];
      return list.length > 0 && list;
    });
    assert.equal(offsets[0]?.partition.kafka_topic, dataTopic);
    assert.ok(offsets[0]!.offset.kafka_offset > 0);
    const topics = await call('GET', '/connectors/sink/topics');
    assert.deepEqual(topics.json, { sink: { topics: [dataTopic] } });

    const strict = await call('POST', '/connectors', {
      name: 'strict-sink',
      config: {
        'connector.class': 'file-sink',
        topics: dataTopic,
        'output.file': join(outputDir, 'strict.jsonl'),
        'value.converter.schemas.enable': 'false',
      },
    });
    assert.equal(strict.status, 201);
    const trace = await eventually('strict sink failed on the bad record', async () => {
      const s = await call('GET', '/connectors/strict-sink/tasks/0/status');
      return s.json.state === 'FAILED' && String(s.json.trace);
    });
    assert.match(trace, /JSON|json|Unexpected/);

    const sinkBody = {
      offsets: [{ partition: { kafka_topic: dataTopic, kafka_partition: 0 }, offset: { kafka_offset: 3 } }],
    };
    assert.equal((await call('PUT', '/connectors/sink/stop')).status, 202);
    assert.equal((await call('PATCH', '/connectors/sink/offsets', sinkBody)).status, 200);
    const after = await call('GET', '/connectors/sink/offsets');
    assert.deepEqual(after.json, sinkBody);
    assert.equal((await call('DELETE', '/connectors/sink/offsets')).status, 200);
    assert.deepEqual((await call('GET', '/connectors/sink/offsets')).json, { offsets: [] });
  });

  it('lets a sink choose where to resume in open()', async () => {
    const topic = `${names.group}-open`;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 20 }, (_, i) => ({ key: String(i), value: JSON.stringify({ i }) })),
    });
    await producer.disconnect();
    const output = join(outputDir, 'open.jsonl');
    const created = await call('POST', '/connectors', {
      name: 'open-sink',
      config: {
        'connector.class': 'file-sink',
        topics: topic,
        'output.file': output,
        'start.offset': '15',
        // The connector names its converter, so its own converter settings apply.
        'value.converter': 'json',
        'value.converter.schemas.enable': 'false',
      },
    });
    assert.equal(created.status, 201);
    const offsets = await eventually('records from offset 15', async () => {
      const text = await readFile(output, 'utf8').catch(() => '');
      const lines = text.split('\n').filter(Boolean);
      return lines.length >= 5 && lines.map((l) => Number((JSON.parse(l) as { offset: string }).offset));
    });
    assert.deepEqual(offsets, [15, 16, 17, 18, 19]);
    assert.equal((await call('DELETE', '/connectors/open-sink')).status, 204);
  });

  it('never shows a secret in a response or a log line, and deletes connectors', async () => {
    for (const name of ['literal', 'by-alias', 'sink', 'strict-sink']) {
      assert.equal((await call('DELETE', `/connectors/${name}`)).status, 204);
    }
    assert.equal((await call('GET', '/connectors/literal')).status, 404);
    assert.deepEqual((await call('GET', '/connectors')).json, []);
    assert.ok(worker.lines.some((l) => l.includes('counter starting') && l.includes('[hidden]')));
    for (const secret of [envSecret, literalSecret, 'validate-secret']) {
      assert.ok(!responses.some((r) => r.includes(secret)), `a response showed ${secret}`);
      assert.ok(!worker.lines.some((l) => l.includes(secret)), `a log line showed ${secret}`);
    }
  });
});
