import { GtidSet, MariadbGtidPosition } from '@vlasky/zongji';
import type { AnyBinlogEvent, BinlogEventByName, BinlogEventName, UpdateRowData } from '@vlasky/zongji';
import type mysql from 'mysql2/promise';
import { IncrementalSnapshot, type IncrementalSnapshotStart } from '../../runtime/cdc/index.js';
import { isConnectionLost, SiphonError } from '../../runtime/plugin/index.js';
import { toSourceOffset } from './binlog-offset.js';
import type { BinlogOffset } from './binlog-offset.js';
import { explain } from './binlog-failures.js';
import { MySqlIncrementalReads } from './incremental-snapshot-reader.js';
import type { DdlItem, OpenTransaction, QueuedItem, BinlogRowChange } from './binlog-items.js';
import { BinlogRecords } from './binlog-records.js';
import { CatalogZongJi, UnknownTableError } from './catalog-zongji.js';
import type { MySqlSourceDeps } from './source-deps.js';
import { isDdlStatement } from './ddl-parser.js';
import { MySqlMetrics } from './metrics.js';
import { connectionOptions, openConnection, readTableSchemas } from './mysql-server.js';
import type { SchemaChange } from './schema-change-event.js';
import { tableId } from './schema-history.js';
import type { TableColumn, TableStructure } from './table-structure.js';

const streamedEvents: BinlogEventName[] = [
  'rotate',
  'query',
  'xid',
  'tablemap',
  'writerows',
  'updaterows',
  'deleterows',
  'mariadbgtid',
  'gtid',
];

/**
 * Streams the binlog from a BinlogOffset into change events. zongji's listener runs
 * synchronously per event: it keeps the transaction bookkeeping and the TableCatalog in
 * binlog order and queues work; a consumer loop turns the queue into records, writes the
 * schema history and hands records to the dispatcher. That queue holds at most about one
 * batch (`max.batch.size` rows) read ahead: above it the binlog connection is paused, so
 * while the runtime's queue (`max.queue.size`) is full and the dispatcher waits on it, the
 * server is held back by TCP backpressure.
 *
 * After a lost connection (server restart, the dump thread killed) the CDC coordinator
 * starts a new session from the last emitted offset; rows already emitted are skipped,
 * so the reconnect neither loses nor repeats a change.
 */
export class BinlogReader {
  private readonly queue: QueuedItem[] = [];
  private queuedRows = 0;
  private wake: (() => void) | null = null;
  private failure: Error | null = null;
  private zongji: CatalogZongJi | null = null;
  private file: string;
  private boundary: number;
  private gtids: MariadbGtidPosition | GtidSet | null;
  private transaction: OpenTransaction | null = null;
  private resume: BinlogOffset | null;
  /** The offset of the last record emitted (or the last boundary passed): where a reconnect resumes. */
  private position: BinlogOffset;
  private heartbeatConnection: mysql.Connection | null = null;
  private readonly records: BinlogRecords;
  private readonly metrics: MySqlMetrics;
  /** Signals and the incremental snapshot, run in the consumer loop (binlog order); lives across sessions. */
  private readonly incremental: IncrementalSnapshot;
  private readonly incrementalReads: MySqlIncrementalReads;

  constructor(
    private readonly deps: MySqlSourceDeps,
    start: BinlogOffset,
    /** The tables the filters capture now (`db.table`). */
    capturing: readonly string[],
  ) {
    this.file = start.file;
    this.boundary = start.pos;
    this.resume = start.row >= 0 ? start : null;
    this.gtids = parseGtids(start.gtids);
    this.position = { ...start, snapshot: null, snapshotTable: null, snapshotKey: null };
    this.metrics = new MySqlMetrics(deps.context.metrics);
    this.incrementalReads = new MySqlIncrementalReads(deps, () => this.position);
    this.incremental = this.incrementalSnapshot({
      context: start.incremental,
      capturedTables: start.capturedTables,
      capturing,
    });
    this.records = new BinlogRecords({
      config: deps.config,
      eventsFor: deps.eventsFor,
      partition: deps.partition,
      dispatcher: deps.dispatcher,
      incremental: this.incremental,
    });
  }

