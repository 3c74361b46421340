import { DataError } from '../../runtime/plugin/index.js';

/**
 * Decodes pgoutput messages (logical replication protocol versions 1 and 2). Column
 * values stay in PostgreSQL's text format so that type mapping treats snapshot and
 * streaming values alike; an unchanged TOASTed value is `undefined`.
 * https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 */

export interface RelationColumn {
  readonly name: string;
  /** Part of the replica identity (the key for DEFAULT/INDEX identity). */
  readonly isKey: boolean;
  readonly typeOid: number;
  readonly typmod: number;
}

export interface Relation {
  readonly relationOid: number;
  readonly schema: string;
  readonly table: string;
  readonly replicaIdentity: 'default' | 'nothing' | 'full' | 'index';
  readonly columns: readonly RelationColumn[];
}

/** Column texts by position: string, null for SQL NULL, undefined for an unchanged TOAST value. */
export type Tuple = readonly (string | null | undefined)[];

export type PgoutputMessage =
  | {
      readonly tag: 'begin';
      readonly commitLsn: bigint;
      readonly commitTimeMicros: bigint;
      readonly xid: number;
    }
  | {
      readonly tag: 'commit';
      readonly commitLsn: bigint;
      readonly endLsn: bigint;
      readonly commitTimeMicros: bigint;
    }
  | { readonly tag: 'origin'; readonly lsn: bigint; readonly name: string }
  | { readonly tag: 'relation'; readonly relation: Relation }
  | { readonly tag: 'type'; readonly typeOid: number; readonly schema: string; readonly name: string }
  | { readonly tag: 'insert'; readonly relationOid: number; readonly newTuple: Tuple }
  | {
      readonly tag: 'update';
      readonly relationOid: number;
      /** 'K': the old key (key changed), 'O': the whole old row (REPLICA IDENTITY FULL). */
      readonly oldKind: 'K' | 'O' | null;
      readonly oldTuple: Tuple | null;
      readonly newTuple: Tuple;
    }
  | {
      readonly tag: 'delete';
      readonly relationOid: number;
      readonly oldKind: 'K' | 'O';
      readonly oldTuple: Tuple;
    }
  | { readonly tag: 'truncate'; readonly relationOids: readonly number[]; readonly cascade: boolean }
  | { readonly tag: 'stream_start'; readonly xid: number; readonly firstSegment: boolean }
  | { readonly tag: 'stream_stop' }
  | {
      readonly tag: 'stream_commit';
      readonly xid: number;
      readonly commitLsn: bigint;
      readonly endLsn: bigint;
      readonly commitTimeMicros: bigint;
    }
  | { readonly tag: 'stream_abort'; readonly xid: number; readonly subXid: number }
  | {
      readonly tag: 'message';
      readonly transactional: boolean;
      readonly lsn: bigint;
      readonly prefix: string;
      readonly content: Buffer;
    };

/** Microseconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01. */
export const postgresEpochMicros = 946_684_800_000_000n;

