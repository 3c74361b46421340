import type { CompactedTopic } from './compacted-topic.js';

/**
 * Connector configs and target states in the configs topic, in Kafka Connect's key
 * layout: `connector-<name>` → `{"properties": {...}}`, `target-state-<name>` →
 * `{"state": "STARTED"|"PAUSED"|"STOPPED"}`. Stored configs keep config provider
 * references as written; they are resolved only when tasks start.
 */
export type TargetState = 'STARTED' | 'PAUSED' | 'STOPPED';

export type StoredConfig = Readonly<Record<string, string>>;

const connectorPrefix = 'connector-';
const targetStatePrefix = 'target-state-';

export class ConfigStore {
  private readonly configs = new Map<string, StoredConfig>();
  private readonly targetStates = new Map<string, TargetState>();

  constructor(private readonly topic: CompactedTopic) {}

  async load(): Promise<void> {
    await this.topic.readAll((key, value) => {
      const json = value ? (JSON.parse(value.toString('utf8')) as Record<string, unknown>) : null;
      if (key.startsWith(connectorPrefix)) {
        const name = key.slice(connectorPrefix.length);
        if (json && typeof json.properties === 'object')
          this.configs.set(name, json.properties as StoredConfig);
        else this.configs.delete(name);
      } else if (key.startsWith(targetStatePrefix)) {
        const name = key.slice(targetStatePrefix.length);
        if (json && typeof json.state === 'string') this.targetStates.set(name, json.state as TargetState);
        else this.targetStates.delete(name);
      }
    });
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
    const messages = [{ key: connectorPrefix + name, value: JSON.stringify({ properties: config }) }];
    if (targetState)
      messages.push({ key: targetStatePrefix + name, value: JSON.stringify({ state: targetState }) });
    await this.topic.write(messages);
    this.configs.set(name, config);
    if (targetState) this.targetStates.set(name, targetState);
  }

  async putTargetState(name: string, state: TargetState): Promise<void> {
    await this.topic.write([{ key: targetStatePrefix + name, value: JSON.stringify({ state }) }]);
    this.targetStates.set(name, state);
  }

  async remove(name: string): Promise<void> {
    await this.topic.write([
      { key: connectorPrefix + name, value: null },
      { key: targetStatePrefix + name, value: null },
    ]);
    this.configs.delete(name);
    this.targetStates.delete(name);
  }
}
