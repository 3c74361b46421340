import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logging/logger.js';
import { pluginMetrics } from '../metrics/metric-factory.js';
import type {
  CommittedOffsetEntry,
  ConnectorPlugin,
  ParsedConfig,
  RetentionProbe,
  RetentionSample,
} from '../plugin/index.js';
import {
  forgetRetentionMetrics,
  retainedBytes,
  retentionBehindBytes,
  retentionOverLimit,
} from './retention-metrics.js';

/**
 * The slot and binlog guardian: every `retention.check.interval.ms` it asks each source
 * connector's probe what the database keeps for it — whether the connector runs, is paused,
 * failed, stopped, or was deleted while its slot stays — and publishes the numbers as
 * metrics, status fields and `retention` events. Past the connector's limit (or when the
 * server lost what the connector needs) it raises an `alert` event and a warning once per
 * episode, and with the opt-in `drop` action releases a retention nobody reads.
 */
const mebibytes = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

export interface RetentionView extends RetentionSample {
  readonly measuredAt: string;
  readonly limitBytes: number | null;
  readonly overLimit: boolean;
  /** The connector was deleted; its slot is watched until it is gone. */
  readonly deleted: boolean;
}

interface Watched {
  readonly probe: RetentionProbe;
  readonly configKey: string;
  deleted: boolean;
  latest: RetentionView | null;
  alerting: boolean;
  /** Retained bytes when nobody was found reading (null while someone reads). */
  unreadSince: number | null;
  unreadAlerting: boolean;
  error: string | null;
}

export interface RetentionGuardianOptions {
  readonly events: EventBus;
  readonly logger: Logger;
  readonly intervalMs: number;
  readonly committedOffsets: (connector: string) => readonly CommittedOffsetEntry[];
  readonly connectorState: (connector: string) => string | null;
  /** Whether any task of the connector is RUNNING (its slot may be between two readers). */
  readonly anyTaskRunning: (connector: string) => boolean;
}

export class RetentionGuardian {
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;

  constructor(private readonly options: RetentionGuardianOptions) {}

