import type { CompactedTopic } from './compacted-topic.js';

/**
 * Connector and task statuses, and the topics each connector used (KIP-558), in the
 * status topic with Kafka Connect's keys: `status-connector-<name>`,
 * `status-task-<name>-<id>`, `topic-<topic>-<name>`; and Siphon's `progress-task-<name>-<id>`:
 * a task's last progress report (at most one a second), so every worker of a cluster shows it.
 */
export type ConnectorState = 'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'RESTARTING';

export interface Status {
  readonly state: ConnectorState;
  readonly trace?: string;
  readonly worker_id: string;
  /** The group generation of the assignment the writer ran the unit under. */
  readonly generation: number;
}

/**
 * As in Kafka Connect, a status of an older generation than the one held is stale and
 * ignored: a cut-off worker's write landing late, or a replay after a worker reconnects,
 * must not name a worker that no longer runs the unit. Within a generation, the later wins.
 */
function supersedes(incoming: Status, held: Status | undefined): boolean {
  return held === undefined || incoming.generation >= held.generation;
}

export interface StoredProgress {
  readonly worker_id: string;
  readonly progress: Readonly<Record<string, string | number>>;
}

interface TopicRecord {
  readonly topic: { readonly name: string; readonly connector: string; readonly discoverTimestamp: number };
}

export class StatusStore {
  private readonly connectors = new Map<string, Status>();
  private readonly tasks = new Map<string, Map<number, Status>>();
  private readonly topics = new Map<string, Set<string>>();
  private readonly progresses = new Map<string, StoredProgress>();
  private highest = 0;

  constructor(readonly topic: CompactedTopic) {}

  async load(): Promise<void> {
    await this.topic.follow((key, value) => {
      const json = value ? (JSON.parse(value.toString('utf8')) as unknown) : null;
      if (key.startsWith('status-connector-')) {
        const name = key.slice('status-connector-'.length);
        if (json) this.keep(this.connectors, name, json as Status);
        else this.connectors.delete(name);
      } else if (key.startsWith('progress-task-')) {
        if (json) this.progresses.set(key, json as StoredProgress);
        else this.progresses.delete(key);
      } else if (key.startsWith('status-task-')) {
        const rest = key.slice('status-task-'.length);
        const dash = rest.lastIndexOf('-');
        const name = rest.slice(0, dash);
        const id = Number(rest.slice(dash + 1));
        if (json) this.keep(this.taskMap(name), id, json as Status);
        else this.tasks.get(name)?.delete(id);
      } else if (key.startsWith('topic-') && json) {
        const { topic } = json as TopicRecord;
        this.topicSet(topic.connector).add(topic.name);
      } else if (key.startsWith('topic-')) {
        for (const [connector, set] of this.topics) {
          for (const name of set) if (key === topicKey(name, connector)) set.delete(name);
        }
      }
    });
  }

  connector(name: string): Status | undefined {
    return this.connectors.get(name);
  }

  taskStatuses(name: string): [number, Status][] {
    return [...(this.tasks.get(name) ?? new Map<number, Status>()).entries()].sort((a, b) => a[0] - b[0]);
  }

  task(name: string, id: number): Status | undefined {
    return this.tasks.get(name)?.get(id);
  }

  /**
   * The worker's own view changes at once, so REST tells what the worker knows even while
   * the write waits for the broker (the worker retries failed status writes until stored).
   */
  /** False when the status is older than the one held (see `supersedes`): stale, not written. */
  async putConnector(name: string, status: Status): Promise<boolean> {
    if (!this.keep(this.connectors, name, status)) return false;
    await this.topic.write([{ key: `status-connector-${name}`, value: JSON.stringify(status) }]);
    return true;
  }

  /** False when the status is older than the one held (see `supersedes`): stale, not written. */
  async putTask(name: string, id: number, status: Status): Promise<boolean> {
    if (!this.keep(this.taskMap(name), id, status)) return false;
    await this.topic.write([{ key: `status-task-${name}-${id}`, value: JSON.stringify(status) }]);
    return true;
  }

  /** Whether `status` would be kept over what is held for the connector (task null) or task. */
  supersedes(name: string, task: number | null, status: Status): boolean {
    return supersedes(status, task === null ? this.connectors.get(name) : this.tasks.get(name)?.get(task));
  }

  /** The highest generation of any status seen: the next assignment's must be above it. */
  highestGeneration(): number {
    return this.highest;
  }

  private keep<K>(map: Map<K, Status>, key: K, status: Status): boolean {
    if (!supersedes(status, map.get(key))) return false;
    map.set(key, status);
    if (Number.isFinite(status.generation)) this.highest = Math.max(this.highest, status.generation);
    return true;
  }

  progress(name: string, id: number): StoredProgress | undefined {
    return this.progresses.get(progressKey(name, id));
  }

  async putProgress(name: string, id: number, progress: StoredProgress): Promise<void> {
    this.progresses.set(progressKey(name, id), progress);
    await this.topic.write([{ key: progressKey(name, id), value: JSON.stringify(progress) }]);
  }

  /** Drops task statuses with ids from `fromId` on (fewer tasks, or STOPPED). */
  async removeTasks(name: string, fromId = 0): Promise<void> {
    const ids = [...(this.tasks.get(name)?.keys() ?? [])].filter((id) => id >= fromId);
    await this.topic.write(
      ids.flatMap((id) => [
        { key: `status-task-${name}-${id}`, value: null },
        { key: progressKey(name, id), value: null },
      ]),
    );
    for (const id of ids) this.progresses.delete(progressKey(name, id));
    for (const id of ids) this.tasks.get(name)?.delete(id);
  }

  async remove(name: string): Promise<void> {
    await this.removeTasks(name);
    await this.resetTopics(name);
    await this.topic.write([{ key: `status-connector-${name}`, value: null }]);
    this.connectors.delete(name);
    this.tasks.delete(name);
  }

  activeTopics(name: string): string[] {
    return [...(this.topics.get(name) ?? [])].sort();
  }

  async addTopic(name: string, topic: string): Promise<void> {
    const set = this.topicSet(name);
    if (set.has(topic)) return;
    const record: TopicRecord = { topic: { name: topic, connector: name, discoverTimestamp: Date.now() } };
    await this.topic.write([{ key: topicKey(topic, name), value: JSON.stringify(record) }]);
    set.add(topic);
  }

  async resetTopics(name: string): Promise<void> {
    const topics = this.activeTopics(name);
    await this.topic.write(topics.map((t) => ({ key: topicKey(t, name), value: null })));
    this.topics.delete(name);
  }

  private taskMap(name: string): Map<number, Status> {
    let map = this.tasks.get(name);
    if (!map) this.tasks.set(name, (map = new Map()));
    return map;
  }

  private topicSet(name: string): Set<string> {
    let set = this.topics.get(name);
    if (!set) this.topics.set(name, (set = new Set()));
    return set;
  }
}

function progressKey(connector: string, task: number): string {
  return `progress-task-${connector}-${task}`;
}

function topicKey(topic: string, connector: string): string {
  return `topic-${topic}-${connector}`;
}
