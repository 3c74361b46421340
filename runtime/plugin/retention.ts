import type { SourceOffset, SourcePartition } from '../record/index.js';
import type { ParsedConfig } from './config-def.js';
import type { MetricFactory } from './metrics.js';

/**
 * What a source server keeps for a connector (PostgreSQL: WAL held by the replication slot;
 * MySQL: binlog files from the connector's position on), measured by the worker from the
 * database itself whatever the connector's state. A source plugin that can measure it
 * implements `retentionProbe`; the runtime's guardian polls it, publishes metrics and
 * events, warns past the limit and, when the connector opted in, acts.
 */
export interface RetentionSample {
  /** What holds the data on the server: the slot name, or the binlog file the offset is in. */
  readonly holder: string;
  /** Bytes the server keeps for this connector (PostgreSQL: pg_current_wal_lsn() - restart_lsn). */
  readonly retainedBytes: number;
  /** Bytes written since the position the connector confirmed (PostgreSQL: - confirmed_flush_lsn). */
  readonly behindBytes: number | null;
  /**
   * The server no longer has what the connector needs to resume (PostgreSQL: wal_status
   * lost; MySQL: the binlog file of the committed offset was purged).
   */
  readonly lost: boolean;
  /** Whether a client reads it right now (PostgreSQL: the slot's `active`). */
  readonly active: boolean | null;
  /** Database-specific facts, shown as they are (wal_status, safe_wal_size, binlog files). */
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

export interface RetentionLimits {
  /** Warn past this many retained bytes; null: never. */
  readonly maxRetainedBytes: number | null;
  /** `drop`: release the retention (drop the slot) when over the limit and nobody reads it. */
  readonly action: 'warn' | 'drop';
}

export interface CommittedOffsetEntry {
  readonly partition: SourcePartition;
  readonly offset: SourceOffset;
}

export interface RetentionProbe {
  readonly limits: RetentionLimits;
  /** Measures now; null when the server keeps nothing for the connector (no slot, no offset). */
  measure(committed: readonly CommittedOffsetEntry[]): Promise<RetentionSample | null>;
  /** The opt-in action: releases what the server keeps; says what it did. */
  release?(): Promise<string>;
  close(): Promise<void>;
}

export interface RetentionMeasurable {
  /**
   * A probe for the connector config (secrets resolved) that opens its own connection
   * lazily; `connector` labels the plugin's own metrics, made with `metrics`.
   */
  retentionProbe(config: ParsedConfig, connector: string, metrics: MetricFactory): RetentionProbe;
}
