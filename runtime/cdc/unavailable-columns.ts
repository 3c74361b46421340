import { DataError } from '../plugin/index.js';
import type { RecordHeader } from '../record/index.js';

/**
 * The header a source puts on a change event whose row lacks some column values: a JSON
 * array of the column names whose value the database did not send (PostgreSQL's unchanged
 * TOASTed values under REPLICA IDENTITY DEFAULT). In the row those columns hold Debezium's
 * `unavailable.value.placeholder` where the type can carry it and null otherwise; the
 * header is what says so for every type. A sink writes such an event as a partial update.
 */
export const UNAVAILABLE_COLUMNS_HEADER = '__siphon.unavailable.columns';

export function unavailableColumnsHeader(columns: readonly string[]): RecordHeader {
  return { key: UNAVAILABLE_COLUMNS_HEADER, value: JSON.stringify(columns) };
}

/** The column names in a record's header, or [] without one; a malformed header is an error. */
export function unavailableColumnsOf(headers: readonly RecordHeader[] | undefined): string[] {
  const header = headers?.find((candidate) => candidate.key === UNAVAILABLE_COLUMNS_HEADER);
  if (header === undefined || header.value === null) return [];
  const text = typeof header.value === 'string' ? header.value : header.value.toString('utf8');
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every((name) => typeof name === 'string'))
    throw new DataError(`header ${UNAVAILABLE_COLUMNS_HEADER} is not a JSON array of column names: ${text}`);
  return parsed;
}
