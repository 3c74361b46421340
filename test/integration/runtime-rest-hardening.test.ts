import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  deleteTopics,
  eventually,
  kafka,
  readTopic,
  uniqueNames,
  WorkerProcess,
} from '../fixtures/worker-harness.js';
import { uniqueName } from '../support/plugin-test-kit.js';
import { createTestDatabase, pgAdmin } from './source-postgres-harness.js';

/**
 * Issue 19 against a real worker: secrets given through providers appear in no response,
 * status or log line; the allow-lists refuse references without revealing anything; URL
 * passwords are masked; every error of the REST layer is Kafka Connect's; long names
 * work; DELETE says what a PostgreSQL source leaves behind; the CLI reports JSON errors,
 * progress and long names.
 */
const names = uniqueNames('rt-hard');
const dir = mkdtempSync(join(tmpdir(), 'siphon-rt-hard-'));
const allowed = join(dir, 'allowed');
const envSecret = `env-s3cret-${names.group}`;
const fileSecret = `file-s3cret-${names.group}`;
const urlSecret = `url-s3cret-${names.group}`;
const responses: string[] = [];
let worker: WorkerProcess;

type Json = Record<string, unknown>;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await worker.api(method, path, body, headers);
  responses.push(response.text);
  return { status: response.status, json: response.json as Json, text: response.text };
}

