import {
  backoff,
  defineConfig,
  isConnectionLost,
  RetriableError,
  SiphonError,
  type BackoffPolicy,
  type SourceTaskContext,
} from '../plugin/index.js';
import { cdcKeySpecs } from './cdc-config.js';
import type { Snapshotter } from './snapshotter.js';
import type { CdcSource, SnapshotState, StreamingOrigin } from './source-ports.js';

/**
 * The one reconnect policy of the CDC sources: 1 s doubling up to 30 s, for as long as
 * `errors.max.retries` allows (-1, the default: forever). 1 s rather than the runtime's
 * 300 ms because a lost database connection is mostly a server restart, which takes
 * seconds; 30 s rather than `errors.retry.delay.max.ms` (a minute, for failed tasks) so
 * that a server back from an outage is streamed from again within half a minute.
 */
export const reconnectDelays: Omit<BackoffPolicy, 'maxRetries'> = {
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
};

interface StartingPoint<Offset> {
  readonly from: Offset;
  readonly origin: StreamingOrigin;
}

/** The one key of the connector's config the coordinator reads. */
const retryConfig = defineConfig({ 'errors.max.retries': cdcKeySpecs['errors.max.retries'] });

/**
 * Runs a CDC source task the way Debezium's ChangeEventSourceCoordinator does: reads
 * the committed offset, asks the Snapshotter whether this start snapshots (checking
 * first that a stored position can still be read from), runs the snapshot or skips it,
 * then streams, reconnecting from the last emitted position whenever the connection is
 * lost. A session that emitted starts the retry count again; the abort signal ends
 * every wait at once.
 */
export class CdcCoordinator<Offset> {
  private readonly maxRetries: number;

  constructor(
    private readonly context: SourceTaskContext,
    private readonly snapshotter: Snapshotter,
    private readonly source: CdcSource<Offset>,
    private readonly delays: Omit<BackoffPolicy, 'maxRetries'> = reconnectDelays,
  ) {
    this.maxRetries = retryConfig.read(context.config)['errors.max.retries'];
  }

  /** Resolves when the task stops or has nothing more to do (initial_only); rejects when it fails. */
  async run(): Promise<void> {
    const start = await this.startingPoint();
    if (start === null || this.context.signal.aborted) return;
    await this.source.streaming.prepare(start.from, start.origin);
    await this.streamFrom(start.from);
  }

  /** Snapshots as the mode and the stored offset say; returns where streaming starts (null: stop). */
  private async startingPoint(): Promise<StartingPoint<Offset> | null> {
    const { context, snapshotter, source } = this;
    const committed = await context.committedOffset(source.offsets.partition);
    let stored = committed === null ? null : source.offsets.decode(committed);
    let state: SnapshotState = stored === null ? 'none' : source.offsets.snapshotState(stored);
    if (snapshotter.finished(state)) return null;
    if (stored !== null && snapshotter.streams) {
      const lost = await source.storedPosition.lost(stored);
      if (lost !== null) {
        const action = snapshotter.onLostPosition(lost);
        context.logger.warn(
          action === 'snapshot'
            ? 'the stored position is lost; taking a new snapshot'
            : 'the stored position is lost; streaming on from the current end of the log',
          { reason: lost.problem, snapshotMode: snapshotter.mode },
        );
        if (action === 'snapshot') {
          stored = null;
          state = 'none';
        }
      }
    }
    if (stored !== null && !snapshotter.snapshotsSchema(state))
      return { from: stored, origin: 'stored offset' };
    const from = await source.snapshot.snapshot({
      data: snapshotter.snapshotsData(state),
      resumeFrom: snapshotter.resumesSnapshot(state) ? stored : null,
      streamingFollows: snapshotter.streams,
    });
    if (from === null || !snapshotter.streams) return null;
    return { from, origin: 'snapshot' };
  }

  /** Streams until the task stops, reconnecting after a lost connection as the policy allows. */
  private async streamFrom(start: Offset): Promise<void> {
    const { context } = this;
    const { streaming } = this.source;
    const retries = backoff({ ...this.delays, maxRetries: this.maxRetries }, context.signal);
    let from = start;
    while (!context.signal.aborted) {
      const before = streaming.emittedPosition;
      let failure: unknown;
      try {
        await streaming.stream(from);
        if (context.signal.aborted) return;
        // The server ended the session without an error: not a failure in a row.
        retries.reset();
        failure = new RetriableError('the change stream ended without an error; reconnecting');
      } catch (error) {
        failure = error;
      }
      const emitted = streaming.emittedPosition;
      // errors.max.retries counts failures in a row: a session that emitted starts it again.
      if (emitted !== before) retries.reset();
      from = emitted;
      if (context.signal.aborted) return;
      if (!isConnectionLost(failure) && !(failure instanceof RetriableError)) throw failure;
      await streaming.checkBeforeReconnect?.();
      const reason = failure instanceof Error ? failure.message : String(failure);
      const again = await retries.failed((attempt, delayMs) => {
        context.logger.warn('connection lost; reconnecting from the last emitted position', {
          error: reason,
          attempt,
          retryInMs: delayMs,
        });
        context.reportRetrying?.(failure, attempt);
      });
      if (context.signal.aborted) return;
      if (!again) {
        throw new SiphonError(
          `gave up after ${retries.attempts} attempts (errors.max.retries=${this.maxRetries}): ${reason}`,
          false,
          { cause: failure },
        );
      }
    }
  }
}
