import type pg from 'pg';
import type { TableRef } from './catalog.js';
import type { PostgresOptions } from './config.js';

/**
 * Checks the server and the user before the connector touches anything, each failure
 * naming what is missing and how to fix it.
 */
export async function preflightProblems(
  client: pg.Client,
  options: PostgresOptions,
  tables: readonly TableRef[],
): Promise<string[]> {
  const problems: string[] = [];
  const walLevel = (await client.query<{ wal_level: string }>('SHOW wal_level')).rows[0]?.wal_level;
  if (walLevel !== 'logical') {
    problems.push(
      `wal_level is '${walLevel}' on ${options.hostname}:${options.port}, but logical decoding needs 'logical': run ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL`,
    );
  }
  const role = (
    await client.query<{ rolreplication: string; rolsuper: string }>(
      'SELECT rolreplication::text, rolsuper::text FROM pg_roles WHERE rolname = current_user',
    )
  ).rows[0];
  const superuser = role?.rolsuper === 'true';
  if (!superuser && role?.rolreplication !== 'true') {
    problems.push(
      `user "${options.user}" lacks the REPLICATION privilege needed for a replication slot: run ALTER ROLE "${options.user}" REPLICATION`,
    );
  }
  if (!superuser && options.publicationAutocreateMode === 'all_tables') {
    const exists = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [
      options.publicationName,
    ]);
    if (exists.rowCount === 0) {
      problems.push(
        `publication "${options.publicationName}" does not exist and creating it FOR ALL TABLES needs superuser: create it as a superuser, or set publication.autocreate.mode=filtered`,
      );
    }
  }
  const missing: string[] = [];
  for (const table of tables) {
    const granted = await client.query<{ ok: string }>(
      "SELECT has_table_privilege($1::oid, 'SELECT')::text AS ok",
      [table.oid],
    );
    if (granted.rows[0]?.ok !== 'true') missing.push(`${table.schema}.${table.table}`);
  }
  if (missing.length > 0) {
    problems.push(
      `user "${options.user}" lacks SELECT on ${missing.join(', ')}: run GRANT SELECT ON ${missing.join(', ')} TO "${options.user}"`,
    );
  }
  return problems;
}
