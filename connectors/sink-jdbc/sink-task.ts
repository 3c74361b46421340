import type { SinkTask, SinkTaskContext, TopicPartition } from '../../runtime/plugin/index.js';
import {
  backoff,
  ConfigError,
  DataError,
  isAccessDenied,
  isRetriable,
  RetriableError,
  SiphonError,
  topicPartitionKey,
} from '../../runtime/plugin/index.js';
import type { SinkRecord } from '../../runtime/record/index.js';
import { planBatch, type BatchPlan } from './batch-plan.js';
import { BatchWriter, type WriteOutcome } from './batch-writer.js';
import { crossKeyIssues, readSinkConfig, type SinkConfig } from './config.js';
import { describeSqlError, type SqlConnection, type SqlDialect } from './dialect.js';
import { JdbcSinkMetrics } from './metrics.js';
import { clampingMysqlDialect, mysqlDialect } from './mysql-dialect.js';
import { postgresDialect } from './postgres-dialect.js';
import { BadRecordError, RowChangeReader, type RowChange } from './row-change.js';
import { TargetOffsets } from './target-offsets.js';
import { TargetTables } from './target-tables.js';
import { describeTable } from './table-name.js';

const MAX_BACKOFF_MS = 60_000;
/** Columns not evolved that the status names; the count covers all of them. */
const NOT_EVOLVED_SHOWN = 5;

/** The runtime refused a bad record (errors.tolerance=none): the batch fails with its error, never retried. */
class BadRecordRefused extends DataError {
  override readonly name = 'BadRecordRefused';
}

/**
 * Applies batches of change events to a PostgreSQL or MySQL/MariaDB target: one database
 * transaction per batch (of at most batch.size records), collapsed per key, multi-row
 * statements. A batch that hits a data error is re-applied row by row under savepoints
 * so only the bad records go to the dead-letter path. What the plugin contract's error
 * policy calls retriable (a lost connection, a deadlock) rolls back and is retried with
 * backoff, shown in the task's status; a denied login or privilege fails the task with
 * its reason. Nothing is committed until the whole batch is.
 */
export class JdbcSinkTask implements SinkTask {
  private context!: SinkTaskContext;
  private metrics!: JdbcSinkMetrics;
  private config!: SinkConfig;
  private dialect!: SqlDialect;
  private reader!: RowChangeReader;
  private tables!: TargetTables;
  private writer!: BatchWriter;
  private offsets: TargetOffsets | null = null;
  private connection: SqlConnection | null = null;
  /** exactly.once: next offset to apply per partition, as stored in the target. */
  private readonly nextOffsets = new Map<string, bigint>();
  private readonly loadedPartitions = new Set<string>();
  private readonly notEvolved: string[] = [];
  private notEvolvedCount = 0;

  async start(context: SinkTaskContext): Promise<void> {
    this.context = context;
    this.metrics = new JdbcSinkMetrics(context.metrics, context.connectorName);
    this.config = readSinkConfig(context.config);
    const issues = crossKeyIssues(this.config);
    if (issues.length > 0)
      throw new ConfigError(
        issues[0]!.name,
        issues.map((issue) => `${issue.name}: ${issue.message}`).join('; '),
      );
    this.dialect =
      this.config.connection.dialect === 'postgresql'
        ? postgresDialect
        : this.config.clampTemporal
          ? clampingMysqlDialect
          : mysqlDialect;
    const identifier = this.config.quoteIdentifiers ? (name: string) => name : this.dialect.fold;
    this.reader = new RowChangeReader(this.config, identifier);
    this.tables = new TargetTables(this.dialect, this.config, context.logger, (description) =>
      this.reportNotEvolved(description),
    );
    this.writer = new BatchWriter(this.dialect, this.config.insertMode, this.config.batchSize);
    if (this.config.exactlyOnce) {
      const table = TargetOffsets.tableRef(this.config.offsetsTable);
      this.offsets = new TargetOffsets(
        this.dialect,
        { schema: table.schema && identifier(table.schema), name: identifier(table.name) },
        context.connectorName,
      );
    }
    const { host, port, database, ignoredParameters } = this.config.connection;
    if (ignoredParameters.length > 0)
      context.logger.info('connection.url parameters not used by this driver', {
        parameters: ignoredParameters,
      });
    context.logger.info('JDBC sink task started', {
      dialect: this.dialect.name,
      host,
      port,
      database,
      exactlyOnce: this.config.exactlyOnce,
    });
  }

