import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import type { KafkaMessage } from 'kafkajs';
import {
  deleteTopics,
  eventually,
  kafka,
  readTopic,
  uniqueNames,
  WorkerProcess,
} from '../fixtures/worker-harness.js';

/**
 * Worker restarts against real Kafka: kill -9 and start again (configs, statuses and
 * offsets restored, the counter continues without a gap), a second worker with the same
 * group.id joins the cluster and leaves it, SIGTERM drains and commits (exit 0, no replays), bearer
 * authentication, and the CLI as a client of the REST API.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const names = uniqueNames('rt-recovery');
const dataTopic = `${names.group}-data`;
const token = `token-${names.group}`;
const auth = { authorization: `Bearer ${token}` };
const env = { SIPHON_REST_AUTH_BEARER_TOKEN: token, SIPHON_TASK_SHUTDOWN_GRACEFUL_TIMEOUT_MS: '5000' };
const started: WorkerProcess[] = [];
const run = promisify(execFile);

function countOf(message: KafkaMessage): number {
  const json = JSON.parse(message.value?.toString() ?? '{}') as { payload?: { count: number } };
  return Number(json.payload?.count);
}

function counts(messages: KafkaMessage[]): number[] {
  return messages.map(countOf);
}

/**
 * A readTopic condition that is met once a count satisfies `wanted`. It parses each
 * message once: re-reading every message for every new one (quadratic) took the reader
 * longer than readTopic's deadline on a busy machine once the topic held a few thousand.
 */
function untilCount(wanted: (count: number) => boolean): (messages: KafkaMessage[]) => boolean {
  let parsed = 0;
  let found = false;
  return (messages) => {
    for (; parsed < messages.length && !found; parsed++) found = wanted(countOf(messages[parsed]!));
    return found;
  };
}

