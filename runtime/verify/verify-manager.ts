import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger.js';
import type { ParsedConfig } from '../plugin/index.js';
import { verificationConfig } from '../plugin/index.js';
import { maskSecrets } from '../logging/logger.js';
import { ConflictError, NotFoundError } from '../plugin/errors.js';
import { BadRequestError } from '../rest/rest-errors.js';
import { VerificationRun, type VerificationOptions } from './verification-run.js';
import type { VerificationHost } from './verification-host.js';
import { verifyLastRun, verifyRowsDifferent } from './verify-metrics.js';
import type { VerifyRunView } from './verify-report.js';

/** What `POST /connectors/{sink}/verify` may ask for. */
export interface VerifyRequest {
  readonly tables?: readonly string[];
  readonly repair?: boolean;
  readonly chunkSize?: number;
  readonly sourceConnector?: string;
  readonly maxRowsPerSecond?: number;
}

/** Finished runs kept per connector (in memory: a worker restart forgets them). */
const KEPT_RUNS = 20;
const SCHEDULE_CHECK_MS = 5000;
const DEFAULT_CHUNK_SIZE = 10_000;
const SETTLE_TIMEOUT_MS = 60_000;
const RECHECKS = 3;

interface RunEntry {
  readonly view: VerifyRunView;
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

/**
 * Starts, lists and cancels verifications, one running at a time per sink, and runs the
 * scheduled ones (`verify.interval.ms`, throttled by `verify.max.rows.per.second`); a
 * requested run cancels a scheduled one that is going and starts when it has stopped.
 * Listeners hear each finished run (the event stream publishes them).
 */
export class VerifyManager {
  private readonly runs = new Map<string, RunEntry[]>();
  private readonly listeners = new Set<(run: VerifyRunView) => void>();
  private timer: NodeJS.Timeout | null = null;
  private readonly createdAt = Date.now();

  constructor(
    private readonly host: VerificationHost,
    private readonly logger: Logger,
  ) {}