  async open(partitions: readonly TopicPartition[]): Promise<ReadonlyMap<string, bigint>> {
    if (this.offsets === null) return new Map();
    await this.loadOffsets(partitions);
    const stored = new Map<string, bigint>();
    for (const tp of partitions) {
      const next = this.nextOffsets.get(topicPartitionKey(tp));
      if (next !== undefined) stored.set(topicPartitionKey(tp), next);
    }
    return stored;
  }

  async put(records: readonly SinkRecord[]): Promise<void> {
    try {
      for (let i = 0; i < records.length; i += this.config.batchSize) {
        await this.applyBatch(records.slice(i, i + this.config.batchSize));
      }
    } catch (error) {
      // The runtime's own error for a refused record (it names the record) is what the task fails with.
      throw error instanceof BadRecordRefused ? error.cause : error;
    }
  }

  async close(partitions: readonly TopicPartition[]): Promise<void> {
    for (const tp of partitions) {
      this.nextOffsets.delete(topicPartitionKey(tp));
      this.loadedPartitions.delete(topicPartitionKey(tp));
      this.metrics.forgetPartition(tp.topic, tp.partition);
    }
  }

  async stop(): Promise<void> {
    this.metrics.close();
    await this.dropConnection();
  }

  private async applyBatch(records: readonly SinkRecord[]): Promise<void> {
    const connector = this.context.connectorName;
    const endTimer = this.metrics.batchDuration.startTimer({ connector });
    let fresh = records;
    if (this.offsets !== null) {
      await this.loadOffsets(partitionsOf(records));
      // Records at or past the stored offset are new; older ones were committed with their rows already.
      fresh = records.filter(
        (record) => record.kafkaOffset >= (this.nextOffsets.get(topicPartitionKey(tpOf(record))) ?? 0n),
      );
    }
    if (fresh.length === 0) return;
    const changes: RowChange[] = [];
    const unreadable = new Map<SinkRecord, Error>();
    for (const record of fresh) {
      try {
        changes.push(this.reader.read(record));
      } catch (error) {
        if (!(error instanceof BadRecordError)) throw error;
        unreadable.set(record, error);
      }
    }
    const rejected = await this.withRetries('apply batch', async (connection) => {
      const bad = new Map(unreadable);
      const prepared = await this.tables.prepare(connection, changes);
      for (const [change, error] of prepared.bad) bad.set(change.record, error);
      const applicable = changes.filter((change) => !prepared.bad.has(change) && !prepared.moot.has(change));
      try {
        await this.inTransaction(connection, fresh, bad, async () =>
          this.handleOutcome(
            await this.writer.apply(connection, planBatch(applicable), (table) => this.tables.columns(table)),
            bad,
          ),
        );
      } catch (error) {
        // Not a data error: retried whole, or (access denied) the task's failure, never bad records.
        if (isRetriable(error) || isAccessDenied(error) || error instanceof BadRecordRefused) throw error;
        // The table may have changed under us (a column dropped): read its columns afresh next time.
        this.tables.forget();
        this.context.logger.warn(
          'batch hit a data error; applying it row by row to isolate the bad records',
          {
            records: fresh.length,
            error: describeSqlError(error),
          },
        );
        await this.inTransaction(connection, fresh, bad, async () =>
          this.applyIsolated(connection, applicable, bad),
        );
      }
      return bad;
    });
    this.countApplied(changes, rejected);
    if (rejected.size > 0) this.metrics.recordsRejected.inc({ connector }, rejected.size);
    if (this.offsets !== null)
      for (const [key, next] of nextOffsetsOf(fresh)) this.nextOffsets.set(key, next.offset);
    endTimer();
  }

