import type { CompactedTopic } from './compacted-topic.js';

/**
 * Connector configs and target states in the configs topic, in Kafka Connect's key
 * layout: `connector-<name>` → `{"properties": {...}}`, `target-state-<name>` →
 * `{"state": "STARTED"|"PAUSED"|"STOPPED"}`. Stored configs keep config provider
 * references as written; they are resolved only when tasks start. What this store holds
 * comes from following the topic only, its own writes included (read back with
 * `topic.readToEnd()`), so every worker sees the records in the same order.
 */
export type TargetState = 'STARTED' | 'PAUSED' | 'STOPPED';

export type StoredConfig = Readonly<Record<string, string>>;

/** Kafka Connect's restart request (KIP-745), acted on by the workers that run the units. */
export interface RestartRequest {
  readonly includeTasks: boolean;
  readonly onlyFailed: boolean;
  /** The tasks the requester found to restart (by id); absent: decide from the flags. */
  readonly tasks?: readonly number[];
  readonly connector?: boolean;
}

/** A signal for a connector's task sent through REST (Debezium's signal: id, type, data). */
export interface SignalRequest {
  readonly id: string;
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>> | null;
}

/** What other workers (and this one) wrote, after the initial read. */
export interface ConfigListener {
  signalSent(name: string, signal: SignalRequest): void;
  /** `config`: the connector's config was written (or removed); `target-state`: only its target state. */
  changed(name: string, what: 'config' | 'target-state'): void;
  restartRequested(name: string, request: RestartRequest): void;
}

const connectorPrefix = 'connector-';
const targetStatePrefix = 'target-state-';
const restartPrefix = 'restart-connector-';
const signalPrefix = 'signal-connector-';

export class ConfigStore {
  private readonly configs = new Map<string, StoredConfig>();
  private readonly targetStates = new Map<string, TargetState>();
  private listener: ConfigListener | null = null;
  private loaded = false;

  constructor(readonly topic: CompactedTopic) {}

  /** Reads the topic and keeps following it; `listener` hears of records after the initial read. */
  async load(listener: ConfigListener | null = null): Promise<void> {
    this.listener = listener;
    await this.topic.follow((key, value) => {
      const json = value ? (JSON.parse(value.toString('utf8')) as Record<string, unknown>) : null;
      if (key.startsWith(connectorPrefix)) {
        const name = key.slice(connectorPrefix.length);
        if (json && typeof json.properties === 'object')
          this.configs.set(name, json.properties as StoredConfig);
        else this.configs.delete(name);
        if (this.loaded) this.listener?.changed(name, 'config');
      } else if (key.startsWith(targetStatePrefix)) {
        const name = key.slice(targetStatePrefix.length);
        if (json && typeof json.state === 'string') this.targetStates.set(name, json.state as TargetState);
        else this.targetStates.delete(name);
        if (this.loaded) this.listener?.changed(name, 'target-state');
      } else if (key.startsWith(signalPrefix) && json && this.loaded) {
        this.listener?.signalSent(key.slice(signalPrefix.length), json as unknown as SignalRequest);
      } else if (key.startsWith(restartPrefix) && json && this.loaded) {
        // Requests written before this worker started were for the workers of that time.
        this.listener?.restartRequested(key.slice(restartPrefix.length), {
          includeTasks: json['include-tasks'] === true,
          onlyFailed: json['only-failed'] === true,
          ...(Array.isArray(json.tasks) ? { tasks: json.tasks as number[] } : {}),
          ...(typeof json.connector === 'boolean' ? { connector: json.connector } : {}),
        });
      }
    });
    this.loaded = true;
  }

  /** Sends a signal to the connector's task: the worker running it delivers it. */
  async sendSignal(name: string, signal: SignalRequest): Promise<void> {
    await this.topic.write([{ key: signalPrefix + name, value: JSON.stringify(signal) }]);
  }

  async requestRestart(name: string, request: RestartRequest): Promise<void> {
    await this.topic.write([
      {
        key: restartPrefix + name,
        value: JSON.stringify({
          'include-tasks': request.includeTasks,
          'only-failed': request.onlyFailed,
          ...(request.tasks ? { tasks: request.tasks } : {}),
          ...(request.connector !== undefined ? { connector: request.connector } : {}),
        }),
      },
    ]);
  }

  names(): string[] {
    return [...this.configs.keys()].sort();
  }

  get(name: string): StoredConfig | undefined {
    return this.configs.get(name);
  }

  targetState(name: string): TargetState {
    return this.targetStates.get(name) ?? 'STARTED';
  }

  async put(name: string, config: StoredConfig, targetState?: TargetState): Promise<void> {
    // The target state first: a worker that reads the new config acts on it at once, and
    // must already know it starts PAUSED or STOPPED (as Kafka Connect writes them).
    const messages = targetState
      ? [{ key: targetStatePrefix + name, value: JSON.stringify({ state: targetState }) }]
      : [];
    messages.push({ key: connectorPrefix + name, value: JSON.stringify({ properties: config }) });
    await this.topic.write(messages);
  }

  async putTargetState(name: string, state: TargetState): Promise<void> {
    await this.topic.write([{ key: targetStatePrefix + name, value: JSON.stringify({ state }) }]);
  }

  async remove(name: string): Promise<void> {
    await this.topic.write([
      { key: connectorPrefix + name, value: null },
      { key: targetStatePrefix + name, value: null },
      { key: restartPrefix + name, value: null },
      { key: signalPrefix + name, value: null },
    ]);
  }
}
