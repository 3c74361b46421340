import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';

export interface WorkerNames {
  /** The worker's group.id; its store topics are named after it. */
  readonly group: string;
  /** Shared by every worker of a run: a sink worker decodes what a source worker's registry registered. */
  readonly schemasTopic: string;
}

/**
 * One `siphon worker` process of the benchmark, with its own group and store topics, and
 * the REST calls the benchmark makes to it.
 */
export class BenchWorker {
  private readonly stderrTail: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly rest: string,
    readonly registry: string,
  ) {
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail.push(chunk);
      if (this.stderrTail.length > 40) this.stderrTail.shift();
    });
  }

  static async start(root: string, names: WorkerNames): Promise<BenchWorker> {
    const restPort = await freePort();
    const registryPort = await freePort();
    const child = spawn(
      process.execPath,
      [
        ...(process.env.SIPHON_BENCH_NODE_ARGS ? process.env.SIPHON_BENCH_NODE_ARGS.split(' ') : []),
        join(root, 'bin/siphon.js'),
        'worker',
      ],
      {
        cwd: root,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          ...process.env,
          SIPHON_GROUP_ID: names.group,
          SIPHON_CONFIG_STORAGE_TOPIC: `${names.group}-configs`,
          SIPHON_OFFSET_STORAGE_TOPIC: `${names.group}-offsets`,
          SIPHON_STATUS_STORAGE_TOPIC: `${names.group}-status`,
          SIPHON_REST_PORT: String(restPort),
          SIPHON_SCHEMA_REGISTRY_PORT: String(registryPort),
          SIPHON_SCHEMA_REGISTRY_TOPIC: names.schemasTopic,
          SIPHON_LOG_LEVEL: 'warn',
        },
      },
    );
    if (child.pid === undefined) throw new Error('the worker did not start');
    const worker = new BenchWorker(
      child,
      child.pid,
      `http://127.0.0.1:${restPort}`,
      `http://127.0.0.1:${registryPort}`,
    );
    const deadline = Date.now() + 120_000;
    while ((await fetch(`${worker.rest}/health`).catch(() => null))?.ok !== true) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the worker did not become healthy: ${worker.stderr()}`);
      }
      await sleep(200);
    }
    return worker;
  }

  stderr(): string {
    return this.stderrTail.join('').slice(-4000);
  }

  async createConnector(name: string, config: Record<string, string>): Promise<void> {
    const response = await fetch(`${this.rest}/connectors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, config }),
    });
    if (response.status !== 201) throw new Error(`${name}: ${await response.text()}`);
  }

  /** PUT /connectors/{name}/pause or /resume (Kafka Connect answers 202). */
  async setPaused(name: string, paused: boolean): Promise<void> {
    const action = paused ? 'pause' : 'resume';
    const response = await fetch(`${this.rest}/connectors/${encodeURIComponent(name)}/${action}`, {
      method: 'PUT',
    });
    if (!response.ok) throw new Error(`${action} ${name}: ${await response.text()}`);
  }

  /** Fails as soon as the connector or its task reports FAILED, with the trace. */
  async assertNotFailed(name: string): Promise<void> {
    const response = await fetch(`${this.rest}/connectors/${encodeURIComponent(name)}/status`);
    if (!response.ok) return;
    const status = (await response.json()) as {
      connector: { state: string; trace?: string };
      tasks: { state: string; trace?: string }[];
    };
    for (const part of [status.connector, ...status.tasks]) {
      if (part.state === 'FAILED') throw new Error(`${name} failed: ${part.trace ?? 'no trace'}`);
    }
  }

  /** SIGTERM, then SIGKILL after 30 s; only this worker's own pid. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