  /**
   * Metrics once per batch, not per record: applied records by op, and per partition the
   * last applied record's offset, event time and lag.
   */
  private countApplied(changes: readonly RowChange[], rejected: ReadonlyMap<SinkRecord, Error>): void {
    const connector = this.context.connectorName;
    const byOp = new Map<string, number>();
    const lastByPartition = new Map<string, RowChange>();
    for (const change of changes) {
      if (rejected.has(change.record)) continue;
      const op = change.kind === 'skip' ? 'skipped' : change.op;
      byOp.set(op, (byOp.get(op) ?? 0) + 1);
      lastByPartition.set(topicPartitionKey(tpOf(change.record)), change);
    }
    for (const [op, count] of byOp) this.metrics.recordsApplied.inc({ connector, op }, count);
    const { endOffset } = this.context;
    for (const change of lastByPartition.values()) {
      // Flat rows (after ExtractNewRecordState) have no source block: the record timestamp is the event time.
      const { record } = change;
      const eventTime =
        change.context.tsMs ?? (record.timestamp === undefined ? null : BigInt(record.timestamp));
      this.metrics.recordApplied(record.topic, record.kafkaPartition, record.kafkaOffset, eventTime);
      if (endOffset) {
        const tp = tpOf(record);
        this.metrics.trackLag(record.topic, record.kafkaPartition, record.kafkaOffset + 1n, () =>
          endOffset.call(this.context, tp),
        );
      }
    }
  }

