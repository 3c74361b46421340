/**
 * How the CLI shows a task's progress: for a table being snapshotted a bar with percent,
 * rows, rows per second and ETA (the fields runtime/cdc/snapshot-progress.ts reports for
 * every source), then whatever other fields the task reports, as key=value.
 */
type Progress = Readonly<Record<string, string | number>>;

const barWidth = 20;
/** The fields the bar shows; the others follow it as key=value. */
const barFields = new Set([
  'table',
  'table_number',
  'tables',
  'rows_done',
  'rows_estimated',
  'percent',
  'rows_per_second',
  'eta_seconds',
]);

/** A task's progress as the status carries it: a bar for a table being snapshotted, then the other fields. */
export function describeProgress(progress: Progress | undefined): string {
  if (!progress) return '';
  const done = Number(progress.rows_done);
  const estimated = Number(progress.rows_estimated);
  const parts: string[] = [];
  const bar = progress.table !== undefined && Number.isFinite(done) && estimated > 0;
  if (bar) {
    const percent = Number(progress.percent ?? (100 * done) / estimated);
    const filled = Math.max(0, Math.min(barWidth, Math.round((percent * barWidth) / 100)));
    const eta =
      progress.eta_seconds === undefined ? '' : ` ETA ${formatSeconds(Number(progress.eta_seconds))}`;
    parts.push(
      `${String(progress.table)} (${String(progress.table_number ?? '?')}/${String(progress.tables ?? '?')})`,
      `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${percent.toFixed(1)}%`,
      `${done}/${estimated} rows, ${String(progress.rows_per_second ?? 0)} rows/s${eta}`,
    );
  }
  for (const [key, value] of Object.entries(progress)) {
    if (!(bar && barFields.has(key))) parts.push(`${key}=${value}`);
  }
  return parts.join(' ');
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** A snapshot (initial or incremental) is reading a table. */
export function snapshotting(progress: Progress | undefined): boolean {
  return progress?.phase === 'snapshot' || progress?.phase === 'incremental snapshot';
}
