import type pg from 'pg';
import type {
  MetricFactory,
  ParsedConfig,
  RetentionProbe,
  RetentionSample,
} from '../../runtime/plugin/index.js';
import { readPostgresOptions } from './config.js';
import { connect } from './connection.js';
import { SlotMetrics } from './metrics.js';
import { dropSlot } from './slot-and-publication.js';

/**
 * The replication slot as PostgreSQL reports it, for the worker's retention guardian: WAL
 * retained for the slot (pg_current_wal_lsn() - restart_lsn), the confirmed lag
 * (- confirmed_flush_lsn), wal_status, safe_wal_size and whether a walsender reads it. It
 * uses its own connection, so it measures while the task is paused, failed, stopped or gone.
 */
const walStatuses = ['reserved', 'extended', 'unreserved', 'lost'] as const;

interface SlotRow {
  retained: string | null;
  behind: string | null;
  active: string;
  wal_status: string | null;
  safe_wal_size: string | null;
}

export function slotRetentionProbe(
  config: ParsedConfig,
  connector: string,
  metrics: MetricFactory,
): RetentionProbe {
  const options = readPostgresOptions(config);
  const { replicationLagBytes, slotActive, slotSafeWalSize, slotWalStatus } = new SlotMetrics(metrics);
  let client: pg.Client | null = null;
  const open = async () => (client ??= await connect(options, 'siphon-retention'));
  const dropMetrics = () => {
    replicationLagBytes.remove({ connector });
    slotActive.remove({ connector });
    slotSafeWalSize.remove({ connector });
    for (const status of walStatuses) slotWalStatus.remove({ connector, wal_status: status });
  };
  return {
    limits: {
      maxRetainedBytes: options.slotMaxRetainedWalBytes > 0 ? options.slotMaxRetainedWalBytes : null,
      action: options.slotMaxRetainedWalAction,
    },
    async measure(): Promise<RetentionSample | null> {
      let row: SlotRow | undefined;
      try {
        row = (
          await (
            await open()
          ).query<SlotRow>(
            `SELECT (pg_current_wal_lsn() - restart_lsn)::bigint::text AS retained,
                  (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint::text AS behind,
                  active::text, wal_status, safe_wal_size::text
             FROM pg_replication_slots WHERE slot_name = $1`,
            [options.slotName],
          )
        ).rows[0];
      } catch (error) {
        // A broken connection is reopened at the next measurement.
        const broken = client;
        client = null;
        await broken?.end().catch(() => undefined);
        throw error;
      }
      if (row === undefined) {
        dropMetrics();
        return null;
      }
      const behind = row.behind === null ? null : Number(row.behind);
      const safe = row.safe_wal_size === null ? null : Number(row.safe_wal_size);
      if (behind !== null) replicationLagBytes.set({ connector }, behind);
      slotActive.set({ connector }, row.active === 'true' ? 1 : 0);
      if (safe === null) slotSafeWalSize.remove({ connector });
      else slotSafeWalSize.set({ connector }, safe);
      for (const status of walStatuses) {
        slotWalStatus.set({ connector, wal_status: status }, status === row.wal_status ? 1 : 0);
      }
      return {
        holder: options.slotName,
        retainedBytes: row.retained === null ? 0 : Number(row.retained),
        behindBytes: behind,
        lost: row.wal_status === 'lost',
        active: row.active === 'true',
        details: { slot: options.slotName, wal_status: row.wal_status, safe_wal_size: safe },
      };
    },
    async release(): Promise<string> {
      await dropSlot(await open(), options.slotName);
      dropMetrics();
      return `dropped replication slot "${options.slotName}"`;
    },
    async close(): Promise<void> {
      const current = client;
      client = null;
      await current?.end().catch(() => undefined);
    },
  };
}