  /** Checks the schedules every few seconds until close(). */
  startSchedule(): void {
    this.timer ??= setInterval(() => this.runDue(), SCHEDULE_CHECK_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const running = [...this.runs.values()].flat().filter((entry) => entry.view.state === 'RUNNING');
    for (const entry of running) entry.abort.abort();
    await Promise.allSettled(running.map((entry) => entry.done));
  }

  /** Called with every finished run; returns the unsubscribe function. */
  onResult(listener: (run: VerifyRunView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(sink: string, request: VerifyRequest, scheduled = false): VerifyRunView {
    const { plugin, config } = this.host.resolvedConnector(sink);
    if (plugin.type !== 'sink' || !plugin.verification) {
      throw new BadRequestError(
        `Connector ${sink} is not a sink connector that can be verified (its plugin ${plugin.name} has no verification support)`,
      );
    }
    const running = (this.runs.get(sink) ?? []).find((entry) => entry.view.state === 'RUNNING');
    // A requested run takes precedence over a scheduled one, which is cancelled; not over another requested run.
    if (running && (scheduled || !running.view.scheduled))
      throw new ConflictError(
        `A verification of ${sink} is already running (${running.view.id}); wait for it or DELETE it`,
      );
    const options: VerificationOptions = {
      sink,
      sources: request.sourceConnector ? [request.sourceConnector] : [],
      tables: request.tables ?? [],
      repair: request.repair ?? false,
      chunkSize: request.chunkSize ?? DEFAULT_CHUNK_SIZE,
      maxRowsPerSecond:
        request.maxRowsPerSecond ??
        (scheduled ? verificationConfig.read(config)['verify.max.rows.per.second'] : 0),
      settleTimeoutMs: SETTLE_TIMEOUT_MS,
      rechecks: RECHECKS,
    };
    if (request.sourceConnector) {
      const source = this.host.resolvedConnector(request.sourceConnector).plugin;
      if (source.type !== 'source' || !source.verification)
        throw new BadRequestError(
          `source.connector ${request.sourceConnector} is not a source connector that can be read for a verification`,
        );
    }
    const view: VerifyRunView = {
      id: randomUUID().slice(0, 8),
      connector: sink,
      state: 'RUNNING',
      repair: options.repair,
      scheduled,
      started: new Date().toISOString(),
      finished: null,
      progress: { tables_done: 0, tables_total: 0, table: null, rows_compared: 0 },
      tables: [],
    };
    const abort = new AbortController();
    let done: Promise<void>;
    if (running) {
      running.abort.abort();
      running.view.error = `cancelled: requested verification ${view.id} took precedence`;
      // One run per sink at a time: this one starts once the scheduled one has let go of its connections.
      done = running.done.then(() => this.execute(view, options, config, abort.signal));
    } else done = this.execute(view, options, config, abort.signal);
    const entry: RunEntry = { view, abort, done };
    const kept = [entry, ...(this.runs.get(sink) ?? [])];
    this.runs.set(sink, kept.slice(0, KEPT_RUNS));
    return view;
  }

  list(sink: string): VerifyRunView[] {
    this.host.resolvedConnector(sink);
    return (this.runs.get(sink) ?? []).map((entry) => entry.view);
  }

  get(sink: string, id: string): VerifyRunView {
    const entry = this.entry(sink, id);
    return entry.view;
  }

  async cancel(sink: string, id: string): Promise<VerifyRunView> {
    const entry = this.entry(sink, id);
    entry.abort.abort();
    await entry.done;
    return entry.view;
  }

  private entry(sink: string, id: string): RunEntry {
    this.host.resolvedConnector(sink);
    const entry = (this.runs.get(sink) ?? []).find((candidate) => candidate.view.id === id);
    if (!entry) throw new NotFoundError(`Verification ${id} of connector ${sink} not found`);
    return entry;
  }

  private async execute(
    view: VerifyRunView,
    options: VerificationOptions,
    sinkConfig: ParsedConfig,
    signal: AbortSignal,
  ): Promise<void> {
    const logger = this.logger.child({ connector: options.sink, verification: view.id });
    // Run after the caller got its 202: nothing below blocks the request.
    await Promise.resolve();
    try {
      const { plugin } = this.host.resolvedConnector(options.sink);
      if (plugin.type !== 'sink' || !plugin.verification) throw new Error('not a verifiable sink');
      const verifier = await plugin.verification.openVerifier(sinkConfig, options.sink, logger);
      try {
        const run = new VerificationRun(
          this.host,
          options,
          {
            signal,
            logger,
            onTable: (report) => {
              view.tables.push(report);
              view.progress.tables_done++;
            },
            onTablesFound: (count) => {
              view.progress.tables_total += count;
            },
            onProgress: (table, rows) => {
              view.progress.table = table;
              view.progress.rows_compared =
                view.tables.reduce((sum, report) => sum + report.rows_compared, 0) + rows;
            },
          },
          verifier,
        );
        logger.info('verification started', { repair: options.repair, sources: run.sourceNames() });
        await run.run();
      } finally {
        await verifier.close();
      }
      const different = view.tables.some((report) => report.differences_total > 0);
      view.state = signal.aborted ? 'CANCELLED' : different ? 'DIFFERENT' : 'EQUAL';
    } catch (error) {
      view.state = signal.aborted ? 'CANCELLED' : 'FAILED';
      // A run cancelled for a requested one keeps saying so.
      if (!signal.aborted || view.error === undefined)
        view.error = maskSecrets(error instanceof Error ? error.message : String(error));
      logger.warn('verification failed', { error: view.error });
    }
    view.finished = new Date().toISOString();
    view.progress.table = null;
    this.record(view);
  }

  private record(view: VerifyRunView): void {
    if (view.state === 'CANCELLED') return;
    const now = Date.now() / 1000;
    verifyLastRun.set({ connector: view.connector, outcome: view.state.toLowerCase() }, now);
    for (const report of view.tables)
      verifyRowsDifferent.set({ connector: view.connector, table: report.table }, report.differences_total);
    this.logger.info('verification finished', {
      connector: view.connector,
      verification: view.id,
      state: view.state,
      tables: view.tables.length,
      rowsCompared: view.tables.reduce((sum, report) => sum + report.rows_compared, 0),
      differences: view.tables.reduce((sum, report) => sum + report.differences_total, 0),
    });
    for (const listener of this.listeners) {
      try {
        listener(view);
      } catch (error) {
        this.logger.warn('a verification listener failed', { error });
      }
    }
  }

  /** Starts the scheduled verifications that are due. */
  private runDue(): void {
    for (const name of this.host.connectorNames()) {
      try {
        const { plugin, config } = this.host.resolvedConnector(name);
        const interval = verificationConfig.read(config)['verify.interval.ms'];
        if (plugin.type !== 'sink' || !plugin.verification || interval <= 0) continue;
        if (this.host.connectorStatus(name).connector.state !== 'RUNNING') continue;
        const [last] = this.runs.get(name) ?? [];
        if (last?.view.state === 'RUNNING') continue;
        // The first scheduled run waits one interval too: right after a start, sinks are still catching up.
        const since = last ? Date.parse(last.view.finished ?? last.view.started) : this.createdAt;
        if (Date.now() - since < interval) continue;
        this.start(name, {}, true);
      } catch (error) {
        this.logger.warn('could not start a scheduled verification', { connector: name, error });
      }
    }
  }
}
