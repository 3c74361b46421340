import { sleep } from './bench-worker.js';
import type { BenchContext } from './phases.js';
import { query } from './workload.js';

async function step(what: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    console.error(`cleanup: ${what}: ${(error as Error).message}`);
  }
}

/**
 * Removes everything whose name holds the run id, whatever state a failure or an
 * interruption left it in. Each step runs whether or not the previous one worked.
 */
export async function removeRun(context: BenchContext): Promise<void> {
  const { admin, id } = context;
  for (const worker of context.workers) await step(`worker ${worker.pid}`, () => worker.stop());
  for (const consumer of context.consumers) await step('consumer', () => consumer.disconnect());
  const like = `siphon_bench_${id}%`;
  await step('slots', async () => {
    await query(
      'postgres',
      'SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name LIKE $1 AND active',
      [like],
    );
    await query(
      'postgres',
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE $1',
      [like],
    );
  });
  await step('databases', async () => {
    const databases = await query('postgres', 'SELECT datname FROM pg_database WHERE datname LIKE $1', [
      like,
    ]);
    for (const { datname } of databases.rows as { datname: string }[]) {
      await query('postgres', `DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
  });
  await step('topics', async () => {
    const topics = (await admin.listTopics()).filter((t) => t.includes(id));
    if (topics.length) await admin.deleteTopics({ topics });
  });
  await step('consumer groups', async () => {
    // A member that did not leave (a killed worker) keeps its group until its session expires.
    const deadline = Date.now() + 45_000;
    for (;;) {
      const ours = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.includes(id));
      if (ours.length === 0) return;
      const error = await admin.deleteGroups(ours).then(
        () => null,
        (e: Error) => e,
      );
      if (!error) return;
      if (Date.now() > deadline) throw new Error(`${ours.join(', ')}: ${error.message}`);
      await sleep(3000);
    }
  });
}
