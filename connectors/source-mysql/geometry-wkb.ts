import { DataError } from '../../runtime/plugin/index.js';

/**
 * Well-known binary for GEOMETRY values. mysql2 and zongji both hand spatial values over
 * already parsed ({x, y} points, arrays of points and rings) and drop the SRID, so the
 * connector re-encodes WKB (little-endian) from that form and emits `srid: null`.
 * The column type names the geometry kind; for a generic GEOMETRY or
 * GEOMETRYCOLLECTION column the kind is inferred from the shape, where a MULTIPOINT is
 * indistinguishable from a LINESTRING and a MULTILINESTRING from a POLYGON (the simpler
 * kind is written).
 */
interface Point {
  readonly x: number;
  readonly y: number;
}

const wkbTypes: Readonly<Record<string, number>> = {
  point: 1,
  linestring: 2,
  polygon: 3,
  multipoint: 4,
  multilinestring: 5,
  multipolygon: 6,
  geometrycollection: 7,
};

export function encodeWkb(columnType: string, value: unknown): Buffer {
  const kind =
    columnType === 'geometry' || columnType === 'geometrycollection' ? inferKind(value) : columnType;
  const chunks: Buffer[] = [];
  write(kind, value, chunks);
  return Buffer.concat(chunks);
}

function isPoint(value: unknown): value is Point {
  return typeof value === 'object' && value !== null && 'x' in value && 'y' in value;
}

function inferKind(value: unknown): string {
  if (isPoint(value)) return 'point';
  if (!Array.isArray(value))
    throw new DataError(`a geometry value has an unknown shape: ${JSON.stringify(value)}`);
  const first: unknown = value[0];
  if (first === undefined || isPoint(first)) return 'linestring';
  if (Array.isArray(first) && (first.length === 0 || isPoint(first[0]))) return 'polygon';
  return 'multipolygon';
}

function header(type: number): Buffer {
  const buffer = Buffer.alloc(5);
  buffer.writeUInt8(1, 0); // little-endian
  buffer.writeUInt32LE(type, 1);
  return buffer;
}

function count(n: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(n, 0);
  return buffer;
}

function points(list: readonly Point[]): Buffer {
  const buffer = Buffer.alloc(4 + list.length * 16);
  buffer.writeUInt32LE(list.length, 0);
  list.forEach((point, i) => {
    buffer.writeDoubleLE(point.x, 4 + i * 16);
    buffer.writeDoubleLE(point.y, 12 + i * 16);
  });
  return buffer;
}

function write(kind: string, value: unknown, chunks: Buffer[]): void {
  const type = wkbTypes[kind];
  if (type === undefined) throw new DataError(`"${kind}" is not a geometry type`);
  chunks.push(header(type));
  if (kind === 'point') {
    const point = value as Point;
    const xy = Buffer.alloc(16);
    xy.writeDoubleLE(point.x, 0);
    xy.writeDoubleLE(point.y, 8);
    chunks.push(xy);
    return;
  }
  const list = value as readonly unknown[];
  if (kind === 'linestring') {
    chunks.push(points(list as Point[]));
  } else if (kind === 'polygon') {
    chunks.push(count(list.length), ...(list as Point[][]).map(points));
  } else {
    const member = kind === 'multipoint' ? 'point' : kind === 'multilinestring' ? 'linestring' : 'polygon';
    chunks.push(count(list.length));
    for (const element of list)
      write(kind === 'geometrycollection' ? inferKind(element) : member, element, chunks);
  }
}