/** Raw HTTP, for requests fetch would not send (oversized headers, bad encodings). */
function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(worker.url);
  return new Promise((resolveRequest, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => {
        responses.push(text);
        resolveRequest({ status: res.statusCode ?? 0, text, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Exactly Kafka Connect's error body: {"error_code": status, "message": "..."}. */
function assertConnectError(status: number, text: string, expected: number, what: string): Json {
  assert.equal(status, expected, `${what}: ${text}`);
  const json = JSON.parse(text) as Json;
  assert.deepEqual(Object.keys(json).sort(), ['error_code', 'message'], `${what}: ${text}`);
  assert.equal(json.error_code, expected, what);
  assert.equal(typeof json.message, 'string', what);
  return json;
}

const counter = (name: string, extra: Record<string, string> = {}) => ({
  name,
  config: {
    'connector.class': 'counter',
    topic: `${names.group}-data`,
    'interval.ms': '200',
    'value.converter.schemas.enable': 'false',
    ...extra,
  },
});

const siphon = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await siphon(
      process.execPath,
      [join(root, 'bin/siphon.js'), ...args, '--url', worker.url],
      { cwd: root },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('REST hardening (issue 19)', { timeout: 240000 }, () => {
  before(async () => {
    mkdirSync(allowed);
    writeFileSync(join(allowed, 'settings.properties'), `interval=100\nsecret=${fileSecret}\n`);
    writeFileSync(join(dir, 'outside.properties'), `secret=${fileSecret}\n`);
    worker = await WorkerProcess.start(names, {
      HARD_ALLOWED_PW: envSecret,
      HARD_OTHER_PW: envSecret,
      SIPHON_CONFIG_PROVIDERS_ENV_PARAM_ALLOWLIST_PATTERN: 'HARD_ALLOWED_.*',
      SIPHON_CONFIG_PROVIDERS_FILE_PARAM_ALLOWED_PATHS: allowed,
    });
  });

  after(async () => {
    worker?.kill('SIGTERM');
    await worker?.waitForExit();
    await deleteTopics(names.group);
    rmSync(dir, { recursive: true, force: true });
  });

  it('never quotes a provider-resolved value in validate or POST /connectors', async () => {
    const config = {
      'connector.class': 'counter',
      name: 'leaky',
      topic: 't',
      'batch.size': '${env:HARD_ALLOWED_PW}',
      'interval.ms': `\${file:${join(allowed, 'settings.properties')}:secret}`,
    };
    const validate = await call('PUT', '/connector-plugins/counter/config/validate', config);
    assert.equal(validate.status, 200);
    assert.equal(validate.json.error_count, 2);
    const configs = validate.json.configs as { value: { name: string; value: string; errors: string[] } }[];
    const batch = configs.find((c) => c.value.name === 'batch.size')!.value;
    assert.equal(batch.value, '${env:HARD_ALLOWED_PW}');
    assert.match(batch.errors[0]!, /batch\.size.*\$\{env:HARD_ALLOWED_PW\}.*resolved to an invalid value/);
    const created = await call('POST', '/connectors', { name: 'leaky', config });
    assertConnectError(created.status, created.text, 400, 'POST with a bad resolved value');
    assert.match(String(created.json.message), /interval\.ms.*resolved to an invalid value/);
    assert.equal((await call('GET', '/connectors/leaky')).status, 404);
  });

  it('refuses references outside the allow-lists without revealing the file or variable', async () => {
    const refused = async (value: string) => {
      const result = await call('PUT', '/connector-plugins/counter/config/validate', {
        'connector.class': 'counter',
        topic: 't',
        secret: value,
      });
      const configs = result.json.configs as { value: { name: string; errors: string[] } }[];
      return configs.find((c) => c.value.name === 'secret')!.value.errors.join(' ');
    };
    const passwd = await refused('${file:/etc/passwd:root}');
    assert.match(passwd, /allowed\.paths/);
    assert.doesNotMatch(passwd, /x:0:0|root:/);
    const present = await refused(`\${file:${join(dir, 'outside.properties')}:secret}`);
    const absent = await refused(`\${file:${join(dir, 'absent.properties')}:secret}`);
    assert.equal(present.replace('outside', 'X'), absent.replace('absent', 'X'));
    const traversal = await refused(`\${file:${join(allowed, '..', 'outside.properties')}:secret}`);
    assert.match(traversal, /allowed\.paths/);
    const setVariable = await refused('${env:HARD_OTHER_PW}');
    const unsetVariable = await refused('${env:HARD_NEVER_SET}');
    assert.match(setVariable, /allowlist\.pattern/);
    assert.equal(setVariable.replace('OTHER_PW', 'X'), unsetVariable.replace('NEVER_SET', 'X'));
    const worker_ = await refused('${env:SIPHON_GROUP_ID}');
    assert.match(worker_, /allowlist\.pattern/);
  });

  it('names the key, not the value, when a reference resolves badly at task start', async () => {
    const settings = join(allowed, 'start.properties');
    writeFileSync(settings, 'interval=100\n');
    const created = await call(
      'POST',
      '/connectors',
      counter('at-start', { 'interval.ms': `\${file:${settings}:interval}` }),
    );
    assert.equal(created.status, 201, created.text);
    writeFileSync(settings, `interval=${fileSecret}\n`);
    assert.equal((await call('POST', '/connectors/at-start/restart')).status, 204);
    const trace = await eventually('the connector failed at start', async () => {
      const status = await call('GET', '/connectors/at-start/status');
      const connector = status.json.connector as { state: string; trace?: string };
      return connector.state === 'FAILED' && String(connector.trace);
    });
    assert.match(trace, /interval\.ms.*resolved to an invalid value/);
    assert.equal((await call('DELETE', '/connectors/at-start')).status, 204);
  });

  it('masks URL passwords in every view of a connector', async () => {
    const url = `jdbc:postgresql://db:5432/x?user=u&password=${urlSecret}`;
    const created = await call(
      'POST',
      '/connectors',
      counter('with-url', { 'connection.url': url, 'other.url': `postgres://u:${urlSecret}@db/x` }),
    );
    assert.equal(created.status, 201, created.text);
    const shown = (created.json.config as Record<string, string>)['connection.url'];
    assert.equal(shown, 'jdbc:postgresql://db:5432/x?user=u&password=[hidden]');
    for (const path of ['/connectors/with-url', '/connectors/with-url/config', '/connectors?expand=info']) {
      const view = await call('GET', path);
      assert.equal(view.status, 200);
      assert.ok(view.text.includes('password=[hidden]') && view.text.includes('u:[hidden]@db'), view.text);
    }
    // Topics left out: validation stops before the sink would connect.
    const validate = await call('PUT', '/connector-plugins/jdbc/config/validate', {
      'connector.class': 'jdbc',
      'connection.url': url,
    });
    assert.equal(validate.status, 200, validate.text);
    const configs = validate.json.configs as { value: { name: string; value: string } }[];
    assert.equal(
      configs.find((c) => c.value.name === 'connection.url')?.value.value,
      'jdbc:postgresql://db:5432/x?user=u&password=[hidden]',
    );
    // PUT back what GET showed: the stored passwords stay, not "[hidden]".
    const config = (await call('GET', '/connectors/with-url/config')).json;
    assert.equal(
      (await call('PUT', '/connectors/with-url/config', { ...config, 'interval.ms': '300' })).status,
      200,
    );
    const stored = await readTopic(names.configs, (messages) =>
      messages.some((m) => m.value?.toString().includes('"interval.ms":"300"')),
    );
    const last = JSON.parse(
      stored
        .filter((m) => m.key?.toString() === 'connector-with-url')
        .at(-1)
        ?.value?.toString() ?? '{}',
    ) as { properties: Record<string, string> };
    assert.equal(last.properties['connection.url'], url);
    assert.equal(last.properties['other.url'], `postgres://u:${urlSecret}@db/x`);
    assert.equal((await call('DELETE', '/connectors/with-url')).status, 204);
  });

  it('reads, pauses and deletes connectors with names of any length', async () => {
    for (const length of [101, 300, 8000]) {
      const name = `long-${'n'.repeat(length - 10)}-é${length}`.slice(0, length);
      const created = await call('POST', '/connectors', counter(name));
      assert.equal(created.status, 201, created.text.slice(0, 300));
      const path = `/connectors/${encodeURIComponent(name)}`;
      const info = await call('GET', path);
      assert.equal(info.status, 200, info.text.slice(0, 300));
      assert.equal(info.json.name, name);
      assert.equal((await call('GET', `${path}/status`)).status, 200);
      assert.equal((await call('PUT', `${path}/pause`)).status, 202);
      assert.equal((await call('PUT', `${path}/resume`)).status, 202);
      assert.equal((await call('DELETE', path)).status, 204);
      assert.equal((await call('GET', path)).status, 404);
    }
    const unaddressable = await call('POST', '/connectors', counter('n'.repeat(9000)));
    assertConnectError(unaddressable.status, unaddressable.text, 400, 'a name too long for any URL');
    assert.match(String(unaddressable.json.message), /too long/);
  });

  it("answers every error of the REST layer with Kafka Connect's body", async () => {
    const unknownRoute = await rawRequest('GET', '/no/such/route');
    assertConnectError(unknownRoute.status, unknownRoute.text, 404, 'unknown route');
    const parse = await rawRequest(
      'POST',
      '/connectors',
      { 'content-type': 'application/json' },
      '{"name": ',
    );
    assertConnectError(parse.status, parse.text, 400, 'invalid JSON');
    const big = await rawRequest(
      'POST',
      '/connectors',
      { 'content-type': 'application/json' },
      JSON.stringify({ name: 'big', config: { pad: 'x'.repeat(2 * 1024 * 1024) } }),
    );
    assertConnectError(big.status, big.text, 413, 'body too large');
    const badUrl = await rawRequest('GET', '/connectors/%E0%A4%A');
    assert.ok([400, 404].includes(badUrl.status), badUrl.text);
    assertConnectError(badUrl.status, badUrl.text, badUrl.status, 'bad URL encoding');
    const hugeUrl = await rawRequest('GET', `/connectors/${'x'.repeat(20 * 1024)}`);
    assertConnectError(hugeUrl.status, hugeUrl.text, 431, 'request line over the header limit');
    const schema = await call('POST', '/connectors', { name: 5, config: [] });
    assertConnectError(schema.status, schema.text, 400, 'body of the wrong shape');
  });

  it('answers 405 for a wrong method on a known path and 415 for a body that is not JSON', async () => {
    assert.equal((await call('POST', '/connectors', counter('methods'))).status, 201);
    for (const [method, path] of [
      ['DELETE', '/connector-plugins'],
      ['POST', '/connectors/methods/status'],
      ['PATCH', '/connectors'],
      ['GET', '/connectors/methods/pause'],
      ['DELETE', '/connector-plugins/counter/config/validate'],
    ] as const) {
      const response = await rawRequest(method, path);
      const json = assertConnectError(response.status, response.text, 405, `${method} ${path}`);
      assert.equal(json.message, 'HTTP 405 Method Not Allowed');
      assert.ok(String(response.headers.allow ?? '').length > 0, `${method} ${path}: Allow header`);
    }
    assert.equal((await rawRequest('GET', '/connectors/methods/nothing-here')).status, 404);

    const text = await rawRequest(
      'POST',
      '/connectors',
      { 'content-type': 'text/plain' },
      JSON.stringify(counter('as-text')),
    );
    assertConnectError(text.status, text.text, 415, 'text/plain body');
    const validate = await rawRequest(
      'PUT',
      '/connector-plugins/counter/config/validate',
      { 'content-type': 'text/plain' },
      '{}',
    );
    assertConnectError(validate.status, validate.text, 415, 'text/plain validate');
    const untyped = await rawRequest('POST', '/connectors', {}, JSON.stringify(counter('as-text')));
    assertConnectError(untyped.status, untyped.text, 415, 'a body without a content type');
    assert.equal((await call('GET', '/connectors/as-text')).status, 404);
    // A JSON content type without a body is no body, as curl sends it for PUT …/pause.
    const pause = await rawRequest('PUT', '/connectors/methods/pause', {
      'content-type': 'application/json',
      'content-length': '0',
    });
    assert.equal(pause.status, 202, pause.text);
    assert.equal((await call('DELETE', '/connectors/methods')).status, 204);
  });

  it('names topic, partition and offset when a converter fails under errors.tolerance=none', async () => {
    const topic = `${names.group}-bad`;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'a', value: '{"ok": 1}' },
        { key: 'b', value: '{"ok": 2}' },
        { key: 'c', value: 'not json {' },
      ],
    });
    await producer.disconnect();
    const created = await call('POST', '/connectors', {
      name: 'strict',
      config: {
        'connector.class': 'file-sink',
        topics: topic,
        'output.file': join(dir, 'strict.jsonl'),
        // Named, so its own schemas.enable applies (plain JSON).
        'value.converter': 'json',
        'value.converter.schemas.enable': 'false',
      },
    });
    assert.equal(created.status, 201, created.text);
    const trace = await eventually(
      'the sink failed on the bad record',
      async () => {
        const status = await call('GET', '/connectors/strict/tasks/0/status');
        return status.json.state === 'FAILED' && String(status.json.trace);
      },
      60000,
    );
    assert.match(trace, new RegExp(`VALUE_CONVERTER.*topic ${topic}, partition 0, offset 2\\b`));
    assert.equal((await call('DELETE', '/connectors/strict')).status, 204);
  });

  it('says in the log and the response what deleting a PostgreSQL source leaves behind', async () => {
    const db = await createTestDatabase();
    const admin = new pg.Client(pgAdmin);
    await admin.connect();
    try {
      await db.client.query('CREATE TABLE items (id int PRIMARY KEY, name text)');
      await db.client.query("INSERT INTO items VALUES (1, 'a')");
      const slotOf = async (slot: string) =>
        (await admin.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot])).rowCount;
      const source = async (name: string, slot: string, extra: Record<string, string> = {}) => {
        const created = await call('POST', '/connectors', {
          name,
          config: {
            'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
            'database.hostname': '127.0.0.1',
            'database.port': '5432',
            'database.user': 'postgres',
            'database.dbname': db.name,
            'topic.prefix': `${names.group}-${name}`,
            'slot.name': slot,
            'publication.name': `pub_${slot}`,
            'publication.autocreate.mode': 'filtered',
            ...extra,
          },
        });
        assert.equal(created.status, 201, created.text);
        await eventually(
          `${name} streaming`,
          async () => (await slotOf(slot)) === 1 && (await call('GET', `/connectors/${name}/status`)),
          60000,
        );
      };

      const kept = uniqueName('slot');
      await source('pg-kept', kept);
      const deleted = await rawRequest('DELETE', '/connectors/pg-kept');
      assert.equal(deleted.status, 204);
      const warning = String(deleted.headers.warning ?? '');
      assert.match(
        warning,
        new RegExp(`^299 siphon "replication slot ${kept} is kept.*slot\\.drop\\.on\\.stop`),
      );
      assert.match(warning, new RegExp(`publication pub_${kept} is kept`));
      await eventually('the warning in the log', async () =>
        worker.lines.some(
          (l) => l.includes('"level":"warn"') && l.includes('left objects behind') && l.includes(kept),
        ),
      );
      assert.equal(await slotOf(kept), 1, 'the slot is still there, as the warning says');

      const dropped = uniqueName('slot');
      await source('pg-dropped', dropped, { 'slot.drop.on.stop': 'true' });
      const cli_ = await cli('connectors', 'delete', 'pg-dropped');
      assert.equal(cli_.code, 0, cli_.stderr);
      assert.doesNotMatch(cli_.stdout, /replication slot/);
      assert.match(cli_.stdout, new RegExp(`Warning: publication pub_${dropped} is kept`));
      await eventually('the slot dropped', async () => (await slotOf(dropped)) === 0, 30000);
    } finally {
      await admin.end();
      await db.drop();
    }
  });

  it('CLI: --json errors as JSON, snapshot progress in status, long names in list', async () => {
    const missing = await cli('connectors', 'get', 'nope', '--json');
    assert.equal(missing.code, 1);
    assert.deepEqual(JSON.parse(missing.stderr), { error_code: 404, message: 'Connector nope not found' });
    const usage = await cli('connectors', 'get', '--json');
    assert.equal(usage.code, 1);
    assert.equal((JSON.parse(usage.stderr) as Json).error_code, null);

    const longName = `list-${'x'.repeat(200)}-end`;
    assert.equal((await call('POST', '/connectors', counter(longName))).status, 201);
    assert.equal((await call('POST', '/connectors', counter('progress'))).status, 201);
    await eventually('progress reported', async () => {
      const status = await call('GET', '/connectors/progress/status');
      return (status.json.tasks as { progress?: unknown }[])[0]?.progress !== undefined;
    });
    const status = await cli('connectors', 'status', 'progress');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /PROGRESS/);
    assert.match(status.stdout, /task 0 +RUNNING +\S+ +emitted=\d+/);
    const list = await cli('connectors', 'list');
    assert.equal(list.code, 0, list.stderr);
    const widest = Math.max(...list.stdout.split('\n').map((l) => l.length));
    assert.ok(widest < 120, `list is ${widest} columns wide:\n${list.stdout}`);
    assert.match(list.stdout, /list-x+…x+-end/);
    for (const name of [longName, 'progress']) {
      assert.equal((await call('DELETE', `/connectors/${encodeURIComponent(name)}`)).status, 204);
    }
  });

  it('showed no secret in any response or log line', () => {
    for (const secret of [envSecret, fileSecret, urlSecret]) {
      assert.ok(!responses.some((r) => r.includes(secret)), `a response showed ${secret}`);
      assert.ok(!worker.lines.some((l) => l.includes(secret)), `a log line showed ${secret}`);
    }
  });
});
