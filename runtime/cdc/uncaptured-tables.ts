import type { TaskContext } from '../plugin/index.js';

/**
 * Tables a source task cannot capture (a schema it cannot build, a topic name Kafka
 * refuses, colliding field names): the task goes on with the others, logs each table once
 * and keeps the list, by name with the reason, in the `tables_not_captured` entry of
 * every progress report, so the connector status shows it.
 */
/** What the list needs of a task's context: a verification's reader passes a logger and no status. */
export type UncapturedTablesReporter = Pick<TaskContext, 'logger' | 'reportProgress'>;

export class UncapturedTables<C extends UncapturedTablesReporter = TaskContext> {
  private readonly reasons = new Map<string, string>();
  private lastProgress: Readonly<Record<string, string | number>> = {};
  /** The task's context with a reportProgress that keeps the list in the status. */
  readonly context: C;

  constructor(private readonly base: C) {
    this.context = Object.create(base, {
      reportProgress: {
        value: (progress: Readonly<Record<string, string | number>>) => this.report(progress),
      },
    }) as C;
  }

  add(table: string, reason: string): void {
    if (this.reasons.get(table) === reason) return;
    this.reasons.set(table, reason);
    this.base.logger.error('table not captured; the other tables go on', { table, reason });
    this.report(this.lastProgress);
  }

  /** A table captured again (e.g. after DDL fixed it) leaves the list. */
  remove(table: string): void {
    if (this.reasons.delete(table)) this.report(this.lastProgress);
  }

  has(table: string): boolean {
    return this.reasons.has(table);
  }

  private report(progress: Readonly<Record<string, string | number>>): void {
    this.lastProgress = progress;
    if (this.reasons.size === 0) {
      this.base.reportProgress(progress);
      return;
    }
    const list = [...this.reasons].map(([table, reason]) => `${table}: ${reason}`).join('; ');
    this.base.reportProgress({ ...progress, tables_not_captured: list });
  }
}
