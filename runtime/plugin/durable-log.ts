/**
 * An append-only log the runtime keeps for a task in a one-partition Kafka topic of the
 * worker's own cluster, reached with the worker's connection and security settings
 * (a MySQL source's schema history). Entries are kept forever: the topic is created
 * with `retention.ms=-1` when missing.
 */
export interface DurableLog {
  /** Connects and creates the topic when it is missing. */
  open(): Promise<void>;
  /** Every entry up to the end of the log as it is now, in order. */
  readAll(): Promise<string[]>;
  /** Appends entries in order; resolves once every in-sync replica has them (acks=all). */
  append(entries: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
