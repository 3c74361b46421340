import pg from 'pg';
import { postgresEpochMicros } from './pgoutput-decoder.js';

/**
 * A logical replication connection: START_REPLICATION, the CopyBoth stream of XLogData
 * and keepalive messages in arrival order, and standby status updates.
 *
 * Received messages wait in a small bounded buffer; while it is full the socket is
 * paused, so a large transaction is held back by TCP rather than by memory.
 * (pg-logical-replication's service is not used: under flow control it reports
 * keepalives ahead of queued data, and its parser converts values with pg's global
 * type parsers, which lose precision.)
 */
export type StreamMessage =
  | { readonly kind: 'xlog'; readonly walStart: bigint; readonly data: Buffer }
  | { readonly kind: 'keepalive'; readonly walEnd: bigint; readonly replyRequested: boolean };

/** The parts of pg's internal Connection this class uses. */
interface CopyConnection {
  on(event: 'copyData', listener: (message: { chunk: Buffer }) => void): void;
  sendCopyFromChunk(chunk: Buffer): void;
  stream: { pause(): void; resume(): void };
}

const highWater = 256;
const lowWater = 64;

export class ReplicationStream {
  private readonly client: pg.Client;
  private readonly buffer: StreamMessage[] = [];
  private wake: (() => void) | null = null;
  private ended = false;
  private failure: Error | null = null;
  private paused = false;
  private connection: CopyConnection | null = null;

  constructor(config: pg.ClientConfig) {
    this.client = new pg.Client({ ...config, replication: 'database' } as pg.ClientConfig);
    this.client.on('error', (error) => this.finish(error));
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  /** Runs a replication command (CREATE_REPLICATION_SLOT, IDENTIFY_SYSTEM, ...). */
  async command<R extends pg.QueryResultRow>(sql: string): Promise<R[]> {
    return (await this.client.query<R>(sql)).rows;
  }

  /** The server process id of this walsender (pg_stat_replication.pid). */
  get backendPid(): number {
    return (this.client as unknown as { processID: number }).processID;
  }

  start(slotName: string, startLsn: string, pluginOptions: readonly string[]): void {
    // pg's Connection is not in its public types; its CopyBoth support is what replication needs.
    const connection = (this.client as unknown as { connection: CopyConnection }).connection;
    this.connection = connection;
    connection.on('copyData', ({ chunk }) => this.receive(chunk));
    const sql = `START_REPLICATION SLOT "${slotName}" LOGICAL ${startLsn} (${pluginOptions.join(', ')})`;
    this.client.query(sql).then(
      () => this.finish(null),
      (error: Error) => this.finish(error),
    );
  }

  private receive(chunk: Buffer): void {
    const tag = chunk[0];
    if (tag === 0x77) {
      // 'w' XLogData: walStart, walEnd, sendTime, then the pgoutput message.
      this.buffer.push({
        kind: 'xlog',
        walStart: chunk.readBigUInt64BE(1),
        data: Buffer.from(chunk.subarray(25)),
      });
    } else if (tag === 0x6b) {
      // 'k' keepalive: walEnd, sendTime, reply requested.
      this.buffer.push({
        kind: 'keepalive',
        walEnd: chunk.readBigUInt64BE(1),
        replyRequested: chunk[17] === 1,
      });
    } else {
      return;
    }
    if (this.buffer.length >= highWater && !this.paused) {
      this.paused = true;
      this.connection?.stream.pause();
    }
    this.wake?.();
  }

  private finish(error: Error | null): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    this.wake?.();
  }

  /**
   * The next message in arrival order; 'idle' after `idleMs` without one or when `signal`
   * aborts; null once the stream ended cleanly; throws if it failed.
   */
  async next(signal: AbortSignal, idleMs: number): Promise<StreamMessage | 'idle' | null> {
    if (this.buffer.length === 0) {
      if (this.ended) {
        if (this.failure !== null) throw this.failure;
        return null;
      }
      if (signal.aborted) return 'idle';
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.wake = null;
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, idleMs);
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
      if (this.buffer.length === 0) {
        if (this.ended && this.failure !== null) throw this.failure;
        return this.ended ? null : 'idle';
      }
    }
    const message = this.buffer.shift() ?? null;
    if (this.paused && this.buffer.length <= lowWater) {
      this.paused = false;
      this.connection?.stream.resume();
    }
    return message;
  }

  /** Standby status update: everything before `flushLsn` is durable downstream. */
  sendStatus(flushLsn: bigint, replyRequested = false): void {
    if (this.connection === null || this.ended) return;
    const message = Buffer.alloc(34);
    message.write('r', 0);
    message.writeBigUInt64BE(flushLsn, 1);
    message.writeBigUInt64BE(flushLsn, 9);
    message.writeBigUInt64BE(flushLsn, 17);
    message.writeBigInt64BE(BigInt(Date.now()) * 1000n - postgresEpochMicros, 25);
    message.writeUInt8(replyRequested ? 1 : 0, 33);
    this.connection.sendCopyFromChunk(message);
  }

  async close(): Promise<void> {
    this.finish(null);
    await this.client.end().catch(() => undefined);
  }
}
