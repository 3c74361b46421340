import type { RowDataPacket } from 'mysql2/promise';
import type {
  CommittedOffsetEntry,
  MetricFactory,
  ParsedConfig,
  RetentionProbe,
  RetentionSample,
} from '../../runtime/plugin/index.js';
import { fromSourceOffset, sourcePartition } from './binlog-offset.js';
import { readMySqlConfig } from './config.js';
import { binlogFilesNeededMetric } from './metrics.js';
import { openConnection } from './mysql-server.js';

/**
 * The binlog as the server lists it (SHOW BINARY LOGS), against the connector's committed
 * offset, for the worker's retention guardian: the files still needed to resume, their
 * bytes, the bytes behind, and whether the offset's file was purged already. MySQL does not
 * keep binlogs for a reader (expire_logs_days decides), so the danger this shows is the
 * other way round: a stopped connector whose file is about to be purged, or was.
 */
export function binlogRetentionProbe(
  config: ParsedConfig,
  connector: string,
  metrics: MetricFactory,
): RetentionProbe {
  const options = readMySqlConfig(config);
  const filesNeeded = metrics.gauge(binlogFilesNeededMetric);
  const partition = sourcePartition(options.cdc.topicPrefix);
  let connection: Awaited<ReturnType<typeof openConnection>> | null = null;
  return {
    limits: { maxRetainedBytes: null, action: 'warn' },
    async measure(committed: readonly CommittedOffsetEntry[]): Promise<RetentionSample | null> {
      const entry = committed.find((e) => e.partition.server === partition.server);
      if (!entry) {
        filesNeeded.remove({ connector });
        return null;
      }
      const offset = fromSourceOffset(entry.offset);
      let rows: RowDataPacket[];
      try {
        connection ??= await openConnection(options);
        [rows] = await connection.query<RowDataPacket[]>('SHOW BINARY LOGS');
      } catch (error) {
        const broken = connection;
        connection = null;
        await broken?.end().catch(() => undefined);
        throw error;
      }
      const files = rows.map((row) => ({ name: String(row.Log_name), size: Number(row.File_size) }));
      const needed = files.filter((f) => f.name >= offset.file);
      const lost = !files.some((f) => f.name === offset.file);
      const retained = needed.reduce((sum, f) => sum + f.size, 0);
      const behind = lost ? null : retained - offset.pos;
      filesNeeded.set({ connector }, needed.length);
      return {
        holder: offset.file,
        retainedBytes: retained,
        behindBytes: behind,
        lost,
        active: null,
        details: {
          file: offset.file,
          pos: offset.pos,
          files_needed: needed.length,
          oldest_on_server: files[0]?.name ?? null,
          newest_on_server: files.at(-1)?.name ?? null,
        },
      };
    },
    async close(): Promise<void> {
      const current = connection;
      connection = null;
      await current?.end().catch(() => undefined);
    },
  };
}
