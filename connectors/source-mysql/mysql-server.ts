import { ConfigError, SiphonError } from '../../runtime/plugin/index.js';
import mysql from 'mysql2/promise';
import type { ConnectionOptions, RowDataPacket } from 'mysql2/promise';
import type { MySqlSourceConfig } from './config.js';
import { charsetOfCollation } from './table-structure.js';
import type { TableColumn, TableStructure } from './table-structure.js';

/**
 * Talking to the source server outside the binlog stream: connection settings shared
 * with zongji, the pre-flight checks with their fixes, the binlog files, and table
 * structures from information_schema.
 *
 * Verified on MariaDB 10.11. MySQL 8 differs where noted (not verifiable on this machine).
 */
export function connectionOptions(config: MySqlSourceConfig): ConnectionOptions {
  return {
    host: config.hostname,
    port: config.port,
    user: config.user,
    password: config.password,
    connectTimeout: config.connectTimeoutMs,
    charset: 'utf8mb4',
    // Values reach the type mapping in one form from both drivers: temporal values as
    // MySQL text in UTC, exact big integers and decimals as strings, JSON as text.
    dateStrings: true,
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    jsonStrings: true,
  };
}

export async function openConnection(config: MySqlSourceConfig): Promise<mysql.Connection> {
  const connection = await mysql.createConnection(connectionOptions(config));
  // TIMESTAMP columns are read in UTC, as the binlog stores them.
  await connection.query("SET time_zone = '+00:00'");
  return connection;
}

const systemDatabases = ['mysql', 'information_schema', 'performance_schema', 'sys'];

export async function listTables(connection: mysql.Connection): Promise<{ db: string; table: string }[]> {
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS tbl FROM information_schema.TABLES
      WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN (?) ORDER BY TABLE_SCHEMA, TABLE_NAME`,
    [systemDatabases],
  );
  return rows.map((row) => ({ db: String(row.db), table: String(row.tbl) }));
}

/** Table structures as information_schema shows them now. */
export async function readTableSchemas(
  connection: mysql.Connection,
  tables: readonly { db: string; table: string }[],
): Promise<TableStructure[]> {
  const result: TableStructure[] = [];
  for (const { db, table } of tables) {
    const [columns] = await connection.query<RowDataPacket[]>(
      `SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, CHARACTER_SET_NAME, COLUMN_DEFAULT FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [db, table],
    );
    if (columns.length === 0) continue;
    const [keys] = await connection.query<RowDataPacket[]>(
      `SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`,
      [db, table],
    );
    const [tableRows] = await connection.query<RowDataPacket[]>(
      'SELECT TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [db, table],
    );
    const jsonColumns = await mariaDbJsonColumns(connection, db, table);
    const collation = tableRows[0]?.TABLE_COLLATION as string | null | undefined;
    result.push({
      db,
      table,
      columns: columns.map((column): TableColumn => ({
        name: String(column.COLUMN_NAME),
        columnType: String(column.COLUMN_TYPE).toLowerCase(),
        nullable: column.IS_NULLABLE === 'YES',
        charset: (column.CHARACTER_SET_NAME as string | null) ?? null,
        json:
          String(column.COLUMN_TYPE).toLowerCase() === 'json' || jsonColumns.has(String(column.COLUMN_NAME)),
        ...constantDefault(column.COLUMN_DEFAULT),
      })),
      primaryKey: keys.map((key) => String(key.COLUMN_NAME)),
      defaultCharset: collation ? charsetOfCollation(collation) : null,
    });
  }
  return result;
}

/**
 * MariaDB's COLUMN_DEFAULT is the default as an SQL expression: `42`, `'text'`, `NULL`,
 * `current_timestamp()`. Only constants become TableColumn.defaultText.
 */
function constantDefault(expression: unknown): { defaultText?: string } {
  if (typeof expression !== 'string') return {};
  const quoted = /^'((?:[^']|'')*)'$/s.exec(expression);
  if (quoted) return { defaultText: (quoted[1] ?? '').replaceAll("''", "'") };
  return /^-?\d+(\.\d+)?$/.test(expression) ? { defaultText: expression } : {};
}

/**
 * MariaDB's JSON is LONGTEXT with a `json_valid(col)` check constraint; the constraint is
 * what tells it apart from a plain LONGTEXT. (MySQL 8 has a native JSON type instead.)
 */
async function mariaDbJsonColumns(
  connection: mysql.Connection,
  db: string,
  table: string,
): Promise<Set<string>> {
  try {
    const [checks] = await connection.query<RowDataPacket[]>(
      `SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`,
      [db, table],
    );
    const names = new Set<string>();
    for (const check of checks) {
      const match = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(String(check.CHECK_CLAUSE).trim());
      if (match?.[1]) names.add(match[1].replaceAll('``', '`'));
    }
    return names;
  } catch {
    return new Set(); // MySQL before 8.0.16 has no CHECK_CONSTRAINTS.TABLE_NAME column
  }
}

export interface BinlogPosition {
  readonly file: string;
  readonly pos: number;
}

export async function binlogFiles(connection: mysql.Connection): Promise<string[]> {
  const [rows] = await connection.query<RowDataPacket[]>('SHOW BINARY LOGS');
  return rows.map((row) => String(row.Log_name));
}

