import type { Counter, Gauge } from 'prom-client';
import { sourceLagSecondsMetric } from '../cdc/cdc-metrics.js';
import { pluginMetrics } from '../metrics/metric-factory.js';
import { metricsRegistry } from '../metrics/registry.js';
import { sinkRecordsConsumed, sourceRecordsProduced } from '../metrics/runtime-metrics.js';
import type { EventBus } from './event-bus.js';

export interface LagSource {
  connectorNames(): string[];
  connectorType(name: string): 'source' | 'sink' | 'unknown';
  behindBytes(name: string): number | null;
}

// The sink's lag metrics belong to the JDBC sink; looked up by name, not imported.
const sinkLagSecondsMetric = 'siphon_sink_jdbc_end_to_end_lag_seconds';
const sinkLagRecordsMetric = 'siphon_sink_jdbc_consumer_lag_records';

async function byConnector(
  metric: Gauge | Counter | undefined,
  combine: (a: number, b: number) => number,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!metric) return out;
  for (const { labels, value } of (await metric.get()).values) {
    const name = String(labels.connector);
    const previous = out.get(name);
    out.set(name, previous === undefined ? value : combine(previous, value));
  }
  return out;
}

const sum = (a: number, b: number) => a + b;

/**
 * Publishes one `lag` event per connector every `events.lag.interval.ms`: lag in seconds
 * (sources: behind the source commit; sinks: end to end), in bytes (what the source server
 * wrote after the confirmed position, from the retention guardian), in records (sinks:
 * consumer lag) and the throughput since the last sample. It reads the very metrics
 * `/metrics` serves, so the stream and Prometheus cannot disagree. Crossing
 * `events.lag.alert.seconds` raises an `alert` event, and recovering resolves it.
 */
export class LagSampler {
  private timer: NodeJS.Timeout | null = null;
  private previous = new Map<string, number>();
  private previousAt = Date.now();
  private readonly alerting = new Set<string>();

  constructor(
    private readonly bus: EventBus,
    private readonly source: LagSource,
    private readonly options: { readonly intervalMs: number; readonly alertSeconds: number },
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sample(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async sample(): Promise<void> {
    const [sourceLag, sinkLag, sinkRecords, produced, consumed] = await Promise.all([
      byConnector(pluginMetrics.gauge(sourceLagSecondsMetric), Math.max),
      byConnector(metricsRegistry.getSingleMetric(sinkLagSecondsMetric) as Gauge | undefined, Math.max),
      byConnector(metricsRegistry.getSingleMetric(sinkLagRecordsMetric) as Gauge | undefined, sum),
      byConnector(sourceRecordsProduced, sum),
      byConnector(sinkRecordsConsumed, sum),
    ]);
    const now = Date.now();
    const elapsed = Math.max(1, now - this.previousAt) / 1000;
    const totals = new Map<string, number>();
    for (const name of this.source.connectorNames()) {
      const type = this.source.connectorType(name);
      const total = (type === 'sink' ? consumed : produced).get(name) ?? 0;
      totals.set(name, total);
      const before = this.previous.get(name);
      const seconds = (type === 'sink' ? sinkLag : sourceLag).get(name) ?? null;
      this.bus.publish('lag', name, {
        seconds,
        bytes: type === 'source' ? this.source.behindBytes(name) : null,
        records: type === 'sink' ? (sinkRecords.get(name) ?? null) : null,
        recordsPerSecond: before === undefined || total < before ? null : (total - before) / elapsed,
      });
      this.checkAlert(name, seconds);
    }
    for (const name of this.alerting) if (!totals.has(name)) this.alerting.delete(name);
    this.previous = totals;
    this.previousAt = now;
  }

  private checkAlert(name: string, seconds: number | null): void {
    const over = seconds !== null && seconds > this.options.alertSeconds;
    if (over === this.alerting.has(name)) return;
    if (over) this.alerting.add(name);
    else this.alerting.delete(name);
    this.bus.publish('alert', name, {
      kind: 'lag',
      status: over ? 'firing' : 'resolved',
      seconds,
      thresholdSeconds: this.options.alertSeconds,
      message: over
        ? `${name} lags ${seconds?.toFixed(1)} s, more than events.lag.alert.seconds (${this.options.alertSeconds} s)`
        : `${name} lag is back under ${this.options.alertSeconds} s`,
    });
  }
}