  start(): void {
    this.timer ??= setInterval(() => void this.checkNow(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
    await Promise.all([...this.watched.keys()].map((name) => this.unwatch(name)));
  }

  /** Watches a connector with this (resolved, parsed) config; a changed config gets a new probe. */
  watch(connector: string, plugin: ConnectorPlugin, config: ParsedConfig): void {
    if (plugin.type !== 'source' || !plugin.retentionProbe) return;
    const configKey = JSON.stringify(config);
    const current = this.watched.get(connector);
    if (current && current.configKey === configKey) {
      current.deleted = false;
      return;
    }
    if (current) void current.probe.close();
    this.watched.set(connector, {
      probe: plugin.retentionProbe(config, connector, pluginMetrics),
      configKey,
      deleted: false,
      latest: null,
      alerting: false,
      unreadSince: null,
      unreadAlerting: false,
      error: null,
    });
  }

  /** The connector is gone; what it left on the server is watched until that is gone too. */
  connectorDeleted(connector: string): void {
    const current = this.watched.get(connector);
    if (current) current.deleted = true;
  }

  /** Another worker runs the connector now and watches it there. */
  async stopWatching(connector: string): Promise<void> {
    if (this.watched.get(connector)?.deleted) return;
    await this.unwatch(connector);
  }

  latest(connector: string): RetentionView | null {
    return this.watched.get(connector)?.latest ?? null;
  }

  /** Connectors watched although deleted (their slot still exists). */
  deletedButRetained(): string[] {
    return [...this.watched].filter(([, w]) => w.deleted && w.latest !== null).map(([name]) => name);
  }

  /** One round over every watched connector (the timer calls it; tests may too). */
  checkNow(): Promise<void> {
    this.checking ??= Promise.all([...this.watched.keys()].map((name) => this.check(name)))
      .then(
        () => undefined,
        (error: unknown) => this.options.logger.error('retention check failed', { error }),
      )
      .finally(() => {
        this.checking = null;
      });
    return this.checking;
  }

  private async check(connector: string): Promise<void> {
    const watched = this.watched.get(connector);
    if (!watched) return;
    let sample: RetentionSample | null;
    try {
      sample = await watched.probe.measure(this.options.committedOffsets(connector));
      watched.error = null;
    } catch (error) {
      const message = (error as Error).message;
      if (watched.error !== message) {
        this.options.logger.warn('cannot measure what the source retains', { connector, error: message });
      }
      watched.error = message;
      return;
    }
    if (this.watched.get(connector) !== watched) return;
    if (sample === null) {
      watched.latest = null;
      forgetRetentionMetrics(connector);
      if (watched.deleted) await this.unwatch(connector);
      return;
    }
    const limit = watched.probe.limits.maxRetainedBytes;
    const overLimit = sample.lost || (limit !== null && sample.retainedBytes > limit);
    const view: RetentionView = {
      ...sample,
      measuredAt: new Date().toISOString(),
      limitBytes: limit,
      overLimit,
      deleted: watched.deleted,
    };
    watched.latest = view;
    retainedBytes.set({ connector }, sample.retainedBytes);
    if (sample.behindBytes === null) retentionBehindBytes.remove({ connector });
    else retentionBehindBytes.set({ connector }, sample.behindBytes);
    retentionOverLimit.set({ connector }, overLimit ? 1 : 0);
    const state = watched.deleted ? 'DELETED' : this.options.connectorState(connector);
    this.options.events.publish('retention', connector, { ...view, connectorState: state });
    if (overLimit !== watched.alerting) {
      watched.alerting = overLimit;
      this.alert(connector, view, state);
    }
    // A running task's slot is inactive for moments (snapshot to streaming, reconnects):
    // only a connector without a running task counts as not reading.
    const idle = watched.deleted || !this.options.anyTaskRunning(connector);
    const unreadBefore = watched.unreadSince !== null;
    this.checkUnread(connector, watched, view, state, idle);
    const unreadTwice = unreadBefore && watched.unreadSince !== null;
    if (
      overLimit &&
      !sample.lost &&
      watched.probe.limits.action === 'drop' &&
      sample.active === false &&
      unreadTwice &&
      idle
    ) {
      await this.release(connector, watched);
    }
  }

  private alert(connector: string, view: RetentionView, state: string | null): void {
    const message = view.lost
      ? `the source server no longer has what ${connector} needs to resume (${view.holder}): a new snapshot is needed`
      : view.overLimit
        ? `${view.holder} retains ${view.retainedBytes} bytes (${mebibytes(view.retainedBytes)}) for ${connector} (${state ?? 'unknown state'}), over the limit of ${view.limitBytes} bytes`
        : `${view.holder} retains ${mebibytes(view.retainedBytes)} for ${connector}, back under the limit`;
    if (view.overLimit) this.options.logger.warn('retention over limit', { connector, message });
    else this.options.logger.info('retention back under its limit', { connector });
    this.options.events.publish('alert', connector, {
      kind: 'retention',
      status: view.overLimit ? 'firing' : 'resolved',
      message,
      retainedBytes: view.retainedBytes,
      limitBytes: view.limitBytes,
      connectorState: state,
    });
  }

  /**
   * Nobody reads (no task runs, and PostgreSQL's slot is inactive) for two checks in a row and the server keeps more than at the first: announced once,
   * like the SiphonRetentionGrowingWhileNotRunning alert, resolved when reading resumes.
   */
  private checkUnread(
    connector: string,
    watched: Watched,
    view: RetentionView,
    state: string | null,
    idle: boolean,
  ): void {
    const unread = idle && view.active !== true;
    if (!unread) {
      watched.unreadSince = null;
      if (watched.unreadAlerting) {
        watched.unreadAlerting = false;
        this.options.events.publish('alert', connector, {
          kind: 'retention.unread',
          status: 'resolved',
          message: `${view.holder} is read again; the source server can release what it kept for ${connector}`,
        });
      }
      return;
    }
    if (watched.unreadSince === null) {
      watched.unreadSince = view.retainedBytes;
      return;
    }
    const grown = view.retainedBytes - watched.unreadSince;
    if (watched.unreadAlerting || grown <= 0) return;
    watched.unreadAlerting = true;
    this.options.logger.warn('retention grows while nobody reads it', { connector, grownBytes: grown });
    this.options.events.publish('alert', connector, {
      kind: 'retention.unread',
      status: 'firing',
      grownBytes: grown,
      retainedBytes: view.retainedBytes,
      connectorState: state,
      message: `nobody reads ${view.holder} (${connector} is ${state ?? 'unknown'}) and the source server keeps more and more for it: ${mebibytes(view.retainedBytes)} retained, ${mebibytes(grown)} more since`,
    });
  }

  private async release(connector: string, watched: Watched): Promise<void> {
    if (!watched.probe.release) return;
    try {
      const done = await watched.probe.release();
      this.options.logger.warn('released retention over its limit (slot.max.retained.wal.action=drop)', {
        connector,
        done,
      });
      this.options.events.publish('alert', connector, {
        kind: 'retention.released',
        status: 'firing',
        message: `${done} for ${connector}: it retained more than the limit and nobody read it; the connector needs a new snapshot (snapshot.mode=when_needed)`,
      });
      watched.latest = null;
      forgetRetentionMetrics(connector);
    } catch (error) {
      this.options.logger.error('could not release retention', { connector, error });
    }
  }

  private async unwatch(connector: string): Promise<void> {
    const watched = this.watched.get(connector);
    if (!watched) return;
    this.watched.delete(connector);
    forgetRetentionMetrics(connector);
    await watched.probe.close();
  }
}
