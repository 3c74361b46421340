import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePgoutput, postgresEpochMicros } from '../../connectors/source-postgres/pgoutput-decoder.js';

/** Builds pgoutput messages byte by byte, as the protocol documentation lays them out. */
class Writer {
  private parts: Buffer[] = [];
  u8(v: number): this {
    this.parts.push(Buffer.from([v]));
    return this;
  }
  char(c: string): this {
    return this.u8(c.charCodeAt(0));
  }
  i16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  i32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    this.parts.push(b);
    return this;
  }
  i64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.parts.push(b);
    return this;
  }
  str(s: string): this {
    this.parts.push(Buffer.from(s + '\0'));
    return this;
  }
  text(s: string): this {
    return this.char('t').i32(Buffer.byteLength(s)).raw(Buffer.from(s));
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  get buffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

describe('pgoutput decoding', () => {
  it('decodes BEGIN with an unsigned xid and the commit time in Unix microseconds', () => {
    const m = decodePgoutput(new Writer().char('B').i64(0x1234n).i64(1_000_000n).u32(0xfffffffe).buffer);
    assert.deepEqual(m, {
      tag: 'begin',
      commitLsn: 0x1234n,
      commitTimeMicros: 1_000_000n + postgresEpochMicros,
      xid: 0xfffffffe,
    });
  });
  it('decodes RELATION with key flags and type modifiers', () => {
    const m = decodePgoutput(
      new Writer()
        .char('R')
        .u32(16384)
        .str('public')
        .str('t')
        .char('f')
        .i16(2)
        .u8(1)
        .str('id')
        .u32(23)
        .i32(-1)
        .u8(0)
        .str('n')
        .u32(1700)
        .i32(655366).buffer,
    );
    assert.equal(m.tag, 'relation');
    if (m.tag !== 'relation') return;
    assert.equal(m.relation.replicaIdentity, 'full');
    assert.deepEqual(m.relation.columns, [
      { isKey: true, name: 'id', typeOid: 23, typmod: -1 },
      { isKey: false, name: 'n', typeOid: 1700, typmod: 655366 },
    ]);
  });
  it('decodes UPDATE with an old tuple, NULL and unchanged TOAST values', () => {
    const m = decodePgoutput(
      new Writer()
        .char('U')
        .u32(16384)
        .char('O')
        .i16(2)
        .text('1')
        .char('n')
        .char('N')
        .i16(2)
        .text('2')
        .char('u').buffer,
    );
    assert.deepEqual(m, {
      tag: 'update',
      relationOid: 16384,
      oldKind: 'O',
      oldTuple: ['1', null],
      newTuple: ['2', undefined],
    });
  });
  it('decodes logical messages and TRUNCATE', () => {
    const msg = decodePgoutput(
      new Writer().char('M').u8(1).i64(99n).str('audit').u32(3).raw(Buffer.from('abc')).buffer,
    );
    assert.deepEqual(msg, {
      tag: 'message',
      transactional: true,
      lsn: 99n,
      prefix: 'audit',
      content: Buffer.from('abc'),
    });
    const t = decodePgoutput(new Writer().char('T').u32(2).u8(1).u32(10).u32(11).buffer);
    assert.deepEqual(t, { tag: 'truncate', relationOids: [10, 11], cascade: true });
  });
  it('rejects an unknown message clearly', () => {
    assert.throws(() => decodePgoutput(Buffer.from('Z')), /unsupported message 'Z'/);
  });
  it('decodes protocol 2 stream messages and xid-prefixed changes inside a stream', () => {
    assert.deepEqual(decodePgoutput(new Writer().char('S').u32(700).u8(1).buffer), {
      tag: 'stream_start',
      xid: 700,
      firstSegment: true,
    });
    const insert = new Writer().char('I').u32(701).u32(16384).char('N').i16(1).text('5').buffer;
    assert.deepEqual(decodePgoutput(insert, true), { tag: 'insert', relationOid: 16384, newTuple: ['5'] });
    assert.deepEqual(decodePgoutput(new Writer().char('c').u32(700).u8(0).i64(10n).i64(20n).i64(0n).buffer), {
      tag: 'stream_commit',
      xid: 700,
      commitLsn: 10n,
      endLsn: 20n,
      commitTimeMicros: postgresEpochMicros,
    });
    assert.deepEqual(decodePgoutput(new Writer().char('A').u32(700).u32(701).buffer), {
      tag: 'stream_abort',
      xid: 700,
      subXid: 701,
    });
  });
});
