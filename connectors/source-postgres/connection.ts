import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { PostgresOptions } from './config.js';

/**
 * Client settings for every connection the connector opens. Snapshot and streaming read
 * values in PostgreSQL's text format with the same session settings, so one column
 * value converts identically whichever path it came through.
 */
const sessionSettings = [
  'DateStyle=ISO',
  'TimeZone=UTC',
  'IntervalStyle=iso_8601',
  'extra_float_digits=3',
  'bytea_output=hex',
  'lc_monetary=C',
];

/** Every value stays text: type mapping converts it (pg's own parsers would lose precision). */
const textOnly = { getTypeParser: () => (value: string) => value };

function sslOf(options: PostgresOptions): pg.ClientConfig['ssl'] {
  if (options.sslMode === 'disable' || options.sslMode === 'allow' || options.sslMode === 'prefer') {
    // node-postgres cannot fall back from TLS to plain text; allow/prefer connect without TLS.
    return false;
  }
  return {
    rejectUnauthorized: options.sslMode !== 'require',
    ca: options.sslRootCert === null ? undefined : readFileSync(options.sslRootCert, 'utf8'),
    cert: options.sslCert === null ? undefined : readFileSync(options.sslCert, 'utf8'),
    key: options.sslKey === null ? undefined : readFileSync(options.sslKey, 'utf8'),
    passphrase: options.sslPassword ?? undefined,
    checkServerIdentity: options.sslMode === 'verify-full' ? undefined : () => undefined,
  };
}

export function clientConfig(options: PostgresOptions, applicationName: string): pg.ClientConfig {
  return {
    host: options.hostname,
    port: options.port,
    user: options.user,
    password: options.password ?? undefined,
    database: options.dbname,
    ssl: sslOf(options),
    application_name: applicationName,
    options: sessionSettings.map((s) => `-c ${s}`).join(' '),
    types: textOnly,
    connectionTimeoutMillis: 30_000,
  };
}

export async function connect(options: PostgresOptions, applicationName: string): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(options, applicationName));
  // A lost connection fails the next query on it; the event alone must not crash the worker.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Quotes an identifier for PostgreSQL ("my ""odd"" name"). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
