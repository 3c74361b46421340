import type {
  CdcSource,
  LostPosition,
  OffsetCodec,
  SnapshotRequest,
  SnapshotSource,
  StoredPosition,
  StreamingOrigin,
  StreamingSource,
} from '../../runtime/cdc/index.js';
import type { SourceTaskContext } from '../../runtime/plugin/index.js';
import type { SourceOffset } from '../../runtime/record/index.js';
import { TestMetrics } from './plugin-test-kit.js';
import { BoundedSignalInbox } from '../../runtime/worker/signal-inbox.js';

/** The offset of the fake source: a position and whether a snapshot was interrupted there. */
export interface FakeOffset {
  readonly pos: number;
  readonly inProgress: boolean;
}

/**
 * What one streaming session of the fake does: emit up to `emitTo`, then fail with
 * `fail`, end by itself (`ends`), or run until the task stops.
 */
export interface FakeSession {
  readonly emitTo?: number;
  readonly fail?: unknown;
  readonly ends?: true;
}

/** A source task context with only what the coordinator uses: a stored offset, the signal, the config. */
export class FakeCdcContext {
  readonly controller = new AbortController();
  readonly warnings: string[] = [];
  readonly retrying: { readonly error: unknown; readonly attempt: number }[] = [];
  readonly context: SourceTaskContext;

  constructor(stored: FakeOffset | null, config: Record<string, number> = {}) {
    const committed: SourceOffset | null =
      stored === null ? null : { pos: stored.pos, in_progress: stored.inProgress };
    this.context = {
      signals: new BoundedSignalInbox('fake'),
      connectorName: 'fake',
      taskId: 0,
      config,
      logger: {
        info: () => undefined,
        debug: () => undefined,
        error: () => undefined,
        warn: (message) => this.warnings.push(message),
      },
      signal: this.controller.signal,
      metrics: new TestMetrics(),
      reportProgress: () => undefined,
      reportRetrying: (error, attempt) => this.retrying.push({ error, attempt }),
      committedOffset: async () => committed,
      emit: async () => undefined,
      durableLog: () => {
        throw new Error('the coordinator needs no durable log');
      },
    };
  }
}

/** The streaming port, scripted session by session. */
class FakeStreaming implements StreamingSource<FakeOffset> {
  emittedPosition: FakeOffset = { pos: -1, inProgress: false };

  constructor(
    private readonly calls: string[],
    private readonly controller: AbortController,
    private readonly sessions: FakeSession[],
    private readonly stopOnStream: boolean,
    readonly checkBeforeReconnect: () => Promise<void>,
  ) {}

  async prepare(from: FakeOffset, origin: StreamingOrigin): Promise<void> {
    this.calls.push(`prepare ${from.pos} from ${origin}`);
    this.emittedPosition = from;
  }

  async stream(from: FakeOffset): Promise<void> {
    this.calls.push(`stream ${from.pos}`);
    if (this.stopOnStream) {
      this.controller.abort();
      return;
    }
    const session = this.sessions.shift();
    if (session?.emitTo !== undefined) this.emittedPosition = { pos: session.emitTo, inProgress: false };
    if (session?.fail !== undefined) throw session.fail;
    if (session?.ends) return;
    const signal = this.controller.signal;
    if (signal.aborted) return;
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
}

/**
 * The four ports of a CDC source, scripted: whether the stored position is lost, where
 * the snapshot ends, what each streaming session does. Every call is logged in `calls`.
 */
export class FakeCdcSource implements CdcSource<FakeOffset> {
  readonly calls: string[] = [];
  readonly streaming: FakeStreaming;

  constructor(
    controller: AbortController,
    private readonly script: {
      readonly lost?: LostPosition | null;
      /** Where the snapshot ends (100 when absent); null: it was stopped. */
      readonly snapshotEndsAt?: number | null;
      readonly sessions?: readonly FakeSession[];
      /** Stop the task as soon as streaming starts (the snapshot decisions are all that is looked at). */
      readonly stopOnStream?: boolean;
      readonly checkBeforeReconnect?: () => Promise<void>;
    } = {},
  ) {
    this.streaming = new FakeStreaming(
      this.calls,
      controller,
      [...(script.sessions ?? [])],
      script.stopOnStream ?? false,
      script.checkBeforeReconnect ?? (async () => undefined),
    );
  }

  readonly offsets: OffsetCodec<FakeOffset> = {
    partition: { server: 'fake' },
    decode: (stored) => ({ pos: Number(stored['pos']), inProgress: stored['in_progress'] === true }),
    snapshotState: (offset) => (offset.inProgress ? 'in-progress' : 'completed'),
  };

  readonly storedPosition: StoredPosition<FakeOffset> = {
    lost: async (offset) => {
      this.calls.push(`lost? ${offset.pos}`);
      return this.script.lost ?? null;
    },
  };

  readonly snapshot: SnapshotSource<FakeOffset> = {
    snapshot: async (request: SnapshotRequest<FakeOffset>) => {
      const resume = request.resumeFrom === null ? '' : ` resuming ${request.resumeFrom.pos}`;
      this.calls.push(`snapshot ${request.data ? 'rows' : 'schema'}${resume}`);
      const end = this.script.snapshotEndsAt === undefined ? 100 : this.script.snapshotEndsAt;
      return end === null ? null : { pos: end, inProgress: false };
    },
  };
}
