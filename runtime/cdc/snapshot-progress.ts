import type { TaskContext } from '../plugin/index.js';
import type { SnapshotAggregate, SnapshotNotifier, SnapshotNotificationType } from './notifications.js';

/**
 * The one progress shape of a snapshot, whichever source reads it, as the task's status,
 * the CLI's progress bar and the `snapshot.progress` events show it: the phase, the table
 * being read (its number of all), rows done and estimated, percent, rows per second and
 * the ETA of that table. `phase` (`snapshot`, `incremental snapshot`, then e.g. `snapshot
 * completed` or `streaming`) is the key the runtime commits offsets on when it changes.
 */
export interface SnapshotTableProgress {
  readonly table: string;
  /** 1-based place of the table among `tables`. */
  readonly tableNumber: number;
  readonly tables: number;
  readonly rowsDone: number;
  /** The server's estimate (PostgreSQL reltuples, MySQL TABLE_ROWS); at least rowsDone. */
  readonly rowsEstimated: number;
}

export type ProgressFields = Readonly<Record<string, string | number>>;

/**
 * The status fields of one table's progress after `elapsedMs` of reading it, the rate
 * from the rows read in that time (`rowsAtStart`: those done before, e.g. by the worker
 * a resumed snapshot ran on).
 */
export function tableProgressFields(
  table: SnapshotTableProgress,
  elapsedMs: number,
  phase: 'snapshot' | 'incremental snapshot' = 'snapshot',
  rowsAtStart = 0,
): ProgressFields {
  const estimated = Math.max(table.rowsEstimated, table.rowsDone);
  const rate = elapsedMs > 0 ? ((table.rowsDone - rowsAtStart) * 1000) / elapsedMs : 0;
  return {
    phase,
    table: table.table,
    table_number: table.tableNumber,
    tables: table.tables,
    rows_done: table.rowsDone,
    rows_estimated: estimated,
    percent: estimated > 0 ? Math.floor((table.rowsDone * 1000) / estimated) / 10 : 100,
    rows_per_second: Math.round(rate),
    ...(rate > 0 ? { eta_seconds: Math.ceil((estimated - table.rowsDone) / rate) } : {}),
  };
}

/**
 * Reports a snapshot's progress through the task context, timing each table from its
 * first report (so a snapshot resumed after a restart shows this run's rate), and tells the notifier (the dispatcher) Debezium's notifications: STARTED,
 * IN_PROGRESS as each table begins, TABLE_SCAN_COMPLETED as it ends, COMPLETED or ABORTED.
 */
export class SnapshotProgressReporter {
  private current: {
    table: SnapshotTableProgress;
    readonly startedAt: number;
    /** Rows done at the table's first report: a resumed table's rate counts only what this run read. */
    readonly rowsAtStart: number;
  } | null = null;
  private started = false;

  constructor(
    private readonly context: Pick<TaskContext, 'reportProgress' | 'connectorName'>,
    private readonly notifier: SnapshotNotifier | null = null,
    private readonly aggregate: SnapshotAggregate = 'Initial Snapshot',
    private readonly now: () => number = Date.now,
  ) {}

  /** A fetch of `table` was emitted; `extra`: the source's own fields (e.g. a parallel snapshot's chunks). */
  table(table: SnapshotTableProgress, extra: ProgressFields = {}): void {
    if (!this.started) {
      this.started = true;
      this.notify('STARTED', {});
    }
    if (this.current?.table.table !== table.table) {
      if (this.current) this.tableScanCompleted(this.current.table);
      this.current = { table, startedAt: this.now(), rowsAtStart: table.rowsDone };
      this.notify('IN_PROGRESS', {
        current_collection_in_progress: table.table,
        maximum_collections: String(table.tables),
        // Debezium counts the collections before this one as done.
        data_collections_done: String(table.tableNumber - 1),
      });
    }
    this.current.table = table;
    const phase = this.aggregate === 'Initial Snapshot' ? 'snapshot' : 'incremental snapshot';
    this.context.reportProgress({
      ...tableProgressFields(table, this.now() - this.current.startedAt, phase, this.current.rowsAtStart),
      ...extra,
    });
  }

  /** The snapshot ended: COMPLETED, or ABORTED (stopped); `progress` is the status it leaves. */
  finished(outcome: 'COMPLETED' | 'ABORTED', progress: ProgressFields): void {
    if (this.current && outcome === 'COMPLETED') this.tableScanCompleted(this.current.table);
    this.current = null;
    this.started = false;
    this.notify(outcome, {});
    this.context.reportProgress(progress);
  }

  /** pause-snapshot and resume-snapshot (incremental snapshots). */
  paused(): void {
    this.notify('PAUSED', {});
  }

  resumed(): void {
    this.notify('RESUMED', {});
  }

  private tableScanCompleted(table: SnapshotTableProgress): void {
    this.notify('TABLE_SCAN_COMPLETED', {
      data_collection: table.table,
      scanned_collection: table.table,
      total_rows_scanned: String(table.rowsDone),
      status: 'SUCCEEDED',
    });
  }

  private notify(type: SnapshotNotificationType, data: Record<string, string>): void {
    this.notifier?.notify({
      aggregateType: this.aggregate,
      type,
      additionalData: { connector_name: this.context.connectorName, ...data },
    });
  }
}