  private incrementalSnapshot(start: IncrementalSnapshotStart): IncrementalSnapshot {
    const { config, context, dispatcher } = this.deps;
    const signalTable = config.cdc.signalDataCollection;
    return new IncrementalSnapshot(
      config.cdc,
      {
        table: (dataCollection, surrogateKey) => this.incrementalReads.table(dataCollection, surrogateKey),
        writeWatermark: async (kind, id, data) => {
          if (signalTable === null) throw new SiphonError('no signal.data.collection for watermarks', false);
          await this.incrementalReads.writeWatermark(signalTable, kind, id, data);
        },
        offsetAt: (fields) => toSourceOffset({ ...this.position, ...fields }),
      },
      dispatcher,
      context,
      start,
    );
  }

  /**
   * Tables the filters capture since this start were left out of the schema history: their
   * current structures go into the catalog and the history at the resume position, so
   * their binlog rows decode and their incremental snapshot finds them (exact when no DDL
   * changed them between that position and now, as for DDL the parser does not model).
   */
  async recordNewTables(): Promise<void> {
    const { catalog, config, history } = this.deps;
    const refs = this.incremental.newTables.map((id) => {
      const [db = '', table = ''] = id.split('.');
      return { db, table };
    });
    if (refs.length === 0) return;
    const connection = await openConnection(config);
    let schemas: TableStructure[];
    try {
      schemas = await readTableSchemas(connection, refs);
    } finally {
      await connection.end().catch(() => undefined);
    }
    for (const schema of schemas) catalog.put(schema);
    const { file, pos, gtids } = this.position;
    await history.record(
      schemas.map((schema) => ({
        source: { server: config.cdc.topicPrefix },
        position: { file, pos, gtids },
        ts_ms: Date.now(),
        databaseName: schema.db,
        ddl: '',
        tableChanges: [{ type: 'CREATE', id: tableId(schema.db, schema.table), table: schema }],
      })),
    );
  }

  /** The offset of the last record emitted (or the last boundary passed): where the next session resumes. */
  get emittedPosition(): BinlogOffset {
    return this.position;
  }

  /**
   * One binlog session from `from`, until the task stops (resolves) or the connection
   * fails (rejects: a lost connection as it is, for the coordinator to reconnect; other
   * failures explained). A table missing from the catalog is loaded from the server and
   * the binlog read again from the last emitted position at once.
   */
  async stream(from: BinlogOffset): Promise<void> {
    const { context } = this.deps;
    this.restartFrom(from);
    let lastUnknown: string | null = null;
    try {
      await this.loadSignalTable();
      await this.incremental.resume();
      while (!context.signal.aborted) {
        this.failure = null;
        this.startStream();
        await this.consume();
        await this.stopStream();
        const failure = this.failure as Error | null;
        if (context.signal.aborted || failure === null) continue;
        if (!(failure instanceof UnknownTableError))
          throw isConnectionLost(failure) ? failure : explain(failure, this.deps.config);
        const key = `${failure.db}.${failure.table}@${this.position.file}:${this.position.pos}`;
        await this.loadUnknownTable(failure, key === lastUnknown);
        lastUnknown = key;
        this.restartFrom(this.position);
      }
    } finally {
      await this.stopStream();
    }
  }

  async close(): Promise<void> {
    await this.heartbeatConnection?.end().catch(() => undefined);
    this.heartbeatConnection = null;
    await this.incrementalReads.close();
  }

  /** The signal table's structure, so its rows are decoded whether or not it is captured. */
  private async loadSignalTable(): Promise<void> {
    const signalTable = this.deps.config.cdc.signalDataCollection;
    if (signalTable === null) return;
    const [db, table] = signalTable.split('.') as [string, string];
    if (this.deps.catalog.get(db, table) !== undefined) return;
    if ((await this.reload(db, table)) === undefined) {
      throw new SiphonError(
        `signal table ${signalTable} does not exist: create it (CREATE TABLE ${signalTable} (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data text)) or unset signal.data.collection`,
        false,
      );
    }
  }

  private isSignalTable(db: string, table: string): boolean {
    return this.incremental.isSignalTable(`${db}.${table}`);
  }

  private restartFrom(offset: BinlogOffset): void {
    this.file = offset.file;
    this.boundary = offset.pos;
    this.resume = offset.row >= 0 ? offset : null;
    this.gtids = parseGtids(offset.gtids);
    this.transaction = null;
  }

