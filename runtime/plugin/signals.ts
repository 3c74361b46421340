/**
 * Debezium's signals, as a source task receives them: `execute-snapshot`,
 * `stop-snapshot`, `pause-snapshot`, `resume-snapshot`, … with Debezium's JSON `data`
 * (e.g. `{"type":"incremental","data-collections":["public.orders"]}`). The runtime
 * delivers those sent through its REST API (`POST /connectors/{n}/snapshots`, channel
 * `rest`); a connector reads its own channels (the signal table, a Kafka topic) and
 * hands those signals to the same handling.
 */
export interface SourceSignal {
  /** The sender's id for the signal (Debezium's `id` column); unique per signal. */
  readonly id: string;
  readonly type: string;
  /** The signal's `data`, parsed from its JSON; null when it has none. */
  readonly data: Readonly<Record<string, unknown>> | null;
  /** Where it came from: `source` (the signal table), `kafka`, `rest`. */
  readonly channel: string;
}

/** Signals waiting for a source task, in the order they were sent. */
export interface SignalInbox {
  /** Takes every signal that arrived since the last call (none: an empty list). */
  take(): SourceSignal[];
  /** Resolves when a signal is waiting (at once if one is), or when `signal` aborts. */
  waitForSignal(signal: AbortSignal): Promise<void>;
}
