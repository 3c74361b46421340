import { maskSecrets } from '../logging/logger.js';

/**
 * The worker's live event stream (`GET /events`): any module publishes, subscribers hear
 * each event once, in id order. The last `capacity` events are kept so a client that
 * reconnects with `Last-Event-ID` misses none; older ones are gone and a resuming client
 * is told how many (never a silent gap). Every event passes through `maskSecrets`.
 */
/**
 * `verification` is published by the verifier with at least `status` and, when it compared
 * rows, `differences` (a count) and a one-line `summary`; the console shows those.
 */
export type EventType =
  | 'connector.state'
  | 'task.state'
  | 'connector.config'
  | 'snapshot.progress'
  | 'lag'
  | 'retention'
  | 'alert'
  | 'verification';

export const eventTypes: readonly EventType[] = [
  'connector.state',
  'task.state',
  'connector.config',
  'snapshot.progress',
  'lag',
  'retention',
  'alert',
  'verification',
];

export interface SiphonEvent {
  readonly id: number;
  readonly type: EventType;
  /** ISO time of publication. */
  readonly time: string;
  readonly connector: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

export type EventListener = (event: SiphonEvent) => void;

export interface Replay {
  readonly events: readonly SiphonEvent[];
  /**
   * Events after the requested id that are no longer kept; null when the id is from before
   * this worker started (how many were missed is unknown).
   */
  readonly missed: number | null;
}

export class EventBus {
  private readonly buffer: SiphonEvent[] = [];
  private readonly listeners = new Set<EventListener>();
  // Ids start at the process's start time in microseconds, so they keep increasing across
  // worker restarts: a Last-Event-ID from before a restart is recognisably older.
  private readonly firstId = Date.now() * 1000;
  private nextId = this.firstId;

  constructor(private readonly capacity: number) {}

  get lastId(): number {
    return this.nextId - 1;
  }

  /** The id of the oldest event still buffered (the next id when none is). */
  get oldestId(): number {
    return this.buffer[0]?.id ?? this.nextId;
  }

  publish(type: EventType, connector: string | null, data: Readonly<Record<string, unknown>>): SiphonEvent {
    const masked = JSON.parse(maskSecrets(JSON.stringify(data))) as Record<string, unknown>;
    const event: SiphonEvent = {
      id: this.nextId++,
      type,
      time: new Date().toISOString(),
      connector,
      data: masked,
    };
    this.buffer.push(event);
    if (this.buffer.length > this.capacity) this.buffer.shift();
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** Buffered events with an id above `afterId` (ids are contiguous), at most `limit`. */
  since(afterId: number, limit = Number.MAX_SAFE_INTEGER): Replay {
    const oldest = this.oldestId;
    const missed = afterId < this.firstId - 1 ? null : Math.max(0, oldest - afterId - 1);
    const start = Math.max(0, afterId + 1 - oldest);
    return { events: this.buffer.slice(start, start + limit), missed };
  }

  /** Called synchronously for every event published from now on. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
