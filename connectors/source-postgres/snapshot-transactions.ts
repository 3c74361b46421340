import type pg from 'pg';

/**
 * Opens `count` connections, each in a REPEATABLE READ READ ONLY transaction, all on one
 * snapshot: the slot's exported one when given (the caller keeps the connection that
 * exported it open until this returns: an exported snapshot can be imported only while
 * its exporter is open), otherwise the first transaction's own, exported with
 * pg_export_snapshot() for the others. One connection without an exported snapshot is a
 * plain transaction, as it always was.
 */
export async function openSnapshotTransactions(
  open: (reader: number) => Promise<pg.Client>,
  count: number,
  exported: string | null,
): Promise<pg.Client[]> {
  const clients: pg.Client[] = [];
  try {
    let snapshot = exported;
    for (let reader = 0; reader < count; reader++) {
      const client = await open(reader);
      clients.push(client);
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      if (snapshot !== null) {
        await client.query(`SET TRANSACTION SNAPSHOT '${snapshot.replaceAll("'", "''")}'`);
      } else if (count > 1) {
        const own = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
        snapshot = own.rows[0]!.id;
      }
    }
    return clients;
  } catch (error) {
    await closeSnapshotConnections(clients);
    throw error;
  }
}

/** Ends the connections (their transactions end with them: a snapshot only reads). */
export async function closeSnapshotConnections(clients: readonly pg.Client[]): Promise<void> {
  await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
}