/** The server's current binlog end (MySQL 8.4 renamed this SHOW BINARY LOG STATUS; not verified here). */
export async function currentBinlogPosition(connection: mysql.Connection): Promise<BinlogPosition> {
  const [rows] = await connection.query<RowDataPacket[]>('SHOW MASTER STATUS');
  const row = rows[0];
  if (!row)
    throw new SiphonError(
      'SHOW MASTER STATUS returned nothing: the binary log is off; set log_bin in the server configuration and restart it',
      false,
    );
  return { file: String(row.File), pos: Number(row.Position) };
}

/** MariaDB's GTID position of the binlog (`@@gtid_binlog_pos`); MySQL 8 would use @@gtid_executed. */
export async function currentGtids(connection: mysql.Connection): Promise<string | null> {
  try {
    const [rows] = await connection.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS gtids');
    const value = String(rows[0]?.gtids ?? '');
    return value === '' ? null : value;
  } catch {
    const [rows] = await connection.query<RowDataPacket[]>('SELECT @@gtid_executed AS gtids');
    const value = String(rows[0]?.gtids ?? '').replace(/\s/g, '');
    return value === '' ? null : value;
  }
}

export interface BinlogSettings {
  readonly logBin: number;
  readonly format: string;
  readonly image: string;
  readonly serverId: number;
}

/** What keeps the server from feeding this connector, with the exact fix; undefined when nothing. */
export function binlogSettingsProblem(
  settings: BinlogSettings,
  connectorServerId: number,
): string | undefined {
  if (settings.logBin !== 1) {
    return 'the binary log is off on the source server (log_bin=OFF); add log_bin=mysql-bin, binlog_format=ROW and binlog_row_image=FULL to the server configuration ([mysqld]) and restart it';
  }
  if (settings.format.toUpperCase() !== 'ROW') {
    return `binlog_format is ${settings.format} but change data capture needs ROW; run SET GLOBAL binlog_format = 'ROW' and set binlog_format=ROW in the server configuration so it survives a restart`;
  }
  if (settings.image.toUpperCase() !== 'FULL') {
    return `binlog_row_image is ${settings.image} but change events need full before/after images; run SET GLOBAL binlog_row_image = 'FULL' and set it in the server configuration`;
  }
  if (settings.serverId === connectorServerId) {
    return `database.server.id=${connectorServerId} is the source server's own server_id; choose another id, unique among its replicas and binlog readers`;
  }
  return undefined;
}

/**
 * The binlog privileges SHOW GRANTS lines lack on *.*: REPLICATION SLAVE, and REPLICATION
 * CLIENT (called BINLOG MONITOR on MariaDB 10.5+). Privileges granted through roles are
 * not followed.
 */
export function missingBinlogPrivileges(grantLines: readonly string[]): string[] {
  const global = grantLines
    .map((line) => line.toUpperCase())
    .filter((line) => / ON \*\.\* TO /.test(line))
    .join('\n');
  const has = (privilege: RegExp) => /\bALL PRIVILEGES\b/.test(global) || privilege.test(global);
  const missing: string[] = [];
  if (!has(/\bREPLICATION SLAVE\b(?! ADMIN)/)) missing.push('REPLICATION SLAVE');
  if (!has(/\bREPLICATION CLIENT\b/) && !has(/\bBINLOG MONITOR\b/)) missing.push('REPLICATION CLIENT');
  return missing;
}

/**
 * Checks the server can feed this connector; throws the exact fix otherwise. Names
 * missing privileges: REPLICATION SLAVE (read the binlog) and REPLICATION CLIENT
 * (MariaDB 10.5+: BINLOG MONITOR; needed for SHOW MASTER STATUS / SHOW BINARY LOGS).
 */
export async function checkServer(connection: mysql.Connection, config: MySqlSourceConfig): Promise<void> {
  const [rows] = await connection.query<RowDataPacket[]>(
    'SELECT @@GLOBAL.log_bin AS logBin, @@GLOBAL.binlog_format AS format, @@GLOBAL.binlog_row_image AS image, @@GLOBAL.server_id AS serverId',
  );
  const settings = rows[0] ?? ({} as RowDataPacket);
  const problem = binlogSettingsProblem(
    {
      logBin: Number(settings.logBin),
      format: String(settings.format),
      image: String(settings.image),
      serverId: Number(settings.serverId),
    },
    config.serverId,
  );
  if (problem) throw new SiphonError(problem, false);
  const [grants] = await connection.query<RowDataPacket[]>('SHOW GRANTS');
  const missing = missingBinlogPrivileges(grants.map((grant) => String(Object.values(grant)[0])));
  if (missing.length > 0) {
    throw new SiphonError(
      `database.user "${config.user}" lacks the ${missing.join(' and ')} privilege${missing.length > 1 ? 's' : ''} needed to read the binlog; run GRANT ${missing.join(', ')} ON *.* TO '${config.user}'@'<host>'`,
      false,
    );
  }
  // SHOW SLAVE HOSTS needs REPLICATION MASTER ADMIN on MariaDB 10.5+, which a CDC user
  // usually lacks; the server's own duplicate-id check (error 4052) then names the clash.
  const replicas = await connection.query<RowDataPacket[]>('SHOW SLAVE HOSTS').then(
    ([rows]) => rows,
    () => [] as RowDataPacket[],
  );
  if (replicas.some((replica) => Number(replica.Server_id) === config.serverId)) {
    throw new ConfigError(
      'database.server.id',
      `a replica with server id ${config.serverId} is already connected to the source server; give each connector and replica its own database.server.id`,
    );
  }
}
