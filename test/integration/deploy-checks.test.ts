// What can be checked of the deployment here (no Docker engine): the compose file, the
// Prometheus config and alert rules, the Kubernetes manifests' references, and a live
// worker's /metrics through promtool's linter.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { WorkerProcess, deleteTopics, eventually, uniqueNames } from '../fixtures/worker-harness.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const deploy = join(root, 'deploy');

function run(
  command: string,
  args: string[],
  options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error)
    throw new Error(`${command} could not run (${result.error.message}); .ci/run installs it`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

interface ComposeService {
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
}

function composeServices(): Record<string, ComposeService> {
  const text = readFileSync(join(deploy, 'compose.yaml'), 'utf8');
  const file = parseAllDocuments(text, { merge: true })[0]?.toJS() as {
    services: Record<string, ComposeService>;
  };
  return file.services;
}

const composeWorkers = ['worker-1', 'worker-2', 'worker-3'];

test('compose.yaml is a valid Compose file with every part in its own service', () => {
  const env = { ...process.env, POSTGRES_PASSWORD: 'placeholder', MYSQL_PASSWORD: 'placeholder' };
  const check = run('docker-compose', ['-f', join(deploy, 'compose.yaml'), 'config', '-q'], { env });
  assert.equal(check.status, 0, check.output);
  const services = Object.keys(composeServices());
  for (const part of [
    'kafka',
    'schema-registry',
    'postgres',
    'mysql',
    ...composeWorkers,
    'rest-proxy',
    'prometheus',
    'grafana',
  ]) {
    assert.ok(services.includes(part), `service ${part}`);
  }
});

test("compose's three workers are one cluster behind one REST address, each scraped", () => {
  const services = composeServices();
  const envs = composeWorkers.map((w) => services[w]?.environment ?? {});
  for (const key of [
    'SIPHON_GROUP_ID',
    'SIPHON_CONFIG_STORAGE_TOPIC',
    'SIPHON_OFFSET_STORAGE_TOPIC',
    'SIPHON_STATUS_STORAGE_TOPIC',
  ]) {
    assert.ok(envs[0]?.[key], key);
    assert.deepEqual(new Set(envs.map((e) => e[key])).size, 1, `${key} is the same for every worker`);
  }
  // Each advertises the name the others (and the proxy) reach it by.
  assert.deepEqual(
    envs.map((e) => e.SIPHON_REST_ADVERTISED_HOST_NAME),
    composeWorkers,
  );
  const proxy = services['rest-proxy'];
  assert.deepEqual(proxy?.ports, ['8083:8083']);
  const mount = proxy?.volumes?.find((v) => v.endsWith(':/etc/nginx/nginx.conf:ro'));
  assert.ok(mount, 'the proxy mounts its nginx.conf');
  const nginx = readFileSync(join(deploy, mount.split(':')[0] ?? ''), 'utf8');
  const upstreams = [...nginx.matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
  assert.deepEqual(
    upstreams.sort(),
    composeWorkers.map((w) => `${w}:8083`),
  );
  assert.match(nginx, /^\s*listen 8083;/m);
  const prometheus = readFileSync(join(deploy, 'prometheus/prometheus.yml'), 'utf8');
  for (const w of composeWorkers) assert.ok(prometheus.includes(`'${w}:8083'`), `Prometheus scrapes ${w}`);
});

test('the Prometheus config is valid and the alert rules pass their unit tests', () => {
  const config = run('promtool', ['check', 'config', join(deploy, 'prometheus/prometheus.yml')]);
  assert.equal(config.status, 0, config.output);
  const rules = run('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: join(deploy, 'prometheus') });
  assert.equal(rules.status, 0, rules.output);
});

test('the Kubernetes manifests refer only to objects they define', () => {
  const dir = join(deploy, 'kubernetes');
  const objects = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as K8sObject));
  const defined = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
  const deployment = objects.find((o) => o.kind === 'Deployment');
  assert.ok(deployment?.spec?.template, 'a Deployment');
  const pod = deployment.spec.template.spec;
  for (const container of pod.containers) {
    for (const from of container.envFrom ?? []) {
      if (from.secretRef) assert.ok(defined.has(`Secret/${from.secretRef.name}`), from.secretRef.name);
    }
  }
  for (const volume of pod.volumes ?? []) {
    if (volume.configMap) assert.ok(defined.has(`ConfigMap/${volume.configMap.name}`), volume.configMap.name);
  }
  assert.equal(deployment.spec.template.metadata.annotations['prometheus.io/scrape'], 'true');
  const service = objects.find((o) => o.kind === 'Service');
  assert.deepEqual(service?.spec?.selector, deployment.spec.selector.matchLabels);
});

test('the Kubernetes Deployment runs a 3-worker cluster a disruption budget keeps up', () => {
  const dir = join(deploy, 'kubernetes');
  const objects = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as K8sObject));
  const deployment = objects.find((o) => o.kind === 'Deployment');
  assert.equal(deployment?.spec?.replicas, 3);
  const budget = objects.find((o) => o.kind === 'PodDisruptionBudget');
  assert.ok(budget, 'a PodDisruptionBudget');
  assert.deepEqual(budget.spec?.selector?.matchLabels, deployment.spec.selector.matchLabels);
  assert.ok(budget.spec.maxUnavailable < deployment.spec.replicas - 1, 'two workers stay to take the work');
  const env = deployment.spec.template.spec.containers[0].env as { name: string; valueFrom?: unknown }[];
  assert.deepEqual(env.find((e) => e.name === 'SIPHON_REST_ADVERTISED_HOST_NAME')?.valueFrom, {
    fieldRef: { fieldPath: 'status.podIP' },
  });
});

interface K8sObject {
  kind: string;
  metadata: { name: string };
  // Only the parts the test reads; manifests are free-form YAML.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
}

const names = uniqueNames('deploy-metrics');
let worker: WorkerProcess | undefined;
after(async () => {
  if (worker) {
    worker.kill('SIGTERM');
    await worker.waitForExit();
  }
  await deleteTopics(names.group);
});

test("a running worker's /metrics passes promtool check metrics", async () => {
  worker = await WorkerProcess.start(names);
  const created = await worker.api('POST', '/connectors', {
    name: `${names.group}-counter`,
    config: { 'connector.class': 'counter', topic: `${names.group}-counts`, 'interval.ms': '50' },
  });
  assert.equal(created.status, 201, created.text);
  const running = worker;
  const metrics = await eventually('connector metrics', async () => {
    const text = await (await fetch(`${running.url}/metrics`)).text();
    return text.includes('siphon_source_records_produced_total{') ? text : undefined;
  });
  assert.match(metrics, /siphon_connector_state\{connector="deploy-metrics-[^"]+",state="RUNNING"\} 1/);
  const lint = run('promtool', ['check', 'metrics'], { input: metrics });
  assert.equal(lint.status, 0, lint.output);
});