class Reader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}
  u8(): number {
    return this.buf.readUInt8(this.offset++);
  }
  i16(): number {
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  i32(): number {
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  u64(): bigint {
    const v = this.buf.readBigUInt64BE(this.offset);
    this.offset += 8;
    return v;
  }
  i64(): bigint {
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }
  cstring(): string {
    const end = this.buf.indexOf(0, this.offset);
    if (end < 0) throw new DataError('pgoutput: unterminated string');
    const s = this.buf.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return s;
  }
  bytes(n: number): Buffer {
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }
}

const replicaIdentities = { d: 'default', n: 'nothing', f: 'full', i: 'index' } as const;

function readTuple(r: Reader): Tuple {
  const count = r.i16();
  const values: (string | null | undefined)[] = new Array<string | null | undefined>(count);
  for (let i = 0; i < count; i++) {
    const kind = String.fromCharCode(r.u8());
    if (kind === 'n') values[i] = null;
    else if (kind === 'u') values[i] = undefined;
    else if (kind === 't') values[i] = r.bytes(r.i32()).toString('utf8');
    else throw new DataError(`pgoutput: unexpected tuple value kind '${kind}' (binary mode is not used)`);
  }
  return values;
}

/** Messages that carry the (sub)transaction id after their tag inside a stream block (protocol 2). */
export const streamedTags = new Set(['R', 'Y', 'I', 'U', 'D', 'T', 'M']);

/**
 * Decodes one message. `inStream`: the message was sent inside a stream block of an
 * in-progress transaction, where data messages carry their transaction id after the tag.
 */
export function decodePgoutput(buf: Buffer, inStream = false): PgoutputMessage {
  const r = new Reader(buf);
  const tag = String.fromCharCode(r.u8());
  if (inStream && streamedTags.has(tag)) r.u32();
  switch (tag) {
    case 'B': {
      const commitLsn = r.u64();
      const commitTimeMicros = r.i64() + postgresEpochMicros;
      return { tag: 'begin', commitLsn, commitTimeMicros, xid: r.u32() };
    }
    case 'C': {
      r.u8();
      const commitLsn = r.u64();
      const endLsn = r.u64();
      return { tag: 'commit', commitLsn, endLsn, commitTimeMicros: r.i64() + postgresEpochMicros };
    }
    case 'O': {
      const lsn = r.u64();
      return { tag: 'origin', lsn, name: r.cstring() };
    }
    case 'R': {
      const relationOid = r.u32();
      const schema = r.cstring();
      const table = r.cstring();
      const identity = String.fromCharCode(r.u8()) as keyof typeof replicaIdentities;
      const count = r.i16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < count; i++) {
        const flags = r.u8();
        columns.push({ isKey: (flags & 1) === 1, name: r.cstring(), typeOid: r.u32(), typmod: r.i32() });
      }
      return {
        tag: 'relation',
        relation: {
          relationOid,
          schema,
          table,
          replicaIdentity: replicaIdentities[identity] ?? 'default',
          columns,
        },
      };
    }
    case 'Y': {
      const typeOid = r.u32();
      return { tag: 'type', typeOid, schema: r.cstring(), name: r.cstring() };
    }
    case 'I': {
      const relationOid = r.u32();
      r.u8(); // 'N'
      return { tag: 'insert', relationOid, newTuple: readTuple(r) };
    }
    case 'U': {
      const relationOid = r.u32();
      let kind = String.fromCharCode(r.u8());
      let oldKind: 'K' | 'O' | null = null;
      let oldTuple: Tuple | null = null;
      if (kind === 'K' || kind === 'O') {
        oldKind = kind;
        oldTuple = readTuple(r);
        kind = String.fromCharCode(r.u8());
      }
      if (kind !== 'N') throw new DataError(`pgoutput: unexpected update sub-message '${kind}'`);
      return { tag: 'update', relationOid, oldKind, oldTuple, newTuple: readTuple(r) };
    }
    case 'D': {
      const relationOid = r.u32();
      const kind = String.fromCharCode(r.u8());
      if (kind !== 'K' && kind !== 'O')
        throw new DataError(`pgoutput: unexpected delete sub-message '${kind}'`);
      return { tag: 'delete', relationOid, oldKind: kind, oldTuple: readTuple(r) };
    }
    case 'T': {
      const count = r.u32();
      const flags = r.u8();
      const relationOids: number[] = [];
      for (let i = 0; i < count; i++) relationOids.push(r.u32());
      return { tag: 'truncate', relationOids, cascade: (flags & 1) === 1 };
    }
    case 'M': {
      const flags = r.u8();
      const lsn = r.u64();
      const prefix = r.cstring();
      const content = Buffer.from(r.bytes(r.u32()));
      return { tag: 'message', transactional: (flags & 1) === 1, lsn, prefix, content };
    }
    case 'S': {
      const xid = r.u32();
      return { tag: 'stream_start', xid, firstSegment: r.u8() === 1 };
    }
    case 'E':
      return { tag: 'stream_stop' };
    case 'c': {
      const xid = r.u32();
      r.u8();
      const commitLsn = r.u64();
      const endLsn = r.u64();
      return {
        tag: 'stream_commit',
        xid,
        commitLsn,
        endLsn,
        commitTimeMicros: r.i64() + postgresEpochMicros,
      };
    }
    case 'A': {
      const xid = r.u32();
      return { tag: 'stream_abort', xid, subXid: r.u32() };
    }
    default:
      throw new DataError(`pgoutput: unsupported message '${tag}'`);
  }
}
