import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

/**
 * A PostgreSQL 15 cluster of the test's own (initdb + pg_ctl as the postgres user, in a
 * temp dir, on a free port, wal_level=logical), for tests that stop or restart the
 * server: the shared server on 5432 is never touched.
 */
const bin = process.env.SIPHON_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const run = promisify(execFile);

function asPostgres(command: string, args: readonly string[], timeoutMs = 120_000) {
  const asRoot = process.getuid?.() === 0;
  const [file, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', join(bin, command), ...args]]
    : [join(bin, command), [...args]];
  return run(file, argv, { timeout: timeoutMs });
}

export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  static async create(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'siphon-pg-'));
    if (process.getuid?.() === 0) chownSync(dir, ...postgresIds());
    const cluster = new PrivatePostgres(dir, await freePort());
    await asPostgres('initdb', ['-D', cluster.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    const conf = [
      `port = ${cluster.port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${dir}'`,
      'wal_level = logical',
      'max_wal_senders = 10',
      'max_replication_slots = 10',
      'fsync = off',
      'shared_buffers = 32MB',
    ];
    writeFileSync(join(cluster.dataDir, 'postgresql.auto.conf'), `${conf.join('\n')}\n`);
    if (process.getuid?.() === 0) chownSync(join(cluster.dataDir, 'postgresql.auto.conf'), ...postgresIds());
    await cluster.start();
    return cluster;
  }

  async start(): Promise<void> {
    await asPostgres('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      join(this.dir, 'server.log'),
      '-w',
      '-t',
      '60',
      'start',
    ]);
  }

  /**
   * A fast shutdown (what `pg_ctlcluster … restart` does): rejects if the server is not
   * down within `timeoutSeconds`.
   */
  async stop(timeoutSeconds = 60): Promise<void> {
    await asPostgres('pg_ctl', [
      '-D',
      this.dataDir,
      '-m',
      'fast',
      '-w',
      '-t',
      String(timeoutSeconds),
      'stop',
    ]);
  }

  /** Stops whatever way works and removes the cluster's directory. */
  async destroy(): Promise<void> {
    await this.stop(30).catch(() =>
      asPostgres('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', 'stop']).catch(() => undefined),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function postgresIds(): [number, number] {
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((line) => line.startsWith('postgres:'));
  if (!entry)
    throw new Error('no postgres user on this machine; PostgreSQL 15 must be installed for this test');
  const [, , uid, gid] = entry.split(':');
  return [Number(uid), Number(gid)];
}
