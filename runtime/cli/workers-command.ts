import type { RestClient } from './rest-client.js';
import { formatTable } from './table.js';

/**
 * `siphon workers`: the cluster's members (from `GET /` of any worker) and what each
 * runs (from the statuses, which carry the owner's `worker_id`), leader marked.
 */
interface ClusterRoot {
  readonly worker_id?: string;
  readonly leader_id?: string | null;
  readonly members?: readonly { worker_id: string; url: string }[];
}

interface StatusView {
  readonly name: string;
  readonly connector: { readonly state: string; readonly worker_id: string };
  readonly tasks: readonly { readonly id: number; readonly state: string; readonly worker_id: string }[];
}

export interface WorkerRow {
  readonly workerId: string;
  readonly url: string;
  readonly leader: boolean;
  readonly connectors: string[];
  readonly tasks: string[];
}

/** One row per member, plus one per worker id a status names that is not a member (yet, or any more). */
export function workerRows(root: ClusterRoot, statuses: readonly StatusView[]): WorkerRow[] {
  const rows = new Map<string, WorkerRow>();
  const row = (workerId: string, url = ''): WorkerRow => {
    let found = rows.get(workerId);
    if (!found) {
      found = { workerId, url, leader: workerId === root.leader_id, connectors: [], tasks: [] };
      rows.set(workerId, found);
    }
    return found;
  };
  for (const member of root.members ?? []) row(member.worker_id, member.url);
  for (const status of statuses) {
    if (status.connector.state !== 'UNASSIGNED') row(status.connector.worker_id).connectors.push(status.name);
    for (const task of status.tasks) {
      if (task.state !== 'UNASSIGNED') row(task.worker_id).tasks.push(`${status.name}/${task.id}`);
    }
  }
  return [...rows.values()].sort((a, b) => a.workerId.localeCompare(b.workerId));
}

export async function workersCommand(client: RestClient, json: boolean): Promise<number> {
  const root = await client.request<ClusterRoot>('GET', '/');
  const all = await client.request<Record<string, { status: StatusView }>>(
    'GET',
    '/connectors?expand=status',
  );
  const rows = workerRows(
    root,
    Object.values(all).map((s) => s.status),
  );
  const text = json
    ? JSON.stringify(rows, null, 2)
    : formatTable(
        ['WORKER', 'URL', 'LEADER', 'CONNECTORS', 'TASKS'],
        rows.map((r) => [
          r.workerId,
          r.url,
          r.leader ? 'yes' : '',
          r.connectors.join(' '),
          r.tasks.join(' '),
        ]),
      );
  process.stdout.write(text + '\n');
  return 0;
}
