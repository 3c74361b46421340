import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Changes of in-progress transactions that PostgreSQL streams (pgoutput protocol 2 with
 * `streaming on`), kept on disk until the transaction's stream commit (then replayed in
 * order) or abort (then dropped). A change event must not be emitted before its
 * transaction commits, and memory stays bounded: each open transaction holds at most
 * `flushBytes` in memory before appending to its file.
 */
const flushBytes = 1 << 20;
const headerBytes = 16;

interface OpenTransaction {
  readonly path: string;
  pending: Buffer[];
  pendingBytes: number;
  readonly abortedSubXids: Set<number>;
}

export interface SpilledMessage {
  readonly walStart: bigint;
  readonly data: Buffer;
}

export class StreamedTransactions {
  private dir: string | null = null;
  private readonly open = new Map<number, OpenTransaction>();

  private async transaction(xid: number): Promise<OpenTransaction> {
    let tx = this.open.get(xid);
    if (tx === undefined) {
      this.dir ??= await mkdtemp(join(tmpdir(), 'siphon-pg-stream-'));
      tx = { path: join(this.dir, `${xid}.bin`), pending: [], pendingBytes: 0, abortedSubXids: new Set() };
      this.open.set(xid, tx);
    }
    return tx;
  }

  /** Keeps one message of (sub)transaction `subXid` of top-level transaction `xid`. */
  async append(xid: number, subXid: number, walStart: bigint, data: Buffer): Promise<void> {
    const tx = await this.transaction(xid);
    const header = Buffer.alloc(headerBytes);
    header.writeUInt32BE(subXid, 0);
    header.writeBigUInt64BE(walStart, 4);
    header.writeUInt32BE(data.length, 12);
    tx.pending.push(header, data);
    tx.pendingBytes += headerBytes + data.length;
    if (tx.pendingBytes >= flushBytes) await this.flush(tx);
  }

  private async flush(tx: OpenTransaction): Promise<void> {
    if (tx.pendingBytes === 0) return;
    const file = await open(tx.path, 'a');
    try {
      await file.writev(tx.pending);
    } finally {
      await file.close();
    }
    tx.pending = [];
    tx.pendingBytes = 0;
  }

  /** A stream abort: the whole transaction (`subXid === xid`) or one subtransaction. */
  async abort(xid: number, subXid: number): Promise<void> {
    const tx = this.open.get(xid);
    if (tx === undefined) return;
    if (subXid !== xid) {
      tx.abortedSubXids.add(subXid);
      return;
    }
    this.open.delete(xid);
    await rm(tx.path, { force: true });
  }

  /** The committed transaction's messages in order, without aborted subtransactions; then forgets it. */
  async *replay(xid: number): AsyncGenerator<SpilledMessage> {
    const tx = this.open.get(xid);
    if (tx === undefined) return;
    this.open.delete(xid);
    await this.flush(tx);
    let file: FileHandle | null = null;
    try {
      file = await open(tx.path, 'r');
      let carry = Buffer.alloc(0);
      const chunk = Buffer.alloc(flushBytes);
      for (;;) {
        const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        let buf =
          carry.length === 0
            ? chunk.subarray(0, bytesRead)
            : Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
        while (buf.length >= headerBytes) {
          const length = buf.readUInt32BE(12);
          if (buf.length < headerBytes + length) break;
          const subXid = buf.readUInt32BE(0);
          const walStart = buf.readBigUInt64BE(4);
          const data = Buffer.from(buf.subarray(headerBytes, headerBytes + length));
          buf = buf.subarray(headerBytes + length);
          if (!tx.abortedSubXids.has(subXid)) yield { walStart, data };
        }
        carry = Buffer.from(buf);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    } finally {
      await file?.close();
      await rm(tx.path, { force: true });
    }
  }

  /** Drops every open transaction (a new replication session streams them again from their start). */
  async clear(): Promise<void> {
    this.open.clear();
    if (this.dir !== null) await rm(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}
