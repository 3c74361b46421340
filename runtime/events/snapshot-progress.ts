import { snapshotRowsDoneMetric, snapshotRowsTotalMetric } from '../cdc/cdc-metrics.js';
import { pluginMetrics } from '../metrics/metric-factory.js';
import type { EventBus } from './event-bus.js';

/**
 * Turns tasks' progress reports into `snapshot.progress` events: at most one per task per
 * second (the last report is never dropped), each with the per-table rows done and
 * estimated that both CDC sources keep, so a progress bar and an ETA need nothing else.
 */
const minIntervalMs = 1000;

type Progress = Readonly<Record<string, string | number>>;

interface TaskThrottle {
  timer: NodeJS.Timeout | null;
  pending: Progress | null;
}

export class SnapshotProgressPublisher {
  private readonly throttles = new Map<string, TaskThrottle>();

  /** `store`: also keeps each published progress (the herder writes it to the status topic). */
  constructor(
    private readonly bus: EventBus,
    private readonly store: (connector: string, task: number, progress: Progress) => void = () => undefined,
  ) {}

  report(connector: string, task: number, progress: Progress): void {
    const key = `${connector}\u0000${task}`;
    let throttle = this.throttles.get(key);
    if (!throttle) this.throttles.set(key, (throttle = { timer: null, pending: null }));
    if (throttle.timer) {
      throttle.pending = progress;
      return;
    }
    void this.publish(connector, task, progress);
    const current = throttle;
    const tick = () => {
      const pending = current.pending;
      current.pending = null;
      if (pending === null) {
        current.timer = null;
        this.throttles.delete(key);
        return;
      }
      void this.publish(connector, task, pending);
      current.timer = setTimeout(tick, minIntervalMs).unref();
    };
    current.timer = setTimeout(tick, minIntervalMs).unref();
  }

  private async publish(connector: string, task: number, progress: Progress): Promise<void> {
    this.store(connector, task, progress);
    const [done, total] = await Promise.all([
      pluginMetrics.gauge(snapshotRowsDoneMetric).get(),
      pluginMetrics.gauge(snapshotRowsTotalMetric).get(),
    ]);
    const tables = new Map<string, { table: string; rowsDone: number; rowsTotal: number | null }>();
    for (const { labels, value } of done.values) {
      if (labels.connector !== connector) continue;
      tables.set(String(labels.table), { table: String(labels.table), rowsDone: value, rowsTotal: null });
    }
    for (const { labels, value } of total.values) {
      const entry = labels.connector === connector ? tables.get(String(labels.table)) : undefined;
      if (entry) entry.rowsTotal = value;
    }
    this.bus.publish('snapshot.progress', connector, { task, progress, tables: [...tables.values()] });
  }
}
