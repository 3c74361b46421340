import { ConfigError } from '../../runtime/plugin/index.js';

/**
 * Parses the JDBC URLs Debezium and Confluent users already have:
 * `jdbc:postgresql://host[:port][,host2[:port]]/database?user=u&password=p&sslmode=require`,
 * `jdbc:mysql://…`, `jdbc:mariadb://…` (IPv6 hosts in brackets, percent-encoded values).
 */
export type DialectName = 'postgresql' | 'mysql';

export interface ConnectionSettings {
  readonly dialect: DialectName;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user?: string;
  readonly password?: string;
  /** TLS: off, required (certificate checked), or required without checking the certificate. */
  readonly ssl: 'disable' | 'require' | 'no-verify';
  readonly connectTimeoutMs: number;
  /** PostgreSQL's `currentSchema`: where unqualified tables live. */
  readonly currentSchema?: string;
  /** Parameters the driver does not use (JDBC-only settings), kept to be logged. */
  readonly ignoredParameters: readonly string[];
}

const DEFAULT_PORTS: Record<DialectName, number> = { postgresql: 5432, mysql: 3306 };
const SUBPROTOCOLS: Record<string, DialectName> = {
  postgresql: 'postgresql',
  mysql: 'mysql',
  mariadb: 'mysql',
};

/** A `connection.url` that is not a JDBC URL the sink can use. */
export class ConnectionUrlError extends ConfigError {
  override readonly name: string = 'ConnectionUrlError';

  constructor(message: string) {
    super('connection.url', message);
  }
}

export function parseConnectionUrl(url: string): ConnectionSettings {
  const shown = redactUrl(url);
  const fail = (problem: string): never => {
    throw new ConnectionUrlError(`connection.url "${shown}" ${problem}`);
  };
  const match = /^jdbc:([a-z]+):\/\/([^/?]*)(?:\/([^?]*))?(?:\?(.*))?$/i.exec(url.trim());
  if (!match)
    return fail('is not a JDBC URL; write jdbc:postgresql://host:5432/db or jdbc:mysql://host:3306/db');
  const [, subprotocol = '', hostList = '', databasePart = '', query = ''] = match;
  const dialect = SUBPROTOCOLS[subprotocol.toLowerCase()];
  if (dialect === undefined)
    return fail(`uses "${subprotocol}"; use jdbc:postgresql, jdbc:mysql or jdbc:mariadb`);
  const firstHost = hostList.split(',')[0] ?? '';
  const hostMatch = /^(\[[^\]]+\]|[^:]*)(?::(\d*))?$/.exec(firstHost);
  if (!hostMatch || hostMatch[1] === '') return fail('has no host; write jdbc:<db>://host:port/database');
  const host = (hostMatch[1] ?? '').replace(/^\[|\]$/g, '');
  const port = hostMatch[2] ? Number(hostMatch[2]) : DEFAULT_PORTS[dialect];
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return fail(`has port "${hostMatch[2]}", which is not 1-65535`);
  const database = decode(databasePart, fail);
  if (database === '') return fail('names no database; add /<database> after the host');

  const params = new Map<string, string>();
  for (const pair of query.split('&').filter((part) => part !== '')) {
    const eq = pair.indexOf('=');
    const name = decode(eq < 0 ? pair : pair.slice(0, eq), fail);
    params.set(name, eq < 0 ? '' : decode(pair.slice(eq + 1), fail));
  }
  const used = new Set<string>();
  const param = (...names: string[]): string | undefined => {
    for (const name of names) {
      if (params.has(name)) {
        used.add(name);
        return params.get(name);
      }
    }
    return undefined;
  };
  const user = param('user');
  const password = param('password');
  const ssl = sslMode(param('sslmode', 'sslMode'), param('ssl', 'useSSL'), fail);
  const timeout = param('connectTimeout', 'connect_timeout', 'loginTimeout');
  // PostgreSQL's JDBC driver counts connectTimeout in seconds, MySQL's in milliseconds.
  const connectTimeoutMs =
    timeout === undefined ? 10_000 : Number(timeout) * (dialect === 'postgresql' ? 1000 : 1);
  if (!Number.isFinite(connectTimeoutMs) || connectTimeoutMs < 0)
    return fail(`has connectTimeout "${timeout}", which is not a number`);
  const currentSchema = param('currentSchema');
  return {
    dialect,
    host,
    port,
    database,
    ...(user !== undefined ? { user } : {}),
    ...(password !== undefined ? { password } : {}),
    ssl,
    connectTimeoutMs,
    ...(currentSchema ? { currentSchema } : {}),
    ignoredParameters: [...params.keys()].filter((name) => !used.has(name)),
  };
}

function sslMode(
  sslmode: string | undefined,
  ssl: string | undefined,
  fail: (problem: string) => never,
): ConnectionSettings['ssl'] {
  if (sslmode !== undefined) {
    const mode = sslmode.toLowerCase();
    if (
      mode === 'disable' ||
      mode === 'allow' ||
      mode === 'prefer' ||
      mode === 'disabled' ||
      mode === 'preferred'
    )
      return 'disable';
    if (mode === 'require' || mode === 'required') return 'no-verify';
    if (mode === 'verify-ca' || mode === 'verify-full' || mode === 'verify_ca' || mode === 'verify_identity')
      return 'require';
    return fail(`has sslmode "${sslmode}"; use disable, require, verify-ca or verify-full`);
  }
  if (ssl !== undefined) return ssl.toLowerCase() === 'true' || ssl === '' ? 'require' : 'disable';
  return 'disable';
}

function decode(text: string, fail: (problem: string) => never): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return fail(`has a bad percent-encoding in "${text}"`);
  }
}

/** The URL with any password parameter masked, safe for logs and errors. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]password=)[^&]*/gi, '$1********');
}
