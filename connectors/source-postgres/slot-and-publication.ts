import type pg from 'pg';
import { ConfigError, RetriableError, SiphonError, sleep } from '../../runtime/plugin/index.js';
import type { TableRef } from './catalog.js';
import type { PostgresOptions } from './config.js';
import { quoteIdent } from './connection.js';
import { parseLsn } from './lsn.js';

/** The replication slot's state in pg_replication_slots, or null when there is none. */
export interface SlotState {
  readonly active: boolean;
  readonly activePid: number | null;
  readonly confirmedFlushLsn: bigint | null;
  readonly plugin: string;
  readonly database: string;
}

export async function slotState(client: pg.Client, slotName: string): Promise<SlotState | null> {
  const row = (
    await client.query<{
      active: string;
      active_pid: string | null;
      confirmed_flush_lsn: string | null;
      plugin: string;
      database: string;
    }>(
      `SELECT active::text, active_pid, confirmed_flush_lsn::text, plugin, database
         FROM pg_replication_slots WHERE slot_name = $1`,
      [slotName],
    )
  ).rows[0];
  if (row === undefined) return null;
  return {
    active: row.active === 'true',
    activePid: row.active_pid === null ? null : Number(row.active_pid),
    confirmedFlushLsn: row.confirmed_flush_lsn === null ? null : parseLsn(row.confirmed_flush_lsn),
    plugin: row.plugin,
    database: row.database,
  };
}

export function slotInUseError(slotName: string, pid: number | null): RetriableError {
  return new RetriableError(
    `replication slot "${slotName}" is in use by server process ${pid ?? '?'}; another connector (or a stale connection) streams from it — stop it or give this connector its own slot.name; retrying`,
  );
}

/** Checks the slot belongs to this database and pgoutput, and is free; throws otherwise. */
export function checkSlot(state: SlotState, options: PostgresOptions): void {
  if (state.database !== options.dbname || state.plugin !== 'pgoutput') {
    throw new ConfigError(
      'slot.name',
      `replication slot "${options.slotName}" exists for database "${state.database}" with plugin ${state.plugin}; this connector needs one for "${options.dbname}" with pgoutput — choose another slot.name`,
    );
  }
  if (state.active) throw slotInUseError(options.slotName, state.activePid);
}

/**
 * Drops the slot. Right after the replication connection closed, its walsender may still
 * hold the slot for a moment ("is active", 55006): that is waited out, for at most 10 s.
 */
export async function dropSlot(client: pg.Client, slotName: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await client.query(
        'SELECT pg_drop_replication_slot($1) FROM pg_replication_slots WHERE slot_name = $1',
        [slotName],
      );
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '55006' || Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

/** Creates or checks the publication as publication.autocreate.mode says. */
export async function ensurePublication(
  client: pg.Client,
  options: PostgresOptions,
  tables: readonly TableRef[],
): Promise<void> {
  const existing = await client.query<{ puballtables: string }>(
    'SELECT puballtables::text FROM pg_publication WHERE pubname = $1',
    [options.publicationName],
  );
  const name = quoteIdent(options.publicationName);
  const published = tables.map((t) => `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`);
  const signalTable = await signalTableName(client, options);
  // Signals and watermarks are read from the stream: the signal table is published, captured or not.
  if (signalTable !== null && !published.includes(signalTable)) published.push(signalTable);
  const tableList = published.join(', ');
  switch (options.publicationAutocreateMode) {
    case 'disabled':
      if (existing.rowCount === 0) {
        throw new ConfigError(
          'publication.autocreate.mode',
          `publication "${options.publicationName}" does not exist and publication.autocreate.mode=disabled: create it (CREATE PUBLICATION ${name} FOR TABLE ...) or set publication.autocreate.mode=filtered`,
        );
      }
      if (signalTable !== null) await checkSignalTablePublished(client, options, signalTable);
      return;
    case 'all_tables':
      if (existing.rowCount === 0) await client.query(`CREATE PUBLICATION ${name} FOR ALL TABLES`);
      return;
    case 'filtered':
      if (existing.rowCount === 0) {
        await client.query(`CREATE PUBLICATION ${name}${tableList === '' ? '' : ` FOR TABLE ${tableList}`}`);
      } else if (existing.rows[0]?.puballtables !== 'true' && tableList !== '') {
        await client.query(`ALTER PUBLICATION ${name} SET TABLE ${tableList}`);
      }
      return;
  }
}

/** A publication the connector does not manage must publish the signal table, or no signal arrives. */
async function checkSignalTablePublished(
  client: pg.Client,
  options: PostgresOptions,
  signalTable: string,
): Promise<void> {
  const [schema, table] = (options.signalDataCollection ?? '').split('.');
  const published = await client.query(
    'SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND tablename = $3',
    [options.publicationName, schema, table],
  );
  if (published.rowCount === 0) {
    throw new ConfigError(
      'signal.data.collection',
      `publication "${options.publicationName}" does not publish the signal table ${options.signalDataCollection ?? ''}, so no signal or watermark would arrive: ALTER PUBLICATION ${quoteIdent(options.publicationName)} ADD TABLE ${signalTable}`,
    );
  }
}

/** The signal table (signal.data.collection) quoted for SQL, null when none is set; it must exist. */
async function signalTableName(client: pg.Client, options: PostgresOptions): Promise<string | null> {
  const collection = options.signalDataCollection;
  if (collection === null) return null;
  const [schema, table] = collection.split('.') as [string, string];
  const found = await client.query(
    `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = 'r'`,
    [schema, table],
  );
  if (found.rowCount === 0) {
    throw new ConfigError(
      'signal.data.collection',
      `signal table ${collection} does not exist: create it (CREATE TABLE ${collection} (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data text)) or unset signal.data.collection`,
    );
  }
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** Maps a server error to what the connector reports: slot in use is retriable. */
export function classifyReplicationError(error: unknown, slotName: string): Error {
  const pgError = error as { code?: string; message?: string };
  if (pgError.code === '55006') {
    const pid = /PID (\d+)/.exec(pgError.message ?? '')?.[1];
    return slotInUseError(slotName, pid === undefined ? null : Number(pid));
  }
  if (pgError.code === '42704') {
    // The position is lost: retrying cannot bring the slot back.
    return new SiphonError(
      `replication slot "${slotName}" does not exist any more (dropped while the connector ran); changes since the last offset may be lost — set snapshot.mode=when_needed to re-snapshot`,
      false,
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