  /**
   * BEGIN; the writes; bad records handed to the runtime (before COMMIT, so a refusal
   * rolls everything back); exactly.once offsets; COMMIT.
   */
  private async inTransaction(
    connection: SqlConnection,
    consumed: readonly SinkRecord[],
    bad: Map<SinkRecord, Error>,
    writes: () => Promise<void>,
  ): Promise<void> {
    await connection.execute('BEGIN');
    try {
      await writes();
      for (const [record, error] of [...bad].sort(([a], [b]) => (a.kafkaOffset < b.kafkaOffset ? -1 : 1))) {
        const reason = new DataError(`cannot apply ${describeRecord(record)}: ${error.message}`, {
          cause: error,
        });
        try {
          await this.context.reportBadRecord(record, reason);
        } catch (refusal) {
          throw new BadRecordRefused('the runtime refused a bad record', { cause: refusal });
        }
      }
      if (this.offsets !== null) {
        const statement = this.offsets.saveStatement(nextOffsetsOf(consumed));
        await connection.execute(statement.sql, statement.params);
      }
      await connection.execute('COMMIT');
    } catch (error) {
      await connection.execute('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Each change under its own savepoint; a failing one is rolled back to it and marked bad. */
  private async applyIsolated(
    connection: SqlConnection,
    changes: readonly RowChange[],
    bad: Map<SinkRecord, Error>,
  ): Promise<void> {
    for (const change of changes) {
      if (change.kind === 'skip') continue;
      await connection.execute('SAVEPOINT siphon_row');
      try {
        const plan: BatchPlan = planBatch([change]);
        this.handleOutcome(
          await this.writer.apply(connection, plan, (table) => this.tables.columns(table)),
          bad,
        );
        await connection.execute('RELEASE SAVEPOINT siphon_row');
      } catch (error) {
        if (isRetriable(error) || isAccessDenied(error)) throw error;
        await connection.execute('ROLLBACK TO SAVEPOINT siphon_row');
        bad.set(change.record, new BadRecordError(describeSqlError(error), { cause: error }));
      }
    }
  }

  /**
   * insert.mode=update leaves rows that do not exist alone: said in the log. A partial update
   * (unavailable columns) of a row the target lacks would be a row with holes: a bad record.
   */
  private handleOutcome({ unmatched, partialWithoutRow }: WriteOutcome, bad: Map<SinkRecord, Error>): void {
    for (const change of partialWithoutRow) {
      bad.set(
        change.record,
        new BadRecordError(
          `partial update of a row ${describeTable(change.table)} does not have: the source did not send ${change.unavailable.map((name) => `"${name}"`).join(', ')} (unchanged TOASTed values), so the row cannot be written whole; set REPLICA IDENTITY FULL on the source table, or snapshot it again`,
        ),
      );
    }
    if (partialWithoutRow.length > 0)
      this.metrics.partialUpdatesWithoutRow.inc(
        { connector: this.context.connectorName },
        partialWithoutRow.length,
      );
    if (unmatched.length === 0) return;
    this.context.logger.warn(
      'insert.mode=update: no target row matched these records; nothing was written for them',
      {
        records: unmatched.slice(0, 10).map((change) => describeRecord(change.record)),
        count: unmatched.length,
      },
    );
  }

  /** schema.evolution left a column as it is: the task's status says so, not only the log. */
  private reportNotEvolved(description: string): void {
    this.notEvolvedCount++;
    if (this.notEvolved.length < NOT_EVOLVED_SHOWN) this.notEvolved.push(description);
    this.context.reportProgress({
      columns_not_evolved: this.notEvolvedCount,
      not_evolved: this.notEvolved.join('; '),
    });
  }

  private async loadOffsets(partitions: readonly TopicPartition[]): Promise<void> {
    const offsets = this.offsets;
    const missing = partitions.filter((tp) => !this.loadedPartitions.has(topicPartitionKey(tp)));
    if (offsets === null || missing.length === 0) return;
    const stored = await this.withRetries('load stored offsets', async (connection) => {
      await offsets.ensureTable(connection);
      return offsets.load(connection, missing);
    });
    for (const tp of missing) {
      const key = topicPartitionKey(tp);
      const next = stored.get(key);
      if (next !== undefined) this.nextOffsets.set(key, next);
      this.loadedPartitions.add(key);
    }
  }

  /**
   * Runs `operation` on a live connection, reconnecting and retrying with backoff (max.retries,
   * retry.backoff.ms) what the error policy calls retriable; each retry is in the task's status.
   */
  private async withRetries<T>(
    what: string,
    operation: (connection: SqlConnection) => Promise<T>,
  ): Promise<T> {
    const retries = backoff(
      {
        initialDelayMs: this.config.retryBackoffMs,
        maxDelayMs: MAX_BACKOFF_MS,
        maxRetries: this.config.maxRetries,
      },
      this.context.signal,
    );
    for (;;) {
      try {
        return await operation(await this.connect());
      } catch (error) {
        if (isAccessDenied(error)) {
          await this.dropConnection();
          throw new SiphonError(
            `${what}: the target denied access: ${describeSqlError(error)}; grant the privilege or fix the credentials of the connection user, then restart the task`,
            false,
            { cause: error },
          );
        }
        if (!isRetriable(error)) throw error;
        await this.dropConnection();
        this.tables.forget();
        const again = await retries.failed((attempt, delayMs) => {
          this.metrics.batchRetries.inc({ connector: this.context.connectorName });
          this.context.logger.warn(`${what} failed; retrying`, {
            attempt,
            delayMs,
            error: describeSqlError(error),
          });
          this.context.reportRetrying?.(error, attempt);
        });
        if (!again) {
          throw new RetriableError(
            this.context.signal.aborted
              ? `${what}: stopped while waiting to retry`
              : `${what}: the target is still unavailable after ${retries.attempts} attempts: ${describeSqlError(error)}`,
            { cause: error },
          );
        }
      }
    }
  }

  private async connect(): Promise<SqlConnection> {
    this.connection ??= await this.dialect.connect(this.config.connection, this.context.logger);
    return this.connection;
  }

  private async dropConnection(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    await connection?.close();
  }
}

function tpOf(record: SinkRecord): TopicPartition {
  return { topic: record.topic, partition: record.kafkaPartition };
}

function partitionsOf(records: readonly SinkRecord[]): TopicPartition[] {
  const seen = new Map<string, TopicPartition>();
  for (const record of records) seen.set(topicPartitionKey(tpOf(record)), tpOf(record));
  return [...seen.values()];
}

function nextOffsetsOf(
  records: readonly SinkRecord[],
): Map<string, { topic: string; partition: number; offset: bigint }> {
  const next = new Map<string, { topic: string; partition: number; offset: bigint }>();
  for (const record of records) {
    const key = topicPartitionKey(tpOf(record));
    const current = next.get(key);
    if (!current || record.kafkaOffset + 1n > current.offset) {
      next.set(key, {
        topic: record.topic,
        partition: record.kafkaPartition,
        offset: record.kafkaOffset + 1n,
      });
    }
  }
  return next;
}

function describeRecord(record: SinkRecord): string {
  return `record ${record.topic}-${record.kafkaPartition}@${record.kafkaOffset}`;
}