  private startStream(): void {
    const { config, context } = this.deps;
    const zongji = new CatalogZongJi(connectionOptions(config), {
      skip: (db, table) => !this.deps.filter.includesTable(db, table) && !this.isSignalTable(db, table),
      columnsFor: (db, table, count) => this.columnsFor(db, table, count),
    });
    this.zongji = zongji;
    zongji.on('ready', () => {
      this.metrics.connected.set({ connector: context.connectorName }, 1);
      context.logger.info('reading the binlog', { file: this.file, pos: this.boundary });
    });
    zongji.on('error', (error: Error) => this.fail(error));
    zongji.on('binlog', (event: AnyBinlogEvent) => {
      try {
        this.onEvent(event);
      } catch (error) {
        this.fail(error as Error);
      }
    });
    zongji.start({
      serverId: config.serverId,
      filename: this.file,
      position: this.boundary,
      includeEvents: streamedEvents,
    });
  }

  private async stopStream(): Promise<void> {
    const zongji = this.zongji;
    this.zongji = null;
    this.metrics.connected.set({ connector: this.deps.context.connectorName }, 0);
    if (!zongji) return;
    await new Promise<void>((resolve) => {
      zongji.once('stopped', () => resolve());
      zongji.stop();
    });
    zongji.removeAllListeners();
    zongji.on('error', () => undefined);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private push(item: QueuedItem, rows: number): void {
    this.queue.push(item);
    this.queuedRows += rows;
    if (this.queuedRows >= this.deps.config.cdc.maxBatchSize) this.zongji?.connection?.pause();
    this.notify();
  }

  /** The catalog's columns for a TableMap, when it knows the table with that many columns. */
  private columnsFor(db: string, table: string, count: number): readonly TableColumn[] | undefined {
    const schema = this.deps.catalog.get(db, table);
    return schema && schema.columns.length === count ? schema.columns : undefined;
  }

  /**
   * Loads a table the catalog did not know from the server. Its current structure is
   * right when the connector reads near the binlog's end; a table missing from the
   * history at an old position means the history misses DDL, which is reported.
   */
  private async loadUnknownTable(unknown: UnknownTableError, retried: boolean): Promise<void> {
    const { context } = this.deps;
    const schema = retried ? undefined : await this.reload(unknown.db, unknown.table);
    if (!schema || schema.columns.length !== unknown.columnCount) {
      throw new SiphonError(
        `${unknown.db}.${unknown.table} has ${unknown.columnCount} columns in the binlog at ${this.position.file}:${this.position.pos} but ${schema?.columns.length ?? 'no structure'} in the schema history and on the server; the history misses a DDL statement: delete the connector's offsets and schema history topic to take a new snapshot`,
        false,
      );
    }
    context.logger.warn(
      'a captured table was missing from the schema history at this position; using its current structure',
      {
        table: `${unknown.db}.${unknown.table}`,
      },
    );
  }

  private async reload(db: string, table: string): Promise<TableStructure | undefined> {
    const connection = await openConnection(this.deps.config);
    try {
      const [schema] = await readTableSchemas(connection, [{ db, table }]);
      if (schema) this.deps.catalog.put(schema);
      return schema;
    } finally {
      await connection.end().catch(() => undefined);
    }
  }

  // --- the synchronous part: binlog order ---------------------------------------------

  private onEvent(event: AnyBinlogEvent): void {
    const tsMs = event.timestamp;
    switch (event.getEventName()) {
      case 'rotate': {
        const rotate = event as BinlogEventByName<'rotate'>;
        this.file = rotate.binlogName;
        if (!this.transaction) this.boundary = rotate.position;
        return;
      }
      case 'mariadbgtid':
      case 'gtid': {
        const gtid = (event as BinlogEventByName<'gtid'>).gtid;
        this.begin(gtid, null);
        return;
      }
      case 'query': {
        const query = event as BinlogEventByName<'query'>;
        const sql = query.query.trim();
        const word = sql.slice(0, 10).toUpperCase();
        if (word.startsWith('BEGIN') || word.startsWith('XA START')) {
          if (this.transaction) this.transaction = { ...this.transaction, thread: query.slaveProxyId };
          else this.begin(null, query.slaveProxyId);
          return;
        }
        if (word.startsWith('COMMIT') || word.startsWith('ROLLBACK') || word.startsWith('XA ')) {
          this.commit(query.nextPosition, tsMs);
          return;
        }
        if (isDdlStatement(sql)) this.ddl(query, tsMs);
        else this.commit(query.nextPosition, tsMs);
        return;
      }
      case 'xid':
        this.commit(event.nextPosition, tsMs);
        return;
      case 'writerows':
      case 'deleterows': {
        const rowsEvent = event as BinlogEventByName<'writerows'>;
        const op = event.getEventName() === 'writerows' ? 'c' : 'd';
        this.rows(
          rowsEvent,
          op,
          rowsEvent.rows.map((row) =>
            op === 'c' ? { before: null, after: row } : { before: row, after: null },
          ),
          tsMs,
        );
        return;
      }
      case 'updaterows': {
        const rowsEvent = event as BinlogEventByName<'updaterows'>;
        this.rows(
          rowsEvent,
          'u',
          rowsEvent.rows.map((row: UpdateRowData) => ({ before: row.before, after: row.after })),
          tsMs,
        );
        return;
      }
      default:
        return;
    }
  }

  private begin(gtid: string | null, thread: number | null): void {
    const resume =
      this.resume && this.resume.file === this.file && this.resume.pos === this.boundary ? this.resume : null;
    this.resume = null;
    this.transaction = {
      file: this.file,
      pos: this.boundary,
      gtid,
      gtidsBefore: this.gtids?.toString() || null,
      thread,
      resume,
      excluded: gtid !== null && !this.gtidSourceIncluded(gtid),
      events: 0,
      hasRows: false,
      tracker: null,
    };
  }

  private gtidSourceIncluded(gtid: string): boolean {
    const { gtidSourceIncludes, gtidSourceExcludes } = this.deps.config;
    // MySQL 'uuid:seq' → uuid; MariaDB 'domain-server-seq' → 'domain-server'.
    const source = gtid.includes(':')
      ? gtid.slice(0, gtid.lastIndexOf(':'))
      : gtid.slice(0, gtid.lastIndexOf('-'));
    if (gtidSourceIncludes.length > 0) return gtidSourceIncludes.some((pattern) => pattern.test(source));
    return !gtidSourceExcludes.some((pattern) => pattern.test(source));
  }

  private commit(nextPosition: number, tsMs: number): void {
    const transaction = this.transaction;
    this.transaction = null;
    if (transaction?.gtid) this.addGtid(transaction.gtid);
    if (nextPosition > 0) this.boundary = nextPosition;
    const boundary: QueuedItem = {
      kind: 'boundary',
      file: this.file,
      pos: this.boundary,
      gtids: this.gtids?.toString() || null,
      tsMs,
      transaction: transaction?.hasRows ? transaction : null,
    };
    // Consecutive boundaries of transactions without captured rows collapse into the
    // latest, so the queue stays bounded while the consumer waits on backpressure.
    const last = this.queue.at(-1);
    if (last?.kind === 'boundary' && last.transaction === null) this.queue[this.queue.length - 1] = boundary;
    else this.push(boundary, 0);
  }

  private addGtid(gtid: string): void {
    if (this.gtids instanceof GtidSet) {
      this.gtids.add(gtid);
      return;
    }
    const [domain, server, sequence] = gtid.split('-');
    this.gtids ??= new MariadbGtidPosition();
    this.gtids.add({ domainId: Number(domain), serverId: Number(server), seqNo: sequence ?? '0' });
  }

  private rows(
    event: BinlogEventByName<'writerows'> | BinlogEventByName<'updaterows'>,
    op: 'c' | 'u' | 'd',
    rows: readonly BinlogRowChange[],
    tsMs: number,
  ): void {
    const entry = event.tableMap[event.tableId];
    if (!entry) return;
    const table = this.deps.catalog.get(entry.parentSchema, entry.tableName);
    // Rows outside a transaction marker (a resume in the middle of one) still get one.
    if (!this.transaction) this.begin(null, null);
    const transaction = this.transaction!;
    const index = transaction.events++;
    if (!table || transaction.excluded) return;
    transaction.hasRows = true;
    this.push({ kind: 'rows', op, table, rows, transaction, event: index, tsMs }, rows.length);
  }

  private ddl(query: BinlogEventByName<'query'>, tsMs: number): void {
    const { catalog, filter } = this.deps;
    const transaction = this.transaction;
    this.transaction = null;
    if (transaction?.gtid) this.addGtid(transaction.gtid);
    const before = new Set(catalog.all().map((t) => tableId(t.db, t.table)));
    const outcome = catalog.applyDdl(query.query, query.schema, (db, table) =>
      filter.includesTable(db, table),
    );
    const changes: SchemaChange[] = [
      ...outcome.removed
        .filter((t) => !outcome.changed.some((c) => c.db === t.db && c.table === t.table))
        .map((t): SchemaChange => ({ type: 'DROP', db: t.db, table: t.table, schema: null })),
      ...outcome.changed.map((schema): SchemaChange => ({
        type: before.has(tableId(schema.db, schema.table)) ? 'ALTER' : 'CREATE',
        db: schema.db,
        table: schema.table,
        schema,
      })),
    ];
    for (const t of outcome.unparsed) catalog.remove(t.db, t.table);
    this.zongji?.forgetTables();
    if (query.nextPosition > 0) this.boundary = query.nextPosition;
    this.push(
      {
        kind: 'ddl',
        sql: query.query,
        // A DDL naming its tables with their database runs without a default one.
        db: query.schema || changes[0]?.db || outcome.unparsed[0]?.db || '',
        changes,
        unparsed: outcome.unparsed,
        truncated: outcome.truncated.flatMap((t) => catalog.get(t.db, t.table) ?? []),
        created: outcome.created.map((t) => `${t.db}.${t.table}`),
        file: this.file,
        pos: this.boundary,
        gtid: transaction?.gtid ?? null,
        gtids: this.gtids?.toString() || null,
        thread: query.slaveProxyId,
        tsMs,
      },
      0,
    );
  }

  // --- the asynchronous part: records ---------------------------------------------------

  /** Processes the queue until the stream fails or the task stops; true when anything was processed. */
  private async consume(): Promise<boolean> {
    const { context, config, dispatcher } = this.deps;
    let progressed = false;
    while (!context.signal.aborted) {
      const item = this.queue.shift();
      // Signals sent through the runtime (REST) are handled here, between binlog items.
      for (const signal of context.signals.take()) await this.incremental.signal(signal);
      if (!item) {
        await dispatcher.flush();
        if (this.failure) return progressed;
        await this.maybeHeartbeat();
        await this.waitForWork();
        continue;
      }
      progressed = true;
      if (item.kind === 'rows') {
        this.queuedRows -= item.rows.length;
        if (this.queuedRows < config.cdc.maxBatchSize / 2) this.zongji?.connection?.resume();
        const { db, table } = item.table;
        if (!this.isSignalTable(db, table) || this.deps.filter.includesTable(db, table)) {
          const last = await this.records.rows(item);
          if (last) this.position = last;
        }
        if (this.isSignalTable(db, table) && item.op === 'c') await this.signalRows(item.rows);
        this.trackPosition();
      } else if (item.kind === 'ddl') {
        await dispatcher.flush();
        await this.recordDdl(item);
      } else {
        const ended = item.transaction;
        this.position = boundaryOffset(item);
        this.trackPosition();
        await this.records.transactionEnd(ended, this.position, item.tsMs);
      }
    }
    await dispatcher.flush();
    return progressed;
  }

  private waitForWork(): Promise<void> {
    if (this.queue.length > 0 || this.failure || this.deps.context.signal.aborted) return Promise.resolve();
    const interval = this.deps.config.cdc.heartbeatIntervalMs;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.notify(), interval > 0 ? interval : 1000);
      const onAbort = () => this.notify();
      this.deps.context.signal.addEventListener('abort', onAbort, { once: true });
      this.wake = () => {
        clearTimeout(timer);
        this.deps.context.signal.removeEventListener('abort', onAbort);
        resolve();
      };
    });
  }

  /** The binlog position gauges (the lag is the dispatcher's, from the change events). */
  private trackPosition(): void {
    const connector = this.deps.context.connectorName;
    this.metrics.binlogFileNumber.set({ connector }, Number(/\.(\d+)$/.exec(this.position.file)?.[1] ?? 0));
    this.metrics.binlogPosition.set({ connector }, this.position.pos);
  }

  private async recordDdl(item: DdlItem): Promise<void> {
    const { catalog, config, context, history } = this.deps;
    const changes = [...item.changes];
    if (item.unparsed.length > 0) {
      // DDL the parser does not model: take the structure from the server (exact while the
      // connector reads near the binlog's end, which it does when it meets new DDL).
      const connection = await openConnection(config);
      try {
        const schemas = await readTableSchemas(connection, item.unparsed);
        for (const schema of schemas) {
          catalog.put(schema);
          changes.push({ type: 'ALTER', db: schema.db, table: schema.table, schema });
        }
        for (const t of item.unparsed) {
          if (!schemas.some((s) => s.db === t.db && s.table === t.table))
            changes.push({ type: 'DROP', db: t.db, table: t.table, schema: null });
        }
        context.logger.warn('DDL not modelled by the parser; read the table structure from the server', {
          ddl: item.sql,
        });
      } finally {
        await connection.end().catch(() => undefined);
      }
    }
    const offset = boundaryOffset(item);
    this.position = offset;
    this.trackPosition();
    for (const table of item.created) this.incremental.tableCreated(table);
    await this.records.truncates(item, offset);
    await this.deps.dispatcher.flush();
    if (changes.length === 0) return;
    await history.record([
      {
        source: { server: config.cdc.topicPrefix },
        position: { file: item.file, pos: item.pos, gtids: item.gtids },
        ts_ms: item.tsMs,
        databaseName: item.db,
        ddl: item.sql,
        tableChanges: changes.map((change) => ({
          type: change.type,
          id: tableId(change.db, change.table),
          table: change.schema,
        })),
      },
    ]);
    this.metrics.schemaChanges.inc({ connector: context.connectorName });
    context.logger.info('schema change', { ddl: item.sql, tables: changes.map((c) => `${c.db}.${c.table}`) });
    if (!config.includeSchemaChanges) return;
    await this.records.schemaChange(item, changes, offset);
    await this.deps.dispatcher.flush();
  }

  /** Rows inserted into the signal table: signals of channel `source`, or watermarks. */
  private async signalRows(rows: readonly BinlogRowChange[]): Promise<void> {
    const text = (value: unknown): string | null =>
      value === null || value === undefined
        ? null
        : Buffer.isBuffer(value)
          ? value.toString('utf8')
          : String(value);
    for (const { after } of rows) {
      if (after === null) continue;
      await this.incremental.signalRow(
        text(after['id']) ?? '',
        text(after['type']) ?? '',
        text(after['data']),
      );
    }
  }

  private async maybeHeartbeat(): Promise<void> {
    const { config, dispatcher } = this.deps;
    if (this.transaction || !dispatcher.heartbeatDue(Date.now())) return;
    await dispatcher.heartbeat(this.records.offsetOf(this.position), Date.now());
    if (config.cdc.heartbeatActionQuery) await this.runHeartbeatQuery(config.cdc.heartbeatActionQuery);
  }

  private async runHeartbeatQuery(sql: string): Promise<void> {
    try {
      this.heartbeatConnection ??= await openConnection(this.deps.config);
      await this.heartbeatConnection.query(sql);
    } catch (error) {
      this.deps.context.logger.warn('heartbeat.action.query failed', { error: (error as Error).message });
      await this.heartbeatConnection?.end().catch(() => undefined);
      this.heartbeatConnection = null;
    }
  }
}

/** The offset right after a transaction's commit or a DDL statement: a restart resumes there. */
function boundaryOffset(item: {
  readonly file: string;
  readonly pos: number;
  readonly gtids: string | null;
  readonly tsMs: number;
}): BinlogOffset {
  return {
    file: item.file,
    pos: item.pos,
    event: 0,
    row: -1,
    gtids: item.gtids,
    tsSec: Math.floor(item.tsMs / 1000),
    snapshot: null,
    snapshotTable: null,
    snapshotKey: null,
  };
}

function parseGtids(text: string | null): MariadbGtidPosition | GtidSet | null {
  if (text === null || text === '') return null;
  return text.includes(':') ? GtidSet.parse(text) : MariadbGtidPosition.parse(text);
}
