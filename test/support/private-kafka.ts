import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { freePort } from './free-port.js';

/**
 * A one-node KRaft broker of the test's own, on free ports in a temp dir, for tests that
 * kill or restart the broker (the shared one on 9092 is never touched). The jars are the
 * local stack's (`<repo>/.cache/kafka-libs`, fetched by Maven the way deploy/local/kafka.sh
 * does when missing); the config is the stack's server.properties with other ports.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const deploy = join(root, 'deploy/local');
const libs = join(root, '.cache/kafka-libs');
const run = promisify(execFile);

async function ensureJars(): Promise<void> {
  if (existsSync(join(libs, '.version'))) return;
  await run(
    'mvn',
    ['-q', '-B', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`],
    { cwd: deploy, timeout: 600_000 },
  );
  const version = /<kafka\.version>(.*)<\/kafka\.version>/.exec(
    readFileSync(join(deploy, 'pom.xml'), 'utf8'),
  )?.[1];
  writeFileSync(join(libs, '.version'), `${version ?? 'unknown'}\n`);
}

/** SASL/PLAIN credentials of a broker whose client listener accepts only SASL_PLAINTEXT. */
export interface PlainCredentials {
  readonly username: string;
  readonly password: string;
}

/** The stack's listener settings turned into one SASL_PLAINTEXT client listener (PLAIN). */
function saslListener(config: string, credentials: PlainCredentials): string {
  const { username, password } = credentials;
  return (
    config
      .replace(/^listeners=PLAINTEXT:/m, 'listeners=SASL_PLAINTEXT:')
      .replace(/^advertised\.listeners=PLAINTEXT:/m, 'advertised.listeners=SASL_PLAINTEXT:')
      .replace(/^inter\.broker\.listener\.name=.*$/m, 'inter.broker.listener.name=SASL_PLAINTEXT')
      .replace(
        /^listener\.security\.protocol\.map=.*$/m,
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
      ) +
    [
      '',
      'sasl.enabled.mechanisms=PLAIN',
      'sasl.mechanism.inter.broker.protocol=PLAIN',
      `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${username}" password="${password}" user_${username}="${password}";`,
      '',
    ].join('\n')
  );
}

/** Adds the PROXIED listener: bound on `port`, advertised at the proxy's `advertisedPort`. */
function withProxiedListener(config: string, proxied: { port: number; advertisedPort: number }): string {
  return config
    .replace(/^listeners=(.*)$/m, `listeners=$1,PROXIED://127.0.0.1:${proxied.port}`)
    .replace(
      /^advertised\.listeners=(.*)$/m,
      `advertised.listeners=$1,PROXIED://127.0.0.1:${proxied.advertisedPort}`,
    )
    .replace(
      /^listener\.security\.protocol\.map=(.*)$/m,
      'listener.security.protocol.map=$1,PROXIED:PLAINTEXT',
    );
}

export class PrivateKafka {
  private process: ChildProcess | null = null;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly properties: string,
    readonly credentials: PlainCredentials | null,
  ) {}

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  /**
   * With `sasl`, clients must authenticate with those credentials (SASL_PLAINTEXT, PLAIN).
   * With `proxied`, a second plaintext listener on `proxied.port` advertises
   * `proxied.advertisedPort`, where a TcpProxy to it listens: a client bootstrapped there
   * reaches the broker only through that proxy, so cutting it cuts that client alone.
   */
  static async create(
    sasl: PlainCredentials | null = null,
    proxied: { readonly port: number; readonly advertisedPort: number } | null = null,
  ): Promise<PrivateKafka> {
    await ensureJars();
    const dir = mkdtempSync(join(tmpdir(), 'siphon-kafka-'));
    const [port, controller] = [await freePort(), await freePort()];
    const properties = join(dir, 'server.properties');
    const config = readFileSync(join(deploy, 'kafka-server.properties'), 'utf8')
      .replaceAll('@DATA_DIR@', join(dir, 'data'))
      .replaceAll('127.0.0.1:9092', `127.0.0.1:${port}`)
      .replaceAll('127.0.0.1:9093', `127.0.0.1:${controller}`);
    const secured = sasl ? saslListener(config, sasl) : config;
    writeFileSync(properties, proxied ? withProxiedListener(secured, proxied) : secured);
    const java = ['-cp', `${libs}/*`, `-Dlog4j.configuration=file:${join(deploy, 'kafka-log4j.properties')}`];
    const { stdout } = await run('java', [...java, 'kafka.tools.StorageTool', 'random-uuid']);
    const clusterId = stdout.trim().split('\n').pop() ?? '';
    await run('java', [...java, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties]);
    const broker = new PrivateKafka(dir, port, properties, sasl);
    await broker.start();
    return broker;
  }

  /** Starts the broker and resolves once it answers metadata requests. */
  async start(): Promise<void> {
    this.process = spawn(
      'java',
      [
        '-Xms128m',
        '-Xmx384m',
        '-Djava.awt.headless=true',
        `-Dlog4j.configuration=file:${join(deploy, 'kafka-log4j.properties')}`,
        '-cp',
        `${libs}/*`,
        'kafka.Kafka',
        this.properties,
      ],
      { stdio: 'ignore' },
    );
    const kafka = this.client({ retry: { retries: 0 } });
    const deadline = Date.now() + 120_000;
    for (;;) {
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.describeCluster();
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`the private broker did not start: ${String(error)}`, { cause: error });
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** A kafkajs client of this broker, authenticating when the broker asks for SASL. */
  client(config: Omit<KafkaConfig, 'brokers'> = {}): Kafka {
    const sasl = this.credentials ? { mechanism: 'plain' as const, ...this.credentials } : undefined;
    return new Kafka({ brokers: [this.bootstrap], logLevel: logLevel.NOTHING, sasl, ...config });
  }

  /** kill -9 (`SIGKILL`) or a clean shutdown (`SIGTERM`); resolves once the process is gone. */
  async stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
