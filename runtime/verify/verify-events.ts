import type { EventBus } from '../events/event-bus.js';
import type { VerifyManager } from './verify-manager.js';

/** Each finished verification becomes a `verification` event (the console and `siphon events` show it). */
export function publishVerificationResults(verifications: VerifyManager, events: EventBus): void {
  verifications.onResult((run) => {
    const differences = run.tables.reduce((sum, table) => sum + table.differences_total, 0);
    const rows = run.tables.reduce((sum, table) => sum + table.rows_compared, 0);
    events.publish('verification', run.connector, {
      id: run.id,
      status: run.state,
      differences,
      rows_compared: rows,
      repair: run.repair,
      scheduled: run.scheduled,
      summary:
        run.state === 'FAILED'
          ? `verification ${run.id} failed: ${run.error ?? 'unknown error'}`
          : `${run.state}: ${rows} rows in ${run.tables.length} table(s), ${differences} difference(s)`,
    });
  });
}
