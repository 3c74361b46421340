import type { SourceOffset, SourcePartition } from '../record/index.js';
import type { CompactedTopic, StoreMessage } from './compacted-topic.js';

export interface OffsetEntry {
  readonly partition: SourcePartition;
  readonly offset: SourceOffset | null;
}

function canonical(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
  );
}

export function offsetKey(connector: string, partition: SourcePartition): string {
  return JSON.stringify([connector, canonical(partition)]);
}

/**
 * Source offsets in Kafka Connect's layout: key `["<connector>", {<sourcePartition>}]`,
 * value the offset JSON (null: reset). Keys are written with sorted fields so one source
 * partition always maps to one compacted key.
 */
export class OffsetStore {
  private readonly offsets = new Map<
    string,
    Map<string, { partition: SourcePartition; offset: SourceOffset }>
  >();

  constructor(readonly topic: CompactedTopic) {}

  async load(): Promise<void> {
    await this.topic.follow((key, value) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(key);
      } catch {
        return; // not written in Kafka Connect's layout; ignore like Connect does
      }
      if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'object') return;
      const [connector, partition] = parsed as [string, SourcePartition];
      this.apply(connector, [
        { partition, offset: value ? (JSON.parse(value.toString('utf8')) as SourceOffset) : null },
      ]);
    });
  }

  get(connector: string, partition: SourcePartition): SourceOffset | null {
    return this.offsets.get(connector)?.get(offsetKey(connector, partition))?.offset ?? null;
  }

  list(connector: string): { partition: SourcePartition; offset: SourceOffset }[] {
    return [...(this.offsets.get(connector)?.values() ?? [])];
  }

  /** The store records for these entries, for writing inside a Kafka transaction. */
  messages(connector: string, entries: readonly OffsetEntry[]): StoreMessage[] {
    return entries.map((e) => ({
      key: offsetKey(connector, e.partition),
      value: e.offset === null ? null : JSON.stringify(e.offset),
    }));
  }

  /** Updates the in-memory view once the entries are durable in Kafka. */
  apply(connector: string, entries: readonly OffsetEntry[]): void {
    let byKey = this.offsets.get(connector);
    if (!byKey) this.offsets.set(connector, (byKey = new Map()));
    for (const e of entries) {
      const key = offsetKey(connector, e.partition);
      if (e.offset === null) byKey.delete(key);
      else byKey.set(key, { partition: e.partition, offset: e.offset });
    }
    if (byKey.size === 0) this.offsets.delete(connector);
  }

  async write(connector: string, entries: readonly OffsetEntry[]): Promise<void> {
    await this.topic.write(this.messages(connector, entries));
    this.apply(connector, entries);
  }
}