async function topicSize(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function readAll(): Promise<number[]> {
  const size = await topicSize(dataTopic);
  return counts(await readTopic(dataTopic, (m) => m.length >= size));
}

function start(): Promise<WorkerProcess> {
  return WorkerProcess.start(names, env).then((w) => (started.push(w), w));
}

function assertNoGap(values: number[]): number {
  const seen = new Set(values);
  const max = Math.max(...values);
  for (let i = 1; i <= max; i++) assert.ok(seen.has(i), `count ${i} is missing (max ${max})`);
  return max;
}

describe('runtime recovery', { timeout: 150000 }, () => {
  after(async () => {
    for (const w of started) if (w.child.exitCode === null) w.kill('SIGKILL');
    await deleteTopics(names.group);
  });

  let first: WorkerProcess;

  it('requires the bearer token everywhere but /health', async () => {
    first = await start();
    const denied = await first.api('GET', '/connectors');
    assert.equal(denied.status, 401);
    assert.equal((denied.json as { error_code: number }).error_code, 401);
    assert.equal(
      (await first.api('GET', '/connectors', undefined, { authorization: 'Bearer wrong' })).status,
      401,
    );
    assert.equal((await first.api('GET', '/connectors', undefined, auth)).status, 200);
    assert.equal((await first.api('GET', '/health')).status, 200);
  });

  it('restores configs, statuses and offsets after kill -9 and continues without a gap', async () => {
    const created = await first.api(
      'POST',
      '/connectors',
      { name: 'ctr', config: { 'connector.class': 'counter', topic: dataTopic, 'interval.ms': '20' } },
      auth,
    );
    assert.equal(created.status, 201);
    await readTopic(dataTopic, (m) => m.length >= 200);
    await eventually('an offset flush', async () => {
      const offsets = await first.api('GET', '/connectors/ctr/offsets', undefined, auth);
      return (
        ((offsets.json as { offsets: { offset: { count: number } }[] }).offsets[0]?.offset.count ?? 0) > 0
      );
    });
    first.kill('SIGKILL');
    await first.waitForExit();
    const beforeCrash = assertNoGap(await readAll());

    const second = await start();
    const status = await eventually('connector restored', async () => {
      const s = await second.api('GET', '/connectors/ctr/status', undefined, auth);
      const body = s.json as { connector: { state: string }; tasks: { state: string; worker_id: string }[] };
      return body.tasks[0]?.state === 'RUNNING' && body.tasks[0].worker_id !== '' && body;
    });
    assert.equal(status.connector.state, 'RUNNING');
    const config = await second.api('GET', '/connectors/ctr/config', undefined, auth);
    assert.equal((config.json as Record<string, string>).topic, dataTopic);
    const offsets = await second.api('GET', '/connectors/ctr/offsets', undefined, auth);
    const restored =
      (offsets.json as { offsets: { offset: { count: number } }[] }).offsets[0]?.offset.count ?? 0;
    assert.ok(
      restored > 0 && restored <= beforeCrash,
      `restored offset ${restored}, produced ${beforeCrash}`,
    );

    await readTopic(
      dataTopic,
      untilCount((c) => c > beforeCrash + 100),
    );
    const all = await readAll();
    assertNoGap(all);
    // At-least-once: only what came after the last committed offset may repeat.
    const repeated = all.filter((c, i) => all.indexOf(c) !== i);
    assert.ok(
      repeated.every((c) => c > restored),
      'only records after the committed offset repeat',
    );
    started.push(second);
  });

  it('lets a second worker with the same group.id join the cluster, one owner per task', async () => {
    const running = started[started.length - 1]!;
    const joiner = WorkerProcess.spawn(names, env);
    started.push(joiner);
    await joiner.ready();
    const root = await eventually('two members', async () => {
      const view = (await joiner.api('GET', '/', undefined, auth)).json as { members?: unknown[] };
      return view.members?.length === 2 ? view : undefined;
    });
    assert.equal(root.members?.length, 2);
    const status = await eventually('one running task', async () => {
      const s = (await running.api('GET', '/connectors/ctr/status', undefined, auth)).json as {
        tasks: { state: string; worker_id: string }[];
      };
      return s.tasks.length === 1 && s.tasks[0]!.state === 'RUNNING' ? s : undefined;
    });
    assert.ok([running.url, joiner.url].some((u) => u.endsWith(status.tasks[0]!.worker_id)));
    joiner.kill('SIGTERM');
    assert.equal(await joiner.waitForExit(), 0);
    await eventually('the task running on the first worker again', async () => {
      const s = (await running.api('GET', '/connectors/ctr/status', undefined, auth)).json as {
        tasks: { state: string; worker_id: string }[];
      };
      return s.tasks[0]?.state === 'RUNNING' && running.url.endsWith(s.tasks[0].worker_id);
    });
  });

  it('serves the CLI', async () => {
    const running = started[started.length - 2]!;
    const cli = (...args: string[]) =>
      run(
        process.execPath,
        [resolve(root, 'bin/siphon.js'), ...args, '--url', running.url, '--token', token],
        {
          cwd: root,
        },
      );
    const list = await cli('connectors', 'list');
    assert.match(list.stdout, /NAME\s+TYPE\s+STATE/);
    assert.match(list.stdout, /ctr\s+source\s+RUNNING/);
    const json = JSON.parse((await cli('connectors', 'status', 'ctr', '--json')).stdout) as { name: string };
    assert.equal(json.name, 'ctr');
    assert.match((await cli('plugins')).stdout, /siphon\.test\.CounterSourceConnector/);
    await assert.rejects(cli('connectors', 'get', 'nope'), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr, /Error 404: Connector nope not found/);
      return true;
    });
  });

  it('drains and commits on SIGTERM, exits 0, and resumes without replaying', async () => {
    const running = started[started.length - 2]!;
    const stopAt = Date.now();
    running.kill('SIGTERM');
    assert.equal(await running.waitForExit(), 0);
    assert.ok(Date.now() - stopAt < 10000, 'stopped within task.shutdown.graceful.timeout.ms');
    assert.ok(running.lines.some((l) => l.includes('worker stopped')));
    const beforeStop = await readAll();
    const last = Math.max(...beforeStop);

    const third = await start();
    await readTopic(
      dataTopic,
      untilCount((c) => c === last + 50),
    );
    const after = await readAll();
    assertNoGap(after);
    const occurrences = (list: number[], c: number) => list.filter((x) => x === c).length;
    for (const c of [last, last - 1, last - 2]) {
      assert.equal(occurrences(after, c), occurrences(beforeStop, c), `count ${c} was produced again`);
    }
    assert.equal(occurrences(after, last + 1), 1);
    third.kill('SIGTERM');
    assert.equal(await third.waitForExit(), 0);
  });
});
